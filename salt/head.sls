# The head node (cn43): the role bundle the service formulas join as they land.
include:
  - firewall           # the rules file first, then iptables enabled and started
  - common             # NetworkManager off, network on
  - openstack.repo     # RDO Icehouse, the same state as the compute nodes
