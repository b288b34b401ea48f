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
{%- set pattern = "\\A(#![^\\n]*\\n)?\\s*" ~ restart ~ "\\s*\\Z" %}

network-dhclient-runbook-hook-absent:
  file.absent:
    - name: {{ hook.path | json }}
    - onlyif:
      - fun: file.search
        path: {{ hook.path | json }}
        pattern: {{ pattern | json }}
        multiline: true
        ignore_if_missing: true
