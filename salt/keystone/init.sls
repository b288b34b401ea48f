{#- Runbook, "Keystone: identity server", on the head: package, keystone.conf,
    keys, database and db_sync, service, then the identity catalog
    (keystone.catalog), which waits for the service and for keystoneauth1 in
    Salt's Python: its first state, keystone-catalog-ready, is required by
    every catalog state. Whatever its branch (ready, pending, failed), it is an
    hltcloud state: extend names the state module. -#}
include:
  - keystone.package.install
  - keystone.config.file
  - keystone.config.pki
  - keystone.db
  - keystone.service.running
  - keystone.catalog

extend:
  keystone-catalog-ready:
    hltcloud:
      - require:
        - sls: keystone.service.running
        - id: keystone-salt-python-packages-installed
