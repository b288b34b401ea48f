{#- Beacon bridge_gateway: a compute node's bridge lost the flat network's
    gateway address. Heal it on that node alone: selfheal.heal restarts
    nova-network (debounced there: one heal at a time, a cool-down between
    restarts) and checks that the address is back. -#}
{%- if data.get("id") %}
selfheal-bridge-gateway-{{ data["id"] }}:
  local.selfheal.heal:
    - tgt: {{ data["id"] | json }}
{%- endif %}
