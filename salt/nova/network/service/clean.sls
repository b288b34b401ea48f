{#- nova-network and the metadata API stopped and disabled. Part of the kill switch. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set network = hltcloud.nova.network %}

nova-network-service-dead:
  service.dead:
    - name: {{ network.service }}
    - enable: false

nova-network-metadata-service-dead:
  service.dead:
    - name: {{ network.metadata_service }}
    - enable: false
