{#- Runbook, "OpenStack daemons": nova-network and the metadata API running
    and enabled at boot; both restart when nova.conf changes. On a drained
    node (compute.killswitch, compute/drained.jinja) both are their `clean`
    twins instead: stopped and disabled. The self-heal reactor's selfheal.heal
    restarts the same service: it renders hltcloud.nova.network.service from
    map.jinja (selfheal.service_name). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "compute/drained.jinja" import drained with context %}
{%- set network = hltcloud.nova.network %}
include:
  - nova.config.file
{%- if drained.active %}
  - nova.network.service.clean

nova-network-service-drained:
  test.succeed_without_changes:
    - name: {{ (network.service ~ ", " ~ network.metadata_service ~ " " ~ drained.reason) | json }}
    - require:
      - service: nova-network-service-dead
      - service: nova-network-metadata-service-dead

{%- else %}

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
{%- endif %}
