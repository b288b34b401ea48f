{#- Remove the controller's packages, after nova.conf's settings (nova.config.clean). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - nova.config.clean

nova-controller-packages-removed:
  pkg.removed:
    - pkgs: {{ hltcloud.nova.controller.pkgs | json }}
    - require:
      - sls: nova.config.clean
