{#- Undo smoke.first_vm: delete the servers (and wait until Nova has removed
    them), then the keypair. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set vm = hltcloud.smoke.first_vm %}
{%- from "keystone/catalog.jinja" import keystone_catalog with context %}
{%- set auth = {"auth_url": keystone_catalog.auth_url} %}
{%- do auth.update(salt["pillar.get"]("smoke:first_vm:auth") or {}) %}

{%- set servers = [vm.server] + ([vm.second_server] if vm.second_server else []) %}
{%- set server_ids = ["smoke-first-vm-server-absent", "smoke-first-vm-second-server-absent"] %}
{%- for server in servers %}

{{ server_ids[loop.index0] }}:
  nova_server.absent:
    - name: {{ server | json }}
    - timeout: {{ vm.timeout }}
    - interval: {{ vm.interval }}
    - auth: {{ auth | json }}
{%- endfor %}

smoke-first-vm-keypair-absent:
  nova_keypair.absent:
    - name: {{ vm.keypair | json }}
    - auth: {{ auth | json }}
    - require:
{%- for server in servers %}
      - nova_server: {{ server_ids[loop.index0] }}
{%- endfor %}
