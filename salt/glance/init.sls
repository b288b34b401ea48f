{#- Glance on the head node: packages, config files, database and db_sync,
    the two daemons, then the CirrOS image (runbook, "Glance: the image
    service"). Its OpenStack user, service and endpoints are keystone.catalog's
    (pillar keystone:services:glance through the service_identity macro). -#}
include:
  - glance.package.install
  - glance.config.file
  - glance.db.database
  - glance.db.sync
  - glance.service.running
  - glance.image
