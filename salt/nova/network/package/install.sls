{#- Runbook, "Legacy networking" / "OpenStack daemons": nova-network and the
    nova API package that carries the metadata API. -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - openstack.repo

nova-network-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.nova.network.pkgs | json }}
    - require:
      - sls: openstack.repo
