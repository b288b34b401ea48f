{#- One secret's new value put in every place that uses it, from the master,
    after `make secrets --rotate <name>` wrote it to pillar/secrets.yaml:

        salt-run state.orchestrate orch.rotate pillar='{"rotate": {"secret": "nova_pass"}}'  # noqa: 206
        salt-run state.orchestrate orch.rotate pillar='{"rotate": {"secret": "nova_pass"}}' test=True  # noqa: 206

    In an order that keeps the cloud working (salt/rotate/plan.yaml says what
    each secret needs), each step once the one before succeeded:
    1. the account that checks it, on the head: the MariaDB user, the Keystone
       user or MariaDB's root (rotate.account);
    2. the config files that carry it, on every node of each role the secret
       has in pillar/secrets/catalog.yaml (the formula's own config SLS);
    3. the services that read those files restarted, on the same nodes
       (rotate.restarted);
    4. the new value checked on the head: a database login, a token
       (rotate.verified).
    Every step is the formulas' idempotent states reading the new value from
    pillar: running the orchestration again finishes a rotation that stopped,
    and running it with the old value back in pillar/secrets.yaml (`make
    secrets --rotate` keeps it in pillar/secrets.yaml.previous) rolls it back.
    When a step fails, the last one, rotate-<secret>-stopped, names the step,
    what is done and what is not, and those two commands.

    Nodes and roles come from the inventory (opts hltcloud_inventory,
    etc/salt/cluster.conf), ids <name>.<domain>. An unknown or refused secret
    (admin_token) is one failing step that says why, and nothing runs. -#}
{%- from "macros.jinja" import failed %}
{%- import_yaml "rotate/plan.yaml" as plan %}
{%- set inventory = opts.get("hltcloud_inventory") or {} %}
{%- set domain = inventory.get("domain") %}
{%- set by_role = {} %}
{%- for name, node in (inventory.get("nodes") or {}) | dictsort if node is mapping and node.get("role") %}
{%-   do by_role.setdefault(node.role, []).append(salt["hltcloud.node_id"](name, domain)) %}
{%- endfor %}
{%- set catalog = {} %}
{%- for root in opts.pillar_roots.get(saltenv or "base", []) %}
{%-   set path = root ~ "/secrets/catalog.yaml" %}
{%-   if not catalog and salt["file.file_exists"](path) %}
{%-     do catalog.update(salt["file.read"](path) | load_yaml) %}
{%-   endif %}
{%- endfor %}
{%- set secret = salt["pillar.get"]("rotate:secret", none) %}
{%- set entry = plan.get(secret) if secret is string else none %}
{%- set roles = ((catalog.get(secret) or {}).get("roles") or []) if secret is string else [] %}
{%- set heads = by_role.get("head") or [] %}

{%- set errors = [] %}
{%- if not domain or heads | length != 1 %}
{%-   do errors.append("the inventory (opts hltcloud_inventory, etc/salt/cluster.conf) needs "
                       ~ "a domain and exactly one head, has " ~ (heads | length) ~ " head(s)") %}
{%- endif %}
{%- if not catalog %}
{%-   do errors.append("no secrets/catalog.yaml in the master's pillar_roots") %}
{%- endif %}
{%- if not entry or secret not in catalog %}
{%-   do errors.append("pillar rotate:secret is " ~ (secret | json) ~ "; the secrets are "
                       ~ (plan | list | select("in", catalog) | sort | join(", "))
                       ~ ": salt-run state.orchestrate orch.rotate pillar='"
                       ~ dict(rotate=dict(secret="nova_pass")) | json ~ "'") %}
{%- elif entry.get("refused") %}
{%-   do errors.append(entry.refused) %}
{%- endif %}

{%- if errors %}

{{ failed("rotate-described", "orch.rotate", "Nothing changed: " ~ errors | join("; ")) }}

{%- else %}
{%-   set head = heads[0] %}
{%-   set step_pillar = dict(rotate=dict(secret=secret)) %}
{%-   set command = "salt-run state.orchestrate orch.rotate pillar='" ~ step_pillar | json ~ "'" %}
{#-   [id, targets, sls, what it does] in order #}
{%-   set steps = [] %}
{%-   set account = entry.get("account") or {} %}
{%-   if account %}
{%-     set what = "the MariaDB user " ~ account.database if account.get("database")
             else "the Keystone user " ~ account.identity if account.get("identity")
             else "MariaDB's root password and root's credentials file" %}
{%-     do steps.append(["rotate-" ~ secret ~ "-account-changed", [head], ["rotate.account"], what ~ " on " ~ head]) %}
{%-   endif %}
{%-   for role in roles %}
{%-     set config = (entry.get("config") or {}).get(role) or [] %}
{%-     if config and by_role.get(role) %}
{%-       do steps.append(["rotate-" ~ secret ~ "-config-" ~ role ~ "-written", by_role[role], config,
                           "the config files of " ~ config | join(", ") ~ " on the " ~ role ~ " nodes"]) %}
{%-     endif %}
{%-   endfor %}
{%-   for role in roles %}
{%-     if (entry.get("restart") or {}).get(role) and by_role.get(role) %}
{%-       do steps.append(["rotate-" ~ secret ~ "-services-" ~ role ~ "-restarted", by_role[role], ["rotate.restarted"],
                           "the restart of " ~ entry.restart[role] | join(", ") ~ " on the " ~ role ~ " nodes"]) %}
{%-     endif %}
{%-   endfor %}
{%-   do steps.append(["rotate-" ~ secret ~ "-verified", [head], ["rotate.verified"], "the check of the new value on " ~ head]) %}

{%-   for id, targets, sls, what in steps %}

{{ id }}:
  salt.state:
    - tgt: {{ targets | json }}
    - tgt_type: list
    - sls: {{ sls | json }}
    - expect_minions: true
    - pillar: {{ step_pillar | json }}
{%-     if not loop.first %}
    - require:
      - salt: {{ steps[loop.index0 - 1][0] }}
{%-     endif %}
{%-   endfor %}

rotate-{{ secret }}-stopped:
  hltcloud.stopped:
    - name: {{ ("the rotation of " ~ secret) | json }}
    - steps: {{ steps | map("first") | list | json }}
    - done: {{ steps | map("last") | list | json }}
    - finish: {{ ("fix the cause and run `" ~ command ~ "` again (every step is idempotent)") | json }}
{%-   set rollback = "`cp -p pillar/secrets.yaml.previous pillar/secrets.yaml` on the master (the value "
        ~ "before `make secrets ROTATE=" ~ secret ~ "`), then the same command: it puts the old value back in every place" %}
    - rollback: {{ rollback | json }}
    - onfail:
{%-   for step in steps %}
      - salt: {{ step[0] }}
{%-   endfor %}
{%- endif %}
