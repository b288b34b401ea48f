{#- The whole cloud in the runbook's order, from the master:

        salt-run state.orchestrate orch.cloud                  # for real
        salt-run state.orchestrate orch.cloud test=True        # every step in test mode
        salt-run state.orchestrate orch.cloud pillar='{"smoke": true}'   # + the first VM

    1. the head: its highstate (salt/head.sls, whose include order is the runbook's:
       validate, common, repository, firewall, MariaDB, Qpid, Keystone, Glance, Nova
       controller);
    2. the compute nodes, `orch:batch` at a time (default 2), each batch a highstate
       (salt/compute.sls) that requires the head: a failed head stops the run before
       any compute node is touched; a failed compute node fails its batch step, which
       names it, and the other batches still run;
    3. the demo network (nova.flat_network) on the head, once the compute batches ran:
       creating it needs a nova-network up (the state refuses while os-services shows
       none);
    4. with pillar smoke: true, the first VM (smoke.first_vm) on the head.

    Nodes and roles come from the inventory (opts hltcloud_inventory,
    etc/salt/cluster.conf), ids <name>.<domain>. The highstate (not state.sls of the
    role bundle) syncs the custom modules before it runs and is what `salt-run
    hlt.status` reports. Batches are cut here, one step each, rather than with Salt's
    `batch:` option: a batch run leaves out a minion that does not answer and counts it
    as neither failed nor done, while a step targeting a list fails and names it.
    Its pillar stays on the master; `orch:pillar` is handed to every step, merged over
    each node's own pillar, e.g. pillar='{"orch": {"pillar": {"nova": {"auth":
    {"retry_timeout": 5}}}}}'. -#}
{%- from "macros.jinja" import failed %}
{%- set inventory = opts.get("hltcloud_inventory") or {} %}
{%- set domain = inventory.get("domain") %}
{%- set nodes = inventory.get("nodes") or {} %}
{%- set heads = [] %}
{%- set computes = [] %}
{%- for name, node in nodes | dictsort %}
{%-   set role = (node or {}).get("role") if node is mapping else none %}
{%-   if role == "head" %}
{%-     do heads.append(name ~ "." ~ domain) %}
{%-   elif role == "compute" %}
{%-     do computes.append(name ~ "." ~ domain) %}
{%-   endif %}
{%- endfor %}
{%- set batch = salt["pillar.get"]("orch:batch", 2) %}
{%- if batch is string and batch.isdigit() %}
{%-   set batch = batch | int %}
{%- endif %}
{%- set forward = salt["pillar.get"]("orch:pillar", {}) %}

{%- set errors = [] %}
{%- if not domain or heads | length != 1 %}
{%-   do errors.append("the inventory (opts hltcloud_inventory, etc/salt/cluster.conf) needs "
                       ~ "a domain and exactly one head, has " ~ (heads | length) ~ " head(s)") %}
{%- endif %}
{%- if forward is not mapping %}
{%-   do errors.append("pillar orch:pillar must be a mapping (the pillar of every step)") %}
{%- endif %}
{%- if batch is not number or batch is sameas true or batch < 1 %}
{%-   do errors.append("pillar orch:batch must be a whole number of nodes, at least 1, not " ~ (batch | string)) %}
{%- endif %}

{%- if errors %}

{{ failed("orch-cloud-described", "orch.cloud", "Nothing started: " ~ errors | join("; ")) }}

{%- else %}
{%-   set head = heads[0] %}

orch-head-configured:
  salt.state:
    - tgt: {{ [head] | json }}
    - tgt_type: list
    - highstate: true
    - expect_minions: true
{%-   if forward %}
    - pillar: {{ forward | json }}
{%-   endif %}

{%-   set size = batch | int %}
{%-   set count = ((computes | length) + size - 1) // size %}
{%-   for start in range(0, computes | length, size) %}
{%-     set members = computes[start:start + size] %}

orch-compute-batch-{{ loop.index }}-of-{{ count }}-configured:
  salt.state:
    - tgt: {{ members | json }}
    - tgt_type: list
    - highstate: true
    - expect_minions: true
    # a failed node fails this step and is named in its comment; the run goes on
    - failhard: false
{%-     if forward %}
    - pillar: {{ forward | json }}
{%-     endif %}
    - require:
      - salt: orch-head-configured
{%-   endfor %}

orch-demo-network-present:
  salt.state:
    - tgt: {{ [head] | json }}
    - tgt_type: list
    - sls:
      - nova.flat_network
    - expect_minions: true
{%-   if forward %}
    - pillar: {{ forward | json }}
{%-   endif %}
    - require:
      - salt: orch-head-configured
{%-   if salt["pillar.get"]("smoke", false) is sameas true %}

orch-smoke-first-vm:
  salt.state:
    - tgt: {{ [head] | json }}
    - tgt_type: list
    - sls:
      - smoke.first_vm
    - expect_minions: true
{%-     if forward %}
    - pillar: {{ forward | json }}
{%-     endif %}
    - require:
      - salt: orch-demo-network-present
{%-   endif %}
{%- endif %}
