{#- Self-healing br100 on the compute nodes: the bridge_gateway beacon fires
    while the flat network's gateway address is missing from the bridge, the
    master's reactor (reactor/bridge_gateway.sls) runs selfheal.heal there. -#}
{%- from "lib/cluster.jinja" import cluster with context %}
{%- import_yaml "flat_network.yaml" as flat_network %}
{%- set bridge = flat_network.get("bridge", cluster.interfaces.bridge) %}
selfheal:
  bridge: {{ bridge }}
  network: {{ flat_network.cidr }}
  service: openstack-nova-network   # restarting it re-adds the gateway address
  cooldown: 30                      # seconds between two restarts
  timeout: 10                       # seconds to wait for the address after a restart

beacons:
  bridge_gateway:
    - bridge: {{ bridge }}
    - network: {{ flat_network.cidr }}
    - interval: 1
    - disable_during_state_run: true
