# Runbook, "Getting started": what every node of the cluster needs first.
include:
  - common.package
  - common.service
