{#- qpidd stopped and disabled. -#}
{%- from "map.jinja" import hltcloud with context %}

qpid-service-dead:
  service.dead:
    - name: {{ hltcloud.qpid.service | json }}
    - enable: false
