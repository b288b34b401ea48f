{#- Runbook, "Prevent losing bridge configuration": its dhclient exit hook
    (`systemctl restart openstack-nova-network.service`) blocks the boot and is
    NOT installed; the self-heal beacon/reactor puts the gateway address back
    instead. A hook left over from the runbook is removed, but only when that
    restart line (or the same with `service ... restart`), an optional #! line
    and blank lines are all the file holds: an admin's own hook is left alone. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set hook = hltcloud.network.dhclient_hook %}
{%- set service = hltcloud.nova.network.service | regex_escape %}
{%- set restart = "(systemctl\\s+restart\\s+" ~ service ~ "(\\.service)?|service\\s+" ~ service ~ "\\s+restart)" %}
{%- set pattern = "(#![^\\n]*\\n)?\\s*" ~ restart ~ "\\s*" %}

{#- guarded.absent_if_matches, not file.absent with onlyif: an onlyif on a
    file state makes Salt load every state module (_states/guarded.py). #}
network-dhclient-runbook-hook-absent:
  guarded.absent_if_matches:
    - name: {{ hook.path | json }}
    - pattern: {{ pattern | json }}
