{#- Runbook, "Firewall": the node's rules as ONE file in iptables-save format
    (parameters firewall:rules_file), rendered from the port tables by
    files/rules.jinja with the data of firewall/rules.jinja. The new file is
    checked with `iptables-restore --test` before it replaces the old one and
    loaded with one atomic iptables-restore when it changed. A bad pillar
    value makes the same ID a state that fails and names the key: nothing is
    written or loaded then, and the iptables service, which requires it, is
    neither enabled nor started. The IPv6 file (parameters firewall:ipv6)
    goes the same way with ip6tables-restore.

    Fail closed: firewalld (parameters firewall:conflicting_services) stops
    only once every new rules file is written and checked, and the rules load
    right after it stops (it flushes every chain when it stops). With bad
    data nothing is written, firewalld keeps filtering, and the schema
    (_modules/hltcloud.py, run by the ext_pillar) has refused the run before
    any state.

    The head's rules match the inventory's nodes by one ipset (parameters
    firewall:ipset): its file is written and the set loaded (swapped in,
    atomically, when its members differ from the file's) before the rules
    file is checked, since a rule naming a missing set does not load. -#}
{%- from "macros.jinja" import failed %}
{%- from "map.jinja" import hltcloud with context %}
{%- from "firewall/rules.jinja" import firewall_rules, firewall_rules6 with context %}
{%- set fw = hltcloud.firewall %}
{%- set nodes_set = firewall_rules.node_set %}
include:
  - firewall.package.install

{%- if firewall_rules.errors %}

{{ failed("firewall-config-file-managed", (fw.rules_file or "firewall rules"),
          (fw.rules_file or "firewall rules") ~ " not written: " ~ firewall_rules.errors | join("; ")) }}

{%- else %}
{%-   if nodes_set %}
{%-     set cmd = fw.ipset.cmd %}
{%-     set new = nodes_set.name ~ "-new" %}

firewall-config-ipset-file-managed:
  file.managed:
    - name: {{ fw.ipset.file | json }}
    - source: salt://firewall/files/ipset.jinja
    - template: jinja
    - context: {{ nodes_set | json }}
    - mode: {{ fw.file_mode | string | json }}
    - makedirs: true
    - require:
      - sls: firewall.package.install

{#- Already right when the set in the kernel has the file's members. Else the
    file's members go into a new set that takes the old one's place in one
    swap: the rules matching it never see a half-filled set. #}
firewall-config-ipset-loaded:
  cmd.run:
    - name: >-
        set -e;
        {{ cmd }} list -n {{ nodes_set.name }} >/dev/null 2>&1 || {{ cmd }} create {{ nodes_set.name }} {{ nodes_set.type }} {{ nodes_set.options }};
        {{ cmd }} destroy {{ new }} >/dev/null 2>&1 || true;
        {{ cmd }} create {{ new }} {{ nodes_set.type }} {{ nodes_set.options }};
        sed -n 's/^add {{ nodes_set.name }} /add {{ new }} /p' {{ fw.ipset.file }} | {{ cmd }} restore;
        {{ cmd }} swap {{ new }} {{ nodes_set.name }};
        {{ cmd }} destroy {{ new }}
    - unless: >-
        test "$({{ cmd }} save {{ nodes_set.name }} 2>/dev/null | grep '^add ' | LC_ALL=C sort)"
        = "$(grep '^add ' {{ fw.ipset.file }} | LC_ALL=C sort)"
    - require:
      - file: firewall-config-ipset-file-managed
{%-     if fw.ipset.boot_dropin %}

{#- The boot service loads the set before the rules (parameters firewall:ipset). #}
firewall-config-ipset-boot-dropin-managed:
  file.managed:
    - name: {{ fw.ipset.boot_dropin | json }}
    - source: salt://firewall/files/ipset-dropin.jinja
    - template: jinja
    - context: {{ {"cmd": cmd, "file": fw.ipset.file, "shell": fw.ipset.shell, "service": fw.service} | json }}
    - mode: "0644"
    - makedirs: true
    - require:
      - cmd: firewall-config-ipset-loaded
{%-     endif %}
{%-   endif %}

firewall-config-file-managed:
  file.managed:
    - name: {{ fw.rules_file | json }}
    - source: salt://firewall/files/rules.jinja
    - template: jinja
    - context: {{ firewall_rules | json }}
    - mode: {{ fw.file_mode | string | json }}
    - makedirs: true
    - check_cmd: {{ fw.check_cmd | json }}
    - require:
      - sls: firewall.package.install
{%-   if nodes_set %}
      - cmd: firewall-config-ipset-loaded
{%-   endif %}

{%-   if fw.ipv6.rules_file %}

{#- IPv6 (parameters firewall:ipv6): the same steps for the ip6tables file. #}
firewall-config-ipv6-file-managed:
  file.managed:
    - name: {{ fw.ipv6.rules_file | json }}
    - source: salt://firewall/files/rules.jinja
    - template: jinja
    - context: {{ firewall_rules6 | json }}
    - mode: {{ fw.file_mode | string | json }}
    - makedirs: true
    - check_cmd: {{ fw.ipv6.check_cmd | json }}
    - require:
      - sls: firewall.package.install

{%-   endif %}
{%-   for service in fw.conflicting_services %}

firewall-conflicting-service-{{ service }}-dead:
  service.dead:
    - name: {{ service }}
    - enable: false
    - require:
      - file: firewall-config-file-managed
{%-     if fw.ipv6.rules_file %}
      - file: firewall-config-ipv6-file-managed
{%-     endif %}
{%-   endfor %}

{#- Loaded when the file changed, or when firewalld stopping flushed the chains. #}
firewall-config-rules-loaded:
  cmd.run:
    - name: {{ (fw.load_cmd ~ " " ~ fw.rules_file) | json }}
    - onchanges:
      - file: firewall-config-file-managed
{%-   for service in fw.conflicting_services %}
      - service: firewall-conflicting-service-{{ service }}-dead
{%-   endfor %}
{%-   if fw.ipv6.rules_file %}

firewall-config-ipv6-rules-loaded:
  cmd.run:
    - name: {{ (fw.ipv6.load_cmd ~ " " ~ fw.ipv6.rules_file) | json }}
    - onchanges:
      - file: firewall-config-ipv6-file-managed
{%-     for service in fw.conflicting_services %}
      - service: firewall-conflicting-service-{{ service }}-dead
{%-     endfor %}
{%-   endif %}
{%- endif %}
