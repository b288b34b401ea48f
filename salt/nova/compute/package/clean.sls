{#- Remove the compute packages, after nova.conf's settings (nova.config.clean). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - nova.config.clean

nova-compute-packages-removed:
  pkg.removed:
    - pkgs: {{ hltcloud.nova.compute.pkgs | json }}
    - require:
      - sls: nova.config.clean
