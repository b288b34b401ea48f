{#- The compute node's legacy networking (runbook, "Legacy networking", host
    side): IPv6 off, em1 enslaved to br100, no dhclient exit hook. -#}
include:
  - network.ipv6
  - network.bridge
  - network.dhclient.clean
