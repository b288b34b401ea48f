{#- The rules file removed, after the service stopped (firewall.service.clean). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - firewall.service.clean

firewall-config-file-absent:
  file.absent:
    - name: {{ hltcloud.firewall.rules_file | json }}
    - require:
      - sls: firewall.service.clean
