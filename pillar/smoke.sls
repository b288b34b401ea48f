{#- The first-VM smoke test (salt/smoke/first_vm.sls) runs as the runbook's
    "normal user": the demo user in the demo project, with the public key of
    pillar/demo-key.pub (the runbook's `ssh-keygen` + demo-key.pub; copy yours
    there on the master). Without that file smoke.first_vm fails and says so.
    Head node only. -#}
{%- from "lib/secrets.jinja" import secrets, problem with context %}
{%- set public_key = [] %}
{%- for root in opts.pillar_roots.get(saltenv or "base", []) %}
{%-   if not public_key and salt["file.file_exists"](root ~ "/demo-key.pub") %}
{%-     do public_key.append(salt["file.read"](root ~ "/demo-key.pub") | trim) %}
{%-   endif %}
{%- endfor %}
{%- set message = problem(["demo_pass"]) %}
{%- if message %}
_errors: {{ [message | string] | json }}
{%- else %}
smoke:
  first_vm:
    auth:
      username: demo
      password: {{ secrets.demo_pass | json }}
      project_name: demo
{%- if public_key %}
    public_key: {{ public_key[0] | json }}
{%- endif %}
{%- endif %}
