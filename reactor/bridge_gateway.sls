{#- Beacon bridge_gateway: a compute node's bridge lost the flat network's
    gateway address while guests there need it. Heal it on that node alone:
    selfheal.heal restarts nova-network (the map's nova.network.service, read
    there; debounced there: one heal at a time, a cool-down between restarts
    that doubles after each failure, a give-up event after N failures) and
    checks that the address is back.

    Any accepted minion can send any event, with any tag and data: nothing
    here is taken from `data` (its `id` could be "*"). The node is the id in
    the tag, salt/beacon/<id>/bridge_gateway/gateway_missing, and only when
    that id is exactly an inventory compute node's (hltcloud.node_name, the
    pillar top's rule), targeted by that id in a list (with the other nodes
    queued at the same time, never a pattern). A tag naming
    another node than its sender still reaches only that node, whose
    selfheal.heal acts only where guests run or its own beacon asked.

    One heal queued per node (heal_gate.enqueue, on the master): the beacon
    fires every few seconds while the address is missing, and a switch flap takes
    it from every node at once; only a node's first event queues a heal, the next
    ones for hltcloud_heal_hold seconds queue nothing. The event that finds no
    dispatcher running starts one, runner.heal_gate.dispatch: in the reactor's
    worker pool, not this loop, it publishes every heal queued meanwhile as one
    job to that list of ids (_utils/heal_queue.py). Cheap per event: a dict
    look-up, one stat of the node's mark file, and two small writes per heal.
-#}
{%- set prefix = "salt/beacon/" %}
{%- set suffix = "/bridge_gateway/gateway_missing" %}
{%- set inventory = opts.get("hltcloud_inventory") or {} %}
{%- set minion = none %}
{%- if tag.startswith(prefix) and tag.endswith(suffix) %}
{%-   set minion = tag[prefix | length : (tag | length) - (suffix | length)] %}
{%- endif %}
{%- set name = salt["hltcloud.node_name"](inventory, minion) if minion else none %}
{%- set compute = name and inventory.nodes[name].get("role") == "compute" %}
{%- if compute and salt["heal_gate.enqueue"](minion, opts.get("hltcloud_heal_hold")) %}
selfheal-bridge-gateway-dispatch:
  runner.heal_gate.dispatch:
    - led: true
{%- endif %}
