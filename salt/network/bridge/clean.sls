{#- The twin of network.bridge: ifcfg-<physical> back from the backup made
    before the first change, ifcfg-<bridge> removed, and the same scheduled
    network restart (only when something changed). Nothing to do where there
    are no network scripts or no backup. -#}
{%- from "network/bridge/ifcfg.jinja" import ifcfg with context %}

{%- if not ifcfg.applicable or ifcfg.errors %}

network-bridge-clean-not-applicable:
  test.succeed_without_changes:
    - name: {{ (ifcfg.errors | join("; ") or ifcfg.reason) | json }}

{%- else %}

{#- Writes only a file that differs from the backup (a forced file.copy
    copies, and reports a change, on every run). #}
network-bridge-physical-ifcfg-restored:
  guarded.restored:
    - name: {{ ifcfg.physical.path | json }}
    - backup: {{ ifcfg.physical.backup | json }}

network-bridge-bridge-ifcfg-absent:
  file.absent:
    - name: {{ ifcfg.bridge.path | json }}
    - require:
      - id: network-bridge-physical-ifcfg-restored
{%-   if ifcfg.restart.cmd %}
{%-     set script = "sleep " ~ ifcfg.restart.delay ~ "; " ~ ifcfg.restart.cmd %}

network-bridge-clean-restart-scheduled:
  cmd.run:
    - name: {{ ("setsid sh -c " ~ script | quote ~ " >>" ~ ifcfg.restart.log | quote ~ " 2>&1") | json }}
    - bg: true
    - order: last
    - onchanges:
      - id: network-bridge-physical-ifcfg-restored
      - file: network-bridge-bridge-ifcfg-absent
{%-   endif %}
{%- endif %}
