{#- The head node's identity catalog (the runbook's "Create users and tenants" and
    "Define services and API URLs"), converged by salt/keystone/catalog.sls.
    Every key is documented in pillar/keystone.example.yaml. Site facts and
    secrets only: URLs, ports and emails are computed on the state side
    (salt/keystone/catalog.jinja). Head node only: it carries
    the admin token and the service passwords. -#}
{%- from "lib/secrets.jinja" import secrets, problem with context %}
{%- set message = problem(["admin_token", "admin_pass", "demo_pass", "glance_pass", "nova_pass"]) %}
{%- if message %}
_errors: {{ [message | string] | json }}
{%- else %}
keystone:
  auth:
    token: {{ secrets.admin_token | json }}
  region: regionOne
  roles:
    - admin
    - _member_
  projects:
    admin:
      description: Admin Tenant
    demo:
      description: Demo Tenant
    service:
      description: Service Tenant
  users:
    admin:
      password: {{ secrets.admin_pass | json }}
      roles:
        admin: [admin, _member_]
    demo:
      password: {{ secrets.demo_pass | json }}
      roles:
        demo: [_member_]
  # Which services the catalog has; their type, description and endpoints are
  # computed from salt/parameters (keystone:catalog) and cluster:head_fqdn.
  services:
    keystone: {}
    glance:
      user:
        password: {{ secrets.glance_pass | json }}
        project: service
        role: admin
    nova:
      user:
        password: {{ secrets.nova_pass | json }}
        project: service
        role: admin
  verify:
    user: admin
    project: admin
{%- endif %}
