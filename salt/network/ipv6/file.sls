{#- Runbook, "Create a network bridge containing the current interface":
    IPv6 off for good through a sysctl.d file, loaded now when it changes
    (instead of the runbook's reboot). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set ipv6 = hltcloud.network.ipv6 %}
{%- set lines = [] %}
{%- for key, value in ipv6.settings | dictsort %}
{%-   do lines.append(key ~ "=" ~ value) %}
{%- endfor %}

network-ipv6-sysctl-file-managed:
  file.managed:
    - name: {{ ipv6.sysctl_file | json }}
    - contents: {{ (lines | join("\n") ~ "\n") | json }}
    - mode: {{ ipv6.file_mode | string | json }}

network-ipv6-sysctl-file-loaded:
  cmd.run:
    - name: {{ (ipv6.load_cmd ~ " " ~ ipv6.sysctl_file) | json }}
    - onchanges:
      - file: network-ipv6-sysctl-file-managed
