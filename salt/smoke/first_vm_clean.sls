{#- Undo smoke.first_vm: delete the server (and wait until Nova has removed it),
    then the keypair. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set vm = hltcloud.smoke.first_vm %}
{%- from "keystone/catalog.jinja" import keystone_catalog with context %}
{%- set auth = {"auth_url": keystone_catalog.auth_url} %}
{%- do auth.update(salt["pillar.get"]("smoke:first_vm:auth") or {}) %}

smoke-first-vm-server-absent:
  nova_server.absent:
    - name: {{ vm.server | json }}
    - timeout: {{ vm.timeout }}
    - interval: {{ vm.interval }}
    - auth: {{ auth | json }}

smoke-first-vm-keypair-absent:
  nova_keypair.absent:
    - name: {{ vm.keypair | json }}
    - auth: {{ auth | json }}
    - require:
      - nova_server: smoke-first-vm-server-absent
