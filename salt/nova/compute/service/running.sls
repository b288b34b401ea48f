{#- Runbook, "The Compute service": libvirtd, dbus and nova-compute running
    and enabled at boot; nova-compute restarts when nova.conf changes. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set compute = hltcloud.nova.compute %}
include:
  - nova.config.file

{%- for service in compute.support_services %}

nova-compute-support-service-{{ service }}-running:
  service.running:
    - name: {{ service }}
    - enable: true
    - require:
      - sls: nova.compute.package.install
{%- endfor %}

nova-compute-service-running:
  service.running:
    - name: {{ compute.service }}
    - enable: true
    - require:
      - sls: nova.config.file
{%- for service in compute.support_services %}
      - service: nova-compute-support-service-{{ service }}-running
{%- endfor %}
    - watch:
      - id: nova-config-file-managed
