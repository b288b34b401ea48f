include:
  - network.bridge.file
  - network.bridge.restart
