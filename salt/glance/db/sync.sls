{#- Runbook: su -s /bin/sh -c "glance-manage db_sync" glance. Only when the
    package, a config file or the database changed in this run (puppet-glance's
    deps: install -> config -> db -> dbsync -> service). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set sync = hltcloud.glance.db_sync %}
include:
  - glance.package.install
  - glance.config.file
  - glance.db.database

glance-db-synced:
  cmd.run:
    - name: {{ sync.cmd | json }}
    - runas: {{ sync.user | json }}
    - shell: {{ sync.shell | json }}
    - require:
      - sls: glance.config.file
      - sls: glance.db.database
    - onchanges:
      - sls: glance.package.install
      - sls: glance.config.file
      - sls: glance.db.database
