{#- Runbook, "The Compute service": nova-compute and the OpenStack utilities,
    from the RDO repository (openstack.repo). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - openstack.repo

nova-compute-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.nova.compute.pkgs | json }}
    - require:
      - sls: openstack.repo
