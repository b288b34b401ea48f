# The head node (cn43): the role bundle the service formulas join as they land.
include:
  - validate           # the inventory and pillar pass the schema, or nothing runs
  - common             # NetworkManager off, network on, iptables
  - openstack.repo     # RDO Icehouse, the same state as the compute nodes
  - glance             # image service and the CirrOS image (after keystone)
  - nova.controller    # Nova controller: api, cert, consoleauth, scheduler, conductor, novncproxy
  - nova.flat_network  # the demo network (pillar flat_network), once nova-api answers
