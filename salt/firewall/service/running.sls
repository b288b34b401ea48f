{#- Runbook, "Getting started": iptables enabled at boot and started, only
    once its rules file is in place and loaded (firewall.config.file): it
    never starts with the distribution's stock rules, which would shut
    Salt's and OpenStack's ports. No watch: a changed file is loaded
    atomically by firewall.config.file, never by a service restart (a
    restart flushes the rules first). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - firewall.config.file

firewall-service-running:
  service.running:
    - name: {{ hltcloud.firewall.service | json }}
    - enable: true
    - require:
      - id: firewall-config-file-managed
      - sls: firewall.config.file
