{#- Self-healing br100 on the compute nodes: the bridge_gateway beacon fires
    while the flat network's gateway address is missing from the bridge, the
    master's reactor (reactor/bridge_gateway.sls) runs selfheal.heal there. -#}
{%- from "lib/cluster.jinja" import cluster with context %}
{%- import_yaml "flat_network.yaml" as flat_network %}
{%- set bridge = cluster.interfaces.bridge %}
selfheal:
  bridge: {{ bridge }}
  network: {{ flat_network.cidr }}
  # The service restarted is nova.network.service of salt/map.jinja, the name
  # the states run (selfheal.service_name): no copy of it here. cooldown (30 s),
  # timeout (10 s), backoff_max (600 s) and giveup_after (5) are selfheal's own
  # defaults (SELFHEAL_DEFAULTS, _utils/hltcloud_schema.py): set one here only
  # to change it (pillar.example).

beacons:
  bridge_gateway:
    - bridge: {{ bridge }}
    - network: {{ flat_network.cidr }}
    - interval: 1
    # fires at the first look that finds the address missing, then every `repeat`
    # seconds (the beacon's default, 5) while it stays missing
    - disable_during_state_run: true
