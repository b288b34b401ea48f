{#- How the head's nova_* states reach the Compute API (_modules/nova_compute.py):
    the admin user's password auth (os-networks is admin-only; the bootstrap admin
    token has no catalog, so no Compute endpoint). Head node only. -#}
{%- from "lib/secrets.jinja" import secrets, problem with context %}
{%- set message = problem(["admin_pass"]) %}
{%- if message %}
_errors: {{ [message | string] | json }}
{%- else %}
nova:
  auth:
    username: admin
    password: {{ secrets.admin_pass | json }}
    project_name: admin
{%- endif %}
