{#- The rules files (IPv4 and IPv6) removed, after the service stopped (firewall.service.clean);
    then the nodes' ipset (parameters firewall:ipset), which no rule matches any more: its file,
    its boot drop-in and the set itself. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set fw = hltcloud.firewall %}
include:
  - firewall.service.clean

firewall-config-file-absent:
  file.absent:
    - name: {{ fw.rules_file | json }}
    - require:
      - sls: firewall.service.clean
{%- if fw.ipv6.rules_file %}

firewall-config-ipv6-file-absent:
  file.absent:
    - name: {{ fw.ipv6.rules_file | json }}
    - require:
      - sls: firewall.service.clean
{%- endif %}
{%- for path in [fw.ipset.file, fw.ipset.boot_dropin] | select %}

firewall-config-ipset-{{ "file" if path == fw.ipset.file else "boot-dropin" }}-absent:
  file.absent:
    - name: {{ path | json }}
    - require:
      - sls: firewall.service.clean
{%- endfor %}

firewall-config-ipset-destroyed:
  cmd.run:
    - name: {{ (fw.ipset.cmd ~ " destroy " ~ fw.ipset.name) | json }}
    - onlyif: {{ (fw.ipset.cmd ~ " list -n " ~ fw.ipset.name) | json }}
    - require:
      - sls: firewall.service.clean
