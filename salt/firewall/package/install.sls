{#- The iptables tools and boot service in. firewalld goes in
    firewall.config.file, once the new rules files are written and checked:
    bad data leaves it running (fail closed). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set fw = hltcloud.firewall %}

firewall-packages-installed:
  pkg.installed:
    - pkgs: {{ fw.pkgs | json }}
