{#- Runbook, "Compute: Nova management": `su -s /bin/sh -c "nova-manage db
    sync" nova`, only when the controller's packages, nova.conf or the
    database changed in this run (puppet-nova's dbsync rule), after the
    database exists and nova.conf holds its connection. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set db_sync = hltcloud.nova.controller.db_sync %}
include:
  - nova.controller.package.install
  - nova.config.file
  - nova.controller.db.database

nova-controller-db-synced:
  cmd.run:
    - name: {{ db_sync.cmd | json }}
    - runas: {{ db_sync.user | json }}
    - shell: {{ db_sync.shell | json }}
    - require:
      - sls: nova.config.file
      - sls: nova.controller.db.database
    - onchanges:
      - sls: nova.controller.package.install
      - id: nova-config-file-managed
      - sls: nova.controller.db.database
