{#- Runbook: `service qpidd start; chkconfig qpidd on`; restarted when
    qpidd.conf changes. -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - qpid.config.file

qpid-service-running:
  service.running:
    - name: {{ hltcloud.qpid.service | json }}
    - enable: true
    - require:
      - sls: qpid.config.file
    - watch:
      - sls: qpid.config.file
