{#- Runbook, "Run your first virtual machine", as a smoke test of the whole cloud:
    the demo user's keypair (`nova keypair-add --pub-key demo-key.pub demo-key`), then
    `nova boot --flavor m1.tiny --image 'CirrOS Test Image' --nic net-id=<demo-net>
    --security-group default --key-name demo-key demo-inst1`, waited for until ACTIVE,
    the same for the runbook's second VM (demo-inst2, parameters smoke:first_vm:second_server),
    then `nova get-vnc-console demo-inst2 novnc` checked against the head's noVNC proxy.
    Names come from parameters smoke:first_vm; pillar smoke:first_vm holds the demo
    user's credentials (auth) and the public key; the network is flat_network:label.
    As in the runbook the admin finds the network's id (`nova network-list`, with
    pillar nova:auth) and the demo user boots on it: Icehouse's os-tenant-networks
    does not show the demo user demo-net, which belongs to no project.
    Apply after nova.flat_network and the CirrOS image; smoke.first_vm_clean undoes it.
    In a dry run on a head whose nova-api is not running yet, with Keystone's URL the
    computed one (no smoke:first_vm:auth:auth_url), it is one state saying what would
    be done (Nova cannot be asked). -#}
{%- from "macros.jinja" import failed, pending, not_running_yet, not_running_in_dry_run with context %}
{%- from "map.jinja" import hltcloud with context %}
{%- set vm = hltcloud.smoke.first_vm %}
{%- set novnc = hltcloud.nova.novncproxy %}
{%- from "keystone/catalog.jinja" import keystone_catalog with context %}
{%- set site = salt["pillar.get"]("smoke:first_vm", {}) or {} %}
{#- Keystone's URL is computed (salt/parameters, cluster:head_fqdn); pillar gives the
    demo user's credentials and may override it. #}
{%- set auth = {"auth_url": keystone_catalog.auth_url} %}
{%- do auth.update(site.get("auth") or {}) %}
{#- The admin (pillar nova:auth, as nova.flat_network) looks the network up. #}
{%- set network_auth = {} %}
{%- if not salt["pillar.get"]("nova:auth:auth_url") %}
{%-   do network_auth.update({"auth_url": keystone_catalog.auth_url}) %}
{%- endif %}
{%- set servers = [vm.server] + ([vm.second_server] if vm.second_server else []) %}
{%- set server_ids = ["smoke-first-vm-server-present", "smoke-first-vm-second-server-present"] %}
{%- set network = salt["pillar.get"]("flat_network:label") %}
{%- set head = salt["pillar.get"]("cluster:head_fqdn") %}
{%- set nova_api = ((hltcloud.nova.controller or {}).services or {}).api %}
{%- set not_running = not_running_in_dry_run(nova_api) == "true"
      and not (site.get("auth") or {}).get("auth_url") %}
{%- set errors = [] %}
{%- if not site.get("public_key") %}
{%-   do errors.append("pillar smoke:first_vm:public_key is missing: copy the demo user's "
                       ~ "OpenSSH public key (ssh-keygen; the runbook's demo-key.pub) "
                       ~ "to pillar/demo-key.pub on the master") %}
{%- endif %}
{%- if not site.get("auth") %}
{%-   do errors.append("pillar smoke:first_vm:auth is missing (the demo user's credentials, pillar/smoke.sls)") %}
{%- endif %}
{%- if not network %}
{%-   do errors.append("pillar flat_network:label is missing (pillar/flat_network.yaml)") %}
{%- endif %}
{%- if not head %}
{%-   do errors.append("pillar cluster:head_fqdn is missing") %}
{%- endif %}

{%- if errors %}

{{ failed("smoke-first-vm-described", "first VM",
          "The first VM is not described: " ~ errors | join("; ")) }}

{%- elif not_running %}

{{ pending("smoke-first-vm-server-present",
           "keypair " ~ vm.keypair ~ ", server " ~ servers | join(" and server ") ~ " (" ~ vm.flavor ~ ", "
           ~ vm.image ~ ", on " ~ network ~ ") would be made and checked unless Nova already "
           ~ "has them " ~ not_running_yet(nova_api)) }}

{%- else %}

smoke-first-vm-keypair-present:
  nova_keypair.present:
    - name: {{ vm.keypair | json }}
    - public_key: {{ site.public_key | json }}
    - auth: {{ auth | json }}

{%-   for server in servers %}

{{ server_ids[loop.index0] }}:
  nova_server.present:
    - name: {{ server | json }}
    - flavor: {{ vm.flavor | json }}
    - image: {{ vm.image | json }}
    - networks: {{ [network] | json }}
    - network_auth: {{ network_auth | json }}
    - security_groups: {{ vm.security_groups | json }}
    - key_name: {{ vm.keypair | json }}
    - timeout: {{ vm.timeout }}
    - interval: {{ vm.interval }}
    - auth: {{ auth | json }}
    - require:
      - nova_keypair: smoke-first-vm-keypair-present
{%-     if not loop.first %}
      - nova_server: {{ server_ids[loop.index0 - 1] }}
{%-     endif %}
{%-   endfor %}

smoke-first-vm-console-checked:
  nova_server.vnc_console:
    - name: {{ servers[-1] | json }}
    - console_type: {{ vm.console_type | json }}
    - url_prefix: {{ (novnc.protocol ~ "://" ~ head ~ ":" ~ novnc.port ~ novnc.path ~ "?token=") | json }}
    - auth: {{ auth | json }}
    - require:
      - nova_server: {{ server_ids[servers | length - 1] }}
{%- endif %}
