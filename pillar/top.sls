{#- Pillar by minion id, never by grain: a minion chooses its own grains, so a
    grain cannot decide who gets a secret. The ids come from the inventory
    (hltcloud_inventory, etc/salt/cluster.conf in the master's config): each
    node is `cnXX` or `cnXX.<domain>`, and gets the cluster data and only its
    own role's secrets. An id outside the inventory gets no pillar at all. The
    `role` grain stays for state targeting (salt/top.sls) and display only. -#}
{%- set inventory = opts.get("hltcloud_inventory") or {} %}
{%- set domain = inventory.get("domain") %}
{%- set ids = {"head": [], "compute": []} %}
{%- for name, node in (inventory.get("nodes") or {}) | dictsort %}
{%-   if node is mapping and node.get("role") in ids %}
{%-     do ids[node.role].append(name) %}
{%-     if domain %}{% do ids[node.role].append(name ~ "." ~ domain) %}{% endif %}
{%-   endif %}
{%- endfor %}
{%- if not (ids.head or ids.compute) %}
base: {}
{%- else %}
base:
{%-   if ids.head %}
  {{ ids.head | join(",") | json }}:
    - match: list
    - cluster
    - secrets.head
    - keystone
    - client
    - glance
    - nova
    - smoke
    - schedule
{%-   endif %}
{%-   if ids.compute %}
  {{ ids.compute | join(",") | json }}:
    - match: list
    - cluster
    - secrets.compute
    - selfheal
    - schedule
{%-   endif %}
{%- endif %}
