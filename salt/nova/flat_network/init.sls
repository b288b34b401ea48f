{#- Runbook, "Create a demo network": `nova network-create demo-net --bridge br100
    --multi-host T --fixed-range-v4 203.0.113.24/29`, as a state. The network is
    pillar flat_network (pillar/flat_network.yaml: label, cidr, multi_host); its bridge
    and the interface in it are the inventory's (pillar cluster:interfaces). Credentials: pillar nova:auth (admin). It runs on the
    head once the compute nodes run nova-network (orch.cloud's step after the compute
    batches; not in salt/head.sls): Nova creates a network through a nova-network, so
    while os-services shows none up nova_network refuses with one line (in a dry run:
    would be created, a run now would fail). nova_network waits for nova-api to answer
    (nova:auth:retry_timeout). In a dry run (test=True) on a head whose
    nova-api is not running yet (the first dry run of `orch.cloud`), with Keystone's
    URL the computed one (no nova:auth:auth_url), Nova cannot be asked: the network
    is one state saying what would be done, as the Keystone catalog does. -#}
{%- from "macros.jinja" import failed, pending, not_running_yet, not_running_in_dry_run with context %}
{%- from "map.jinja" import hltcloud with context %}
{%- from "keystone/catalog.jinja" import keystone_catalog with context %}
{%- set net = salt["pillar.get"]("flat_network", {}) or {} %}
{%- set interfaces = salt["pillar.get"]("cluster:interfaces", {}) or {} %}
{%- set own_keystone = not salt["pillar.get"]("nova:auth:auth_url") %}
{%- set nova_api = ((hltcloud.nova.controller or {}).services or {}).api %}
{%- set not_running = own_keystone and not_running_in_dry_run(nova_api) == "true" %}
{%- set errors = [] %}
{%- for key in ("label", "cidr") %}
{%-   if net.get(key) is none %}
{%-     do errors.append("pillar flat_network:" ~ key ~ " is missing (pillar/flat_network.yaml)") %}
{%-   endif %}
{%- endfor %}
{%- for key in ("physical", "bridge") %}
{%-   if not interfaces.get(key) %}
{%-     do errors.append("pillar cluster:interfaces:" ~ key ~ " is missing (interfaces in etc/salt/cluster.conf)") %}
{%-   endif %}
{%- endfor %}

{%- if errors %}

{{ failed("nova-flat-network-present", "flat network",
          "The flat network is not described: " ~ errors | join("; ")) }}

{%- elif not_running %}

{{ pending("nova-flat-network-present",
           "network " ~ net.label ~ " (" ~ net.cidr ~ " on " ~ interfaces.bridge ~ ") would be created "
           ~ "unless Nova already has it " ~ not_running_yet(nova_api)) }}

{%- else %}

nova-flat-network-present:
  nova_network.present:
    - name: {{ net.label | json }}
    - cidr: {{ net.cidr | string | json }}
    - bridge: {{ interfaces.bridge | json }}
    - bridge_interface: {{ interfaces.physical | json }}
{%-   if own_keystone %}
    {#- Keystone's URL is computed (salt/parameters, cluster:head_fqdn); pillar nova:auth
        gives the credentials and may override it. #}
    - auth: {{ {"auth_url": keystone_catalog.auth_url} | json }}
{%-   endif %}
{%-   for key in ("multi_host", "gateway", "dns1", "dns2") %}
{%-     if net.get(key) is not none %}
    - {{ key }}: {{ net[key] | json }}
{%-     endif %}
{%-   endfor %}
{%- endif %}
