{#- Runbook: the keystone database and its user at localhost and '%'
    (service_database, salt/mariadb/macros.jinja; password pillar
    secrets:keystone_dbpass), then `su -s /bin/sh -c "keystone-manage db_sync"
    keystone`: only when the package or the database changed. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "mariadb/macros.jinja" import service_database with context %}
{%- set keystone = hltcloud.keystone %}
include:
  - mariadb.secure
  - keystone.config.file
{{ service_database(keystone.db.name, "keystone_dbpass") }}

keystone-db-synced:
  cmd.run:
    - name: {{ (keystone.manage ~ " db_sync") | json }}
    - runas: {{ keystone.user | json }}
    - shell: /bin/sh
    - onchanges:
      - id: keystone-packages-installed
      - id: mariadb-database-{{ keystone.db.name }}-present
    - require:
      - sls: keystone.config.file
      - id: mariadb-database-{{ keystone.db.name }}-present
