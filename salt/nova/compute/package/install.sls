{#- Runbook, "The Compute service": nova-compute and the OpenStack utilities,
    from the RDO repository (openstack.repo). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - openstack.repo

nova-compute-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.nova.compute.pkgs | json }}
{%- if hltcloud.nova.compute.disablerepo %}
    - disablerepo: {{ hltcloud.nova.compute.disablerepo | json }}
{%- endif %}
    - require:
      - sls: openstack.repo
