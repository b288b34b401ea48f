{#- Runbook, "Compute: Nova management": api, cert, consoleauth, scheduler,
    conductor and novncproxy running and enabled at boot, after the schema
    sync. api, scheduler and conductor restart when nova.conf changes (the
    controller part of "Legacy networking"); the others only need it to start. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set controller = hltcloud.nova.controller %}
include:
  - nova.config.file
  - nova.controller.db.sync

{%- for key, service in controller.services.items() %}

nova-controller-service-{{ key }}-running:
  service.running:
    - name: {{ service | json }}
    - enable: true
    - require:
      - sls: nova.config.file
      - sls: nova.controller.db.sync
{%-   if key in controller.watch_config %}
    - watch:
      - id: nova-config-file-managed
{%-   endif %}
{%- endfor %}
