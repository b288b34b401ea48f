{#- The head node's identity catalog (the runbook's "Create users and tenants" and
    "Define services and API URLs"), converged by salt/keystone/catalog.sls.
    Every key is documented in pillar/keystone.example.yaml. Head node only: it carries
    the admin token and the service passwords. -#}
{%- from "lib/secrets.jinja" import secrets with context %}
{%- from "lib/cluster.jinja" import cluster with context %}
{%- set head = cluster.head_fqdn %}
{%- set email = "dario.berzano@cern.ch" %}
{%- set identity_public = "http://" ~ head ~ ":5000/v2.0" %}
{%- set identity_admin = "http://" ~ head ~ ":35357/v2.0" %}
{%- set image = "http://" ~ head ~ ":9292" %}
{%- set compute = "http://" ~ head ~ ":8774/v2/%(tenant_id)s" %}
keystone:
  auth:
    auth_url: {{ ("http://" ~ head ~ ":35357/v3") | json }}
    token: {{ secrets.admin_token | string | json }}
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
      password: {{ secrets.admin_pass | string | json }}
      email: {{ email }}
      roles:
        admin: [admin, _member_]
    demo:
      password: {{ secrets.demo_pass | string | json }}
      email: {{ email }}
      roles:
        demo: [_member_]
  services:
    keystone:
      type: identity
      description: OpenStack Identity
      endpoints:
        public: {{ identity_public | json }}
        internal: {{ identity_public | json }}
        admin: {{ identity_admin | json }}
    glance:
      type: image
      description: OpenStack Image Service
      endpoints:
        public: {{ image | json }}
        internal: {{ image | json }}
        admin: {{ image | json }}
      user:
        password: {{ secrets.glance_pass | string | json }}
        email: {{ email }}
        project: service
        role: admin
    nova:
      type: compute
      description: OpenStack Compute
      endpoints:
        public: {{ compute | json }}
        internal: {{ compute | json }}
        admin: {{ compute | json }}
      user:
        password: {{ secrets.nova_pass | string | json }}
        email: {{ email }}
        project: service
        role: admin
  verify:
    user: admin
    project: admin
