{#- IPv6 back at the next boot: the sysctl.d file removed. -#}
{%- from "map.jinja" import hltcloud with context %}

network-ipv6-sysctl-file-absent:
  file.absent:
    - name: {{ hltcloud.network.ipv6.sysctl_file | json }}
