{#- Non-secret cluster data for every node of the inventory. -#}
{%- from "lib/cluster.jinja" import cluster with context %}
cluster: {{ cluster | json }}

# The demo network of the runbook ("Create a demo network"): nova-network
# FlatDHCP, multi-host, on the compute nodes' bridge. The gateway each
# hypervisor puts on the bridge is the first host address (203.0.113.25).
flat_network:
  label: demo-net
  cidr: 203.0.113.24/29
  bridge: {{ cluster.interfaces.bridge }}
  multi_host: true
