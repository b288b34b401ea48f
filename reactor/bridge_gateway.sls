{#- Beacon bridge_gateway: a compute node's bridge lost the flat network's
    gateway address while guests there need it. Heal it on that node alone:
    selfheal.heal restarts nova-network (the map's nova.network.service, read
    there; debounced there: one heal at a time, a cool-down between restarts
    that doubles after each failure, a give-up event after N failures) and
    checks that the address is back. -#}
{%- if data.get("id") %}
selfheal-bridge-gateway-{{ data["id"] }}:
  local.selfheal.heal:
    - tgt: {{ data["id"] | json }}
{%- endif %}
