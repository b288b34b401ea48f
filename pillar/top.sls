{#- Pillar by minion id, never by grain: a minion chooses its own grains, so a
    grain cannot decide who gets a secret. The top is rendered for one minion
    at a time, and opts.id is the id the master authenticated (its accepted
    key), not anything the minion says: it gets an entry only when that id is
    an inventory node's (hltcloud_inventory, etc/salt/cluster.conf in the
    master's config), `cnXX.<domain>` (the one id form of a node: one accepted
    key per node gets its secrets; the rule is _utils/hltcloud_ids.py, asked
    through hltcloud.node_name, as the ext_pillar asks it), and the entry is that one id
    alone, matched exactly (a list of one; an id with a comma, or one that
    only looks like a node's, matches nothing). It gets the cluster data and
    only its own role's secrets; an id outside the inventory gets no pillar at
    all (and the ext_pillar drops `secrets` for it). One look-up per minion:
    the top's size does not grow with the inventory. The `role` grain stays
    for state targeting (salt/top.sls) and display only. -#}
{%- set inventory = opts.get("hltcloud_inventory") or {} %}
{%- set minion_id = opts.get("id") %}
{%- set name = salt["hltcloud.node_name"](inventory, minion_id) %}
{%- set role = inventory.nodes[name].get("role") if name else none %}
{%- if role == "head" %}
base:
  {{ minion_id | json }}:
    - match: list
    - cluster
    - secrets.head
    - keystone
    - client
    - glance
    - nova
    - smoke
    - schedule
{%- elif role == "compute" %}
base:
  {{ minion_id | json }}:
    - match: list
    - cluster
    - secrets.compute
    - selfheal
    - schedule
{%- else %}
base: {}
{%- endif %}
