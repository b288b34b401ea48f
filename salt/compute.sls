# The compute nodes (cn44-cn47): `salt 'cn4[4-7]*' state.apply compute`.
# Runbook, "Workers configuration" and the compute half of "Legacy networking".
{%- from "packages.jinja" import role_packages_installed with context %}
include:
  - validate           # the inventory and pillar pass the schema, or nothing runs
  - firewall           # the rules file first, then iptables enabled and started
  - common             # NetworkManager off, network on
  - openstack.repo     # RDO Icehouse
  - network            # IPv6 off, em1 in br100, no dhclient exit hook
  - nova.compute       # nova-compute, libvirtd, dbus, nova.conf
  - nova.network       # nova-network FlatDHCP multi-host, metadata API

# The packages of nova.compute and nova.network in one state (packages.jinja):
# one package database query, one yum transaction, after openstack.repo. The
# firewall's come first, in firewall.package.install, before the repository.
{{ role_packages_installed("compute") }}
