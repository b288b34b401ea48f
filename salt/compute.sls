# The compute nodes (cn44-cn47): `salt 'cn4[4-7]*' state.apply compute`.
# Runbook, "Workers configuration" and the compute half of "Legacy networking".
include:
  - validate           # the inventory and pillar pass the schema, or nothing runs
  - common             # NetworkManager off, network on, iptables
  - openstack.repo     # RDO Icehouse
  - network            # IPv6 off, em1 in br100, no dhclient exit hook
  - nova.compute       # nova-compute, libvirtd, dbus, nova.conf
  - nova.network       # nova-network FlatDHCP multi-host, metadata API
