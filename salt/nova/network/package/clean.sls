{#- Remove the nova-network packages, after nova.conf's settings (nova.config.clean). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - nova.config.clean

nova-network-packages-removed:
  pkg.removed:
    - pkgs: {{ hltcloud.nova.network.pkgs | json }}
    - require:
      - sls: nova.config.clean
