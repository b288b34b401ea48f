# The head node (cn43): the role bundle the service formulas join as they land.
include:
  - common
