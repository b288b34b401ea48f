include:
  - network.ipv6.file
