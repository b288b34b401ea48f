{#- Runbook, "Glance: the image service": openstack-glance and
    python-glanceclient, from the RDO repository (openstack.repo). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - openstack.repo

glance-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.glance.pkgs | json }}
    - require:
      - sls: openstack.repo
