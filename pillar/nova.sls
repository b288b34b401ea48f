{#- How the head's nova_* states reach the Compute API (_modules/nova_compute.py):
    the admin user's password auth (os-networks is admin-only; the bootstrap admin
    token has no catalog, so no Compute endpoint). Head node only. -#}
{%- from "lib/secrets.jinja" import secrets, problem with context %}
{%- from "lib/cluster.jinja" import cluster with context %}
{%- set message = problem(["admin_pass"]) %}
{%- if message %}
_errors: {{ [message | string] | json }}
{%- else %}
nova:
  auth:
    auth_url: {{ ("http://" ~ cluster.head_fqdn ~ ":35357/v3") | json }}
    username: admin
    password: {{ secrets.admin_pass | json }}
    project_name: admin
{%- endif %}
