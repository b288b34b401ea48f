{#- Take Qpid apart: service, auth line, packages. -#}
include:
  - qpid.service.clean
  - qpid.config.clean
  - qpid.package.clean
