# The head node (cn43): the role bundle the service formulas join as they land.
include:
  - validate           # the inventory and pillar pass the schema, or nothing runs
  - common             # NetworkManager off, network on, iptables
  - openstack.repo     # RDO Icehouse, the same state as the compute nodes
