{#- The iptables service stopped and disabled (its stop flushes the rules). -#}
{%- from "map.jinja" import hltcloud with context %}

firewall-service-dead:
  service.dead:
    - name: {{ hltcloud.firewall.service | json }}
    - enable: false
