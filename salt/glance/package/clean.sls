{#- Remove the Glance packages, after the config files' settings (glance.config.clean). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - glance.config.clean

glance-packages-removed:
  pkg.removed:
    - pkgs: {{ hltcloud.glance.pkgs | json }}
    - require:
      - sls: glance.config.clean
