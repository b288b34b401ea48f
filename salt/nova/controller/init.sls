{#- The Nova controller on the head (runbook, "Compute: Nova management" and
    the controller part of "Legacy networking"): packages, nova.conf, the
    database and its schema, the six services. -#}
include:
  - nova.controller.package.install
  - nova.config.file
  - nova.controller.db.sync
  - nova.controller.service.running
