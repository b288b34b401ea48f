{#- Take nova apart on a compute node, in reverse: services, nova.conf's
    settings, packages. -#}
include:
  - nova.compute.service.clean
  - nova.network.service.clean
  - nova.config.clean
  - nova.compute.package.clean
  - nova.network.package.clean
