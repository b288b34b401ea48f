{#- Runbook, "Legacy networking" / "OpenStack daemons": nova-network and the
    nova API package that carries the metadata API. -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - openstack.repo

nova-network-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.nova.network.pkgs | json }}
{%- if hltcloud.nova.network.disablerepo %}
    - disablerepo: {{ hltcloud.nova.network.disablerepo | json }}
{%- endif %}
    - require:
      - sls: openstack.repo
