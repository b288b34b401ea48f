{#- nova-compute on a compute node: package, nova.conf, service. -#}
include:
  - nova.compute.package.install
  - nova.config.file
  - nova.compute.service.running
