{#- Runbook, "The Compute service": libvirtd, dbus and nova-compute running
    and enabled at boot; nova-compute restarts when nova.conf changes. On a
    drained node (compute.killswitch, compute/drained.jinja) nova-compute is
    its `clean` twin instead: stopped and disabled; libvirtd and dbus stay. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "compute/drained.jinja" import drained with context %}
{%- set compute = hltcloud.nova.compute %}
include:
  - nova.config.file
{%- if drained.active %}
  - nova.compute.service.clean
{%- endif %}

{%- for service in compute.support_services %}

nova-compute-support-service-{{ service }}-running:
  service.running:
    - name: {{ service }}
    - enable: true
    - require:
      - sls: nova.compute.package.install
{%- endfor %}

{%- if drained.active %}

nova-compute-service-drained:
  test.succeed_without_changes:
    - name: {{ (compute.service ~ " " ~ drained.reason) | json }}
    - require:
      - service: nova-compute-service-dead

{%- else %}

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
{%- endif %}
