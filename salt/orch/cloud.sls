{#- The whole cloud in the runbook's order, from the master:

        salt-run state.orchestrate orch.cloud                  # for real
        salt-run state.orchestrate orch.cloud test=True        # every step in test mode
        salt-run state.orchestrate orch.cloud pillar='{"smoke": true}'   # + the first VM

    1. the head: its highstate (salt/head.sls, whose include order is the runbook's:
       validate, common, repository, firewall, MariaDB, Qpid, Keystone, Glance, Nova
       controller);
    2. the compute nodes, one step (hltcloud.rollout, the rollout runner) that requires
       the head: a failed head stops the run before any compute node is touched. Nodes
       go `orch:batch` at a time (a count or a share such as "10%"; default 2), each
       batch one highstate job (salt/compute.sls), `orch:in_flight` batches at once
       (default 1); a failed, refused or silent compute node is named in the step's
       comment and the other batches still run, unless `orch:stop_after` nodes have
       failed (no new batch starts then; default: never). A dry run says how many
       batches and how long each took in the last real run;
    3. the demo network (nova.flat_network) on the head, once the compute batches ran:
       creating it needs a nova-network up (the state refuses while os-services shows
       none);
    4. with pillar smoke: true, the first VM (smoke.first_vm) on the head.

    Nodes and roles come from the inventory (opts hltcloud_inventory,
    etc/salt/cluster.conf), ids <name>.<domain>. The highstate (not state.sls of the
    role bundle) syncs the custom modules before it runs and is what `salt-run
    hlt.status` reports. Batches are cut by the rollout runner rather than with Salt's
    `batch:` option: a batch run leaves out a minion that does not answer and counts it
    as neither failed nor done, while the runner fails it and names it.
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
{%-     do heads.append(salt["hltcloud.node_id"](name, domain)) %}
{%-   elif role == "compute" %}
{%-     do computes.append(salt["hltcloud.node_id"](name, domain)) %}
{%-   endif %}
{%- endfor %}
{%- set batch = salt["pillar.get"]("orch:batch", 2) %}
{%- if batch is string and batch.strip().isdigit() %}
{%-   set batch = batch | int %}
{%- endif %}
{%- set in_flight = salt["pillar.get"]("orch:in_flight", 1) %}
{%- if in_flight is string and in_flight.strip().isdigit() %}
{%-   set in_flight = in_flight | int %}
{%- endif %}
{%- set stop_after = salt["pillar.get"]("orch:stop_after", none) %}
{%- if stop_after is string and stop_after.strip().isdigit() %}
{%-   set stop_after = stop_after | int %}
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
{%- set share = batch | regex_match("^\\s*(\\d{1,3})\\s*%\\s*$") if batch is string else none %}
{%- if share %}
{%-   if not 1 <= share[0] | int <= 100 %}
{%-     do errors.append("pillar orch:batch " ~ batch ~ ": a share of the nodes is 1% to 100%") %}
{%-   endif %}
{%- elif batch is not number or batch is sameas true or batch is float or batch < 1 %}
{%-   do errors.append("pillar orch:batch must be a whole number of nodes, at least 1, or a share such as 10%, not " ~ (batch | string)) %}
{%- endif %}
{%- if in_flight is not number or in_flight is sameas true or in_flight is float or in_flight < 1 %}
{%-   do errors.append("pillar orch:in_flight must be a whole number of batches, at least 1, not " ~ (in_flight | string)) %}
{%- endif %}
{%- if stop_after is not none and (stop_after is not number or stop_after is sameas true or stop_after is float or stop_after < 1) %}
{%-   do errors.append("pillar orch:stop_after must be a whole number of failed nodes, at least 1, not " ~ (stop_after | string)) %}
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

{%-   if computes %}

orch-compute-configured:
  hltcloud.rollout:
    - name: the compute nodes
    - targets: {{ computes | json }}
    - batch: {{ batch | json }}
    - in_flight: {{ in_flight }}
    - stop_after: {{ stop_after | json }}
{%-     if forward %}
    - pillar: {{ forward | json }}
{%-     endif %}
    - require:
      - salt: orch-head-configured
{%-   endif %}

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
