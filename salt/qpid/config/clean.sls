{#- Remove the auth lines (in any spacing), after the service is stopped (the
    package's file stays). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set qpid = hltcloud.qpid %}
{#- Every `auth` option line, in any spacing (salt/qpid/config/file.sls). #}
{%- set auth_lines = "^[ \\t]*auth[ \\t]*=.*\\n?" %}
include:
  - qpid.service.clean
{%- if qpid.conf.path %}

qpid-config-auth-absent:
  file.replace:
    - name: {{ qpid.conf.path | json }}
    - pattern: {{ auth_lines | json }}
    - repl: ""
    - ignore_if_missing: true
    - backup: false
    - require:
      - sls: qpid.service.clean
{%- endif %}
