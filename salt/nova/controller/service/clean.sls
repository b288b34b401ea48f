{#- The six controller services stopped and disabled. -#}
{%- from "map.jinja" import hltcloud with context %}

{%- for key, service in hltcloud.nova.controller.services.items() %}

nova-controller-service-{{ key }}-dead:
  service.dead:
    - name: {{ service | json }}
    - enable: false
{%- endfor %}
