# The compute nodes (cn44-cn47): the role bundle the service formulas join as they land.
include:
  - common
