{#- The kill switch lifted: the drained mark removed, then nova-compute,
    nova-network and the metadata API started and enabled again.
        salt cn44.internal state.apply compute.resume
    The services' states are written here, not included from
    nova.*.service.running: those render their `clean` twins while the mark
    is still there when this run starts (compute/drained.jinja). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "compute/drained.jinja" import drained with context %}

compute-resume-drained-grain-absent:
  grains.absent:
    - name: {{ drained.grain | json }}
    - destructive: true

{%- for state_id, service in [
      ("nova-compute-service", hltcloud.nova.compute.service),
      ("nova-network-service", hltcloud.nova.network.service),
      ("nova-network-metadata-service", hltcloud.nova.network.metadata_service),
    ] %}

compute-resume-{{ state_id }}-running:
  service.running:
    - name: {{ service | json }}
    - enable: true
    - require:
      - grains: compute-resume-drained-grain-absent
{%- endfor %}
