{#- Remove the auth line, after the service is stopped (the package's file stays). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set qpid = hltcloud.qpid %}
include:
  - qpid.service.clean
{%- if qpid.conf.path %}

qpid-config-auth-absent:
  file.keyvalue:
    - name: {{ qpid.conf.path | json }}
    - key: auth
    - value: ""
    - count: 0
    - ignore_if_missing: true
    - require:
      - sls: qpid.service.clean
{%- endif %}
