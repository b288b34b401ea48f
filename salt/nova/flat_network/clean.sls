{#- Delete the demo network (pillar flat_network:label). Nova refuses while
    instances still use it: run smoke.first_vm_clean (or delete them) first. -#}
{%- set label = salt["pillar.get"]("flat_network:label") %}

nova-flat-network-absent:
{%- if label %}
  nova_network.absent:
    - name: {{ label | json }}
{%- else %}
  test.configurable_test_state:
    - name: flat network
    - changes: false
    - result: false
    - allow_test_mode_failure: true
    - comment: pillar flat_network:label is missing (pillar/flat_network.yaml)
{%- endif %}
