{#- Take Keystone apart on the head, in reverse: service and cron, keystone.conf's
    settings, packages. The database and the catalog in it are kept. -#}
include:
  - keystone.service.clean
  - keystone.config.clean
  - keystone.db.clean
  - keystone.package.clean
