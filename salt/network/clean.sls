{#- The twin of network: the bridge files back to the original, IPv6 back at
    the next boot. -#}
include:
  - network.bridge.clean
  - network.ipv6.clean
