{#- The Keystone identity catalog, converged from the `keystone` pillar
    (pillar/keystone.sls) completed by salt/keystone/catalog.jinja with the URLs,
    ports and emails of salt/parameters: roles, projects (the runbook's tenants),
    users and their grants, then one service_identity per service, then the
    runbook's check that the admin password gets a token and a wrong one does not.
    Replaces the runbook's `keystone user-create / tenant-create / role-create /
    user-role-add / service-create / endpoint-create` commands.

    Every state requires the first, keystone-catalog-ready: on the head,
    keystone/init.sls makes it wait for the service and keystoneauth1. It fails
    alone when the pillar is missing. In a dry run (test=True) on the head
    before its Keystone runs, the catalog is that one state, saying so: the
    keystone_* states could not look. -#}
{%- from "macros.jinja" import failed, pending, not_running_yet, not_running_in_dry_run with context %}
{%- from "map.jinja" import hltcloud with context %}
{%- from "keystone/macros.jinja" import identity_user, service_identity, extra_args with context %}
{%- from "keystone/catalog.jinja" import keystone_catalog with context %}
{%- set keystone = keystone_catalog.pillar %}
{%- set service = hltcloud.keystone.service %}
{%- set not_running = keystone_catalog.auth and not_running_in_dry_run(service) == "true" %}
{%- set extra = {"require": [{"id": "keystone-catalog-ready"}]} %}
{%- if keystone_catalog.auth %}
{%-   do extra.update({"auth": keystone_catalog.auth}) %}
{%- endif %}

{%- if keystone_catalog.errors %}

{%-   set comment = "Keystone catalog not converged: " ~ keystone_catalog.errors | join("; ") %}
{{ failed("keystone-catalog-ready", comment, comment) }}
{%- elif not_running %}
{%-   set text = "the catalog of pillar keystone would be converged on " ~ keystone_catalog.auth_url
        ~ " " ~ not_running_yet(service) %}

{{ pending("keystone-catalog-ready", text) }}
{%- else %}

keystone-catalog-ready:
  hltcloud.ready:
    - name: {{ ("Keystone at " ~ keystone_catalog.auth_url) | json }}
{%-   set region = keystone.get("region") %}

{%-   for role in keystone.get("roles") or [] %}

keystone-role-{{ role }}-present:
  keystone_role.present:
    - name: {{ role | json }}
{{-     extra_args(extra) }}
{%-   endfor %}

{%-   for name, project in (keystone.get("projects") or {}) | dictsort %}

keystone-project-{{ name }}-present:
  keystone_project.present:
    - name: {{ name | json }}
{%-     for key in ("description", "enabled") %}
{%-       if (project or {}).get(key) is not none %}
    - {{ key }}: {{ project[key] | json }}
{%-       endif %}
{%-     endfor %}
{{-     extra_args(extra) }}
{%-   endfor %}

{%-   for name, user in (keystone.get("users") or {}) | dictsort %}
{{ identity_user(name, user, extra) }}
{%-   endfor %}

{%-   for name, service in (keystone.get("services") or {}) | dictsort %}
{{ service_identity(name, service, region, extra) }}
{%-   endfor %}

{%-   set verify = keystone.get("verify") %}
{%-   if verify %}
{%-     set account = (keystone.get("users") or {}).get(verify.user) %}
{%-     if not account or not account.get("password") %}
{{-       raise("keystone:verify:user '" ~ verify.user ~ "' must be one of keystone:users, with a password") }}
{%-     endif %}

keystone-token-{{ verify.user }}-verified:
  keystone_user.token_valid:
    - name: {{ verify.user | json }}
    - password: {{ account.password | string | json }}
{%-     if verify.get("project") %}
    - project: {{ verify.project | json }}
{%-     endif %}
{{-     extra_args(extra, [{"keystone_user": "keystone-user-" ~ verify.user ~ "-present"}]) }}
{%-   endif %}
{%- endif %}
