{#- The rules files (IPv4 and IPv6) removed, after the service stopped (firewall.service.clean). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - firewall.service.clean

firewall-config-file-absent:
  file.absent:
    - name: {{ hltcloud.firewall.rules_file | json }}
    - require:
      - sls: firewall.service.clean
{%- if hltcloud.firewall.ipv6.rules_file %}

firewall-config-ipv6-file-absent:
  file.absent:
    - name: {{ hltcloud.firewall.ipv6.rules_file | json }}
    - require:
      - sls: firewall.service.clean
{%- endif %}
