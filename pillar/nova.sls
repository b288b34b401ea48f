{#- How the head's nova_* states reach the Compute API (_modules/nova_compute.py):
    the admin user's password auth (os-networks is admin-only; the bootstrap admin
    token has no catalog, so no Compute endpoint). Head node only. -#}
{%- from "lib/secrets.jinja" import secrets with context %}
{%- from "lib/cluster.jinja" import cluster with context %}
nova:
  auth:
    auth_url: {{ ("http://" ~ cluster.head_fqdn ~ ":35357/v3") | json }}
    username: admin
    password: {{ secrets.admin_pass | string | json }}
    project_name: admin
