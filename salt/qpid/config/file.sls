{#- Runbook: "Disable authentication: in /etc/qpidd.conf add a line auth=no"
    (the path is os data, parameters qpid:conf:path). The other lines of the
    file stay.

    qpidd reads the file as boost program_options do: the spaces around the
    key and the `=` do not count, and an option given twice stops qpidd
    ("multiple occurrences"). So a stock `auth = yes` line is rewritten in
    place, every earlier `auth` line goes, and the file ends with one
    `auth=no` line: qpid-config-auth-duplicates-absent keeps the
    last `auth` line only, qpid-config-file-managed rewrites it (or appends
    one). Both stay untouched on a file that already says it once. -#}
{%- from "macros.jinja" import failed %}
{%- from "map.jinja" import hltcloud with context %}
{%- set qpid = hltcloud.qpid %}
{#- An `auth` option line, in any spacing; one that another follows, anywhere below. #}
{%- set auth_line = "^[ \\t]*auth[ \\t]*=.*$" %}
{%- set earlier_auth_line = "^[ \\t]*auth[ \\t]*=.*\\n(?=(?:.*\\n)*?[ \\t]*auth[ \\t]*=)" %}
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
qpid-config-auth-duplicates-absent:
  file.replace:
    - name: {{ qpid.conf.path | json }}
    - pattern: {{ earlier_auth_line | json }}
    - repl: ""
    - ignore_if_missing: true
    - backup: false
    - require:
      - file: qpid-config-file-present

qpid-config-file-managed:
  file.replace:
    - name: {{ qpid.conf.path | json }}
    - pattern: {{ auth_line | json }}
    - repl: "auth=no"
    - append_if_not_found: true
    - ignore_if_missing: true
    - backup: false
    - require:
      - file: qpid-config-auth-duplicates-absent
{%- endif %}
