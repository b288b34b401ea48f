{#- Remove Qpid, after the service is stopped. -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - qpid.service.clean

qpid-packages-removed:
  pkg.removed:
    - pkgs: {{ hltcloud.qpid.pkgs | json }}
    - require:
      - sls: qpid.service.clean
