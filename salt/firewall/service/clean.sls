{#- The iptables (and ip6tables) service stopped and disabled (its stop flushes the rules). -#}
{%- from "map.jinja" import hltcloud with context %}

firewall-service-dead:
  service.dead:
    - name: {{ hltcloud.firewall.service | json }}
    - enable: false
{%- if hltcloud.firewall.ipv6.service %}

firewall-service-ipv6-dead:
  service.dead:
    - name: {{ hltcloud.firewall.ipv6.service | json }}
    - enable: false
{%- endif %}
