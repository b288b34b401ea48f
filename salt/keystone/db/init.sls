{#- Runbook: the keystone database and its user at localhost and '%'
    (service_database, salt/mariadb/macros.jinja; password pillar
    secrets:keystone_dbpass), then `su -s /bin/sh -c "keystone-manage db_sync"
    keystone`: only when the package or the database changed. keystone.conf is
    named (--config-file): the same file RDO's keystone-manage reads by default. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "mariadb/macros.jinja" import service_database with context %}
{%- from "keystone/conf.jinja" import keystone_errors with context %}
{%- set keystone = hltcloud.keystone %}
include:
  - mariadb.secure
  - keystone.config.file
{%- if keystone_errors %}

{#- keystone-input-checked fails and names what is missing (the database
    password too): the database waits for it instead of failing a second time. #}
mariadb-database-{{ keystone.db.name }}-present:
  test.succeed_without_changes:
    - name: {{ ("database " ~ keystone.db.name) | json }}
    - require:
      - id: keystone-input-checked
{%- else %}
{{ service_database(keystone.db.name, "keystone_dbpass", keystone.db.user) }}
{%- endif %}

keystone-db-synced:
  cmd.run:
    - name: {{ (keystone.manage ~ " --config-file " ~ keystone.conf.path ~ " db_sync") | json }}
    - runas: {{ keystone.user | json }}
    - shell: {{ keystone.db.sync_shell | json }}
    - onchanges:
      - id: keystone-packages-installed
      - id: mariadb-database-{{ keystone.db.name }}-present
    - require:
      - sls: keystone.config.file
      - id: mariadb-database-{{ keystone.db.name }}-present
