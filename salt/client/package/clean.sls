{#- Remove the clients, after the profiles. -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - client.config.clean

client-packages-removed:
  pkg.removed:
    - pkgs: {{ hltcloud.client.pkgs | json }}
    - require:
      - sls: client.config.clean
