{#- Take the Nova controller apart, in reverse: services, nova.conf's settings,
    packages. The nova database stays (dropping it is not undone by a
    re-install; do it by hand if that is what you want). -#}
include:
  - nova.controller.service.clean
  - nova.config.clean
  - nova.controller.package.clean
