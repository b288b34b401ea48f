{#- Runbook: `service mysqld start; chkconfig mysqld on` (the unit is mariadb
    on Fedora 19 and CentOS 7); restarted when the drop-in changes. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set mariadb = hltcloud.mariadb %}
include:
  - mariadb.config.file
{%- if mariadb.service %}

mariadb-service-running:
  service.running:
    - name: {{ mariadb.service | json }}
    - enable: true
    - require:
      - sls: mariadb.config.file
    - watch:
      - id: mariadb-config-file-managed
{%- else %}

mariadb-service-running:
  test.succeed_without_changes:
    - name: "mariadb:service is null: the server is run by other means"
    - require:
      - sls: mariadb.config.file
{%- endif %}
