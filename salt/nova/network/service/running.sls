{#- Runbook, "OpenStack daemons": nova-network and the metadata API running
    and enabled at boot; both restart when nova.conf changes. The self-heal
    reactor's selfheal.heal restarts the same service: it renders
    hltcloud.nova.network.service from map.jinja (selfheal.service_name). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set network = hltcloud.nova.network %}
include:
  - nova.config.file

nova-network-service-running:
  service.running:
    - name: {{ network.service }}
    - enable: true
    - require:
      - sls: nova.config.file
    - watch:
      - id: nova-config-file-managed

nova-network-metadata-service-running:
  service.running:
    - name: {{ network.metadata_service }}
    - enable: true
    - require:
      - sls: nova.config.file
    - watch:
      - id: nova-config-file-managed
