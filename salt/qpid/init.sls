{#- Runbook, "Messaging server": Qpid without authentication (auth=no),
    running and enabled. The firewall accepts 5672 from the inventory's
    nodes only: the bus carries users' tokens and takes casts to every
    service. -#}
include:
  - qpid.package.install
  - qpid.config.file
  - qpid.service.running
