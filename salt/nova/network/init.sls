{#- nova-network (FlatDHCP, multi-host) and the metadata API on a compute
    node: packages, nova.conf, services. -#}
include:
  - nova.network.package.install
  - nova.config.file
  - nova.network.service.running
