{#- Remove the iptables boot service's packages, after the service and the
    rules file (firewall.service.clean, firewall.config.clean). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - firewall.config.clean

firewall-packages-removed:
  pkg.removed:
    - pkgs: {{ hltcloud.firewall.pkgs | json }}
    - require:
      - sls: firewall.config.clean
