{#- Runbook, "Create a network bridge containing the current interface":
    ifcfg-<physical> (em1) enslaved to ifcfg-<bridge> (br100), after a one-time
    backup of the admin's own ifcfg-<physical>. NetworkManager off and the
    network service on come from common.service (runbook, "Disable any fancy
    network managers"), required first so NetworkManager never acts on these
    files. The network restart is network.bridge.restart. When the interface
    names or the MAC address are missing, one state fails and says so: no
    ifcfg file is written without its HWADDR. -#}
{%- from "macros.jinja" import failed %}
{%- from "network/bridge/ifcfg.jinja" import ifcfg with context %}
include:
  - common.service

{%- if not ifcfg.applicable %}

network-bridge-not-applicable:
  test.succeed_without_changes:
    - name: {{ ifcfg.reason | json }}

{%- elif ifcfg.errors %}

{{ failed("network-bridge-ifcfg-files-managed", ifcfg.physical.path,
          "ifcfg files not written: " ~ ifcfg.errors | join("; ")) }}

{%- else %}

{#- Once: only while there is no backup yet, only an existing file, and
    never a file this state wrote itself (one with the marker line). #}
network-bridge-physical-ifcfg-backed-up:
  guarded.copied_once:
    - name: {{ ifcfg.physical.backup | json }}
    - source: {{ ifcfg.physical.path | json }}
    - marker: {{ ifcfg.marker | json }}
    - require:
      - sls: common.service

network-bridge-physical-ifcfg-managed:
  file.managed:
    - name: {{ ifcfg.physical.path | json }}
    - contents: {{ ifcfg.physical.contents | json }}
    - mode: {{ ifcfg.mode | string | json }}
    - require:
      - id: network-bridge-physical-ifcfg-backed-up
      - sls: common.service

network-bridge-bridge-ifcfg-managed:
  file.managed:
    - name: {{ ifcfg.bridge.path | json }}
    - contents: {{ ifcfg.bridge.contents | json }}
    - mode: {{ ifcfg.mode | string | json }}
    - require:
      - sls: common.service
{%- endif %}
