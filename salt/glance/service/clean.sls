{#- The Glance daemons stopped and disabled. -#}
{%- from "glance/conf.jinja" import glance_conf with context %}

{%- for daemon, file in glance_conf.files | dictsort %}

glance-{{ daemon }}-service-dead:
  service.dead:
    - name: {{ file.service | json }}
    - enable: false
{%- endfor %}
