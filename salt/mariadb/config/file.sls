{#- Runbook, "Backing database": its six lines for /etc/my.cnf, as a drop-in
    the stock my.cnf reads (`!includedir /etc/my.cnf.d`). bind-address is the
    node's grain mgmt_ipv4, checked by mariadb-input-checked to be one of the
    node's addresses (grain ipv4). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "mariadb/macros.jinja" import mariadb_errors, mariadb_bind with context %}
{%- set conf = hltcloud.mariadb.conf %}
include:
  - mariadb.package.install
{%- set lines = ["# Managed by Salt (hlt-cloud, mariadb.config): the runbook's settings for OpenStack.",
                 "[" ~ conf.section ~ "]",
                 "bind-address = " ~ mariadb_bind] %}
{%- for key, value in conf.settings.items() %}
{%-   do lines.append(key if value is sameas true else key ~ " = " ~ value) %}
{%- endfor %}

mariadb-config-file-managed:
  file.managed:
    - name: {{ (conf.path or "mariadb:conf:path is not set") | json }}
    - user: {{ conf.user | json }}
    - group: {{ conf.group | json }}
    - mode: {{ conf.mode | string | json }}
    - makedirs: true
    - contents: {{ (lines | join("\n") ~ "\n") | json }}
    - require:
      - sls: mariadb.package.install
