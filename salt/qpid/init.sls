{#- Runbook, "Messaging server": Qpid without authentication (pillar qpid:auth
    to turn it on), running and enabled. -#}
include:
  - qpid.package.install
  - qpid.config.file
  - qpid.service.running
