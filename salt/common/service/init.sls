{%- from "map.jinja" import hltcloud with context %}
include:
  - common.package

{%- for service in hltcloud.common.services.disabled %}

common-service-{{ service }}-dead:
  service.dead:
    - name: {{ service }}
    - enable: false
{%- endfor %}

{%- for service in hltcloud.common.services.enabled %}

{#- Enabled for the next boot, not started here. (iptables is not one of
    these: the firewall formula enables it together with its rules.) #}
common-service-{{ service }}-enabled:
  service.enabled:
    - name: {{ service }}
    - require:
      - sls: common.package
{%- endfor %}
