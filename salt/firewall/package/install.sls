{#- The iptables tools and boot service in; firewalld out before any rule
    loads (it flushes every chain when it stops). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set fw = hltcloud.firewall %}

firewall-packages-installed:
  pkg.installed:
    - pkgs: {{ fw.pkgs | json }}

{%- for service in fw.conflicting_services %}

firewall-conflicting-service-{{ service }}-dead:
  service.dead:
    - name: {{ service }}
    - enable: false
{%- endfor %}
