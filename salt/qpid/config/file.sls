{#- Runbook: "Disable authentication: in /etc/qpidd.conf add a line auth=no"
    (the path is os data, parameters qpid:conf:path). Pillar qpid:auth true
    turns authentication on (auth=yes). The other lines of the file stay. -#}
{%- from "macros.jinja" import failed %}
{%- from "map.jinja" import hltcloud with context %}
{%- set qpid = hltcloud.qpid %}
{%- set auth = salt["pillar.get"]("qpid:auth", qpid.auth) %}
include:
  - qpid.package.install
{%- if not qpid.conf.path %}

{{ failed("qpid-config-file-present", "parameters qpid:conf:path is not set",
          "qpidd.conf not written: parameters qpid:conf:path is not set for os_family " ~ grains.get("os_family")) }}
{%- else %}

{#- The package ships the file; this keeps its mode and makes it if missing. #}
qpid-config-file-present:
  file.managed:
    - name: {{ qpid.conf.path | json }}
    - replace: false
    - user: {{ qpid.conf.user | json }}
    - group: {{ qpid.conf.group | json }}
    - mode: {{ qpid.conf.mode | string | json }}
    - require:
      - sls: qpid.package.install

{#- ignore_if_missing: only a dry run on a node without the file gets there. #}
qpid-config-file-managed:
  file.keyvalue:
    - name: {{ qpid.conf.path | json }}
    - key_values:
        auth: {{ ("yes" if auth else "no") | json }}
    - separator: "="
    - append_if_not_found: true
    - ignore_if_missing: true
    - require:
      - file: qpid-config-file-present
{%- endif %}
