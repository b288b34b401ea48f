{#- Delete the demo network (pillar flat_network:label). Nova refuses while
    instances still use it: run smoke.first_vm_clean (or delete them) first. -#}
{%- from "macros.jinja" import failed %}
{%- set label = salt["pillar.get"]("flat_network:label") %}
{%- if label %}

nova-flat-network-absent:
  nova_network.absent:
    - name: {{ label | json }}
{%- else %}
{{ failed("nova-flat-network-absent", "flat network",
          "pillar flat_network:label is missing (pillar/flat_network.yaml)") }}
{%- endif %}
