{#- Runbook: openstack-glance-api and openstack-glance-registry started and
    enabled at boot (service ... start; chkconfig ... on), after db_sync; each
    restarts when its own config file changes. -#}
{%- from "glance/conf.jinja" import glance_conf with context %}
include:
  - glance.db.sync

{%- for daemon, file in glance_conf.files | dictsort %}

glance-{{ daemon }}-service-running:
  service.running:
    - name: {{ file.service | json }}
    - enable: true
    - require:
      - sls: glance.db.sync
    - watch:
      - id: glance-config-{{ daemon }}-file-managed
{%- endfor %}
