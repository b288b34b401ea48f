{#- The Keystone identity catalog, converged from the `keystone` pillar (pillar/keystone.sls;
    every key is documented in pillar/keystone.example.yaml): roles, projects (the
    runbook's tenants), users and their grants, then one service_identity per service,
    then the runbook's check that the admin password gets a token and a wrong one does not.
    Replaces the runbook's `keystone user-create / tenant-create / role-create /
    user-role-add / service-create / endpoint-create` commands. -#}
{%- from "keystone/macros.jinja" import identity_user, service_identity with context %}
{%- set keystone = salt["pillar.get"]("keystone", {}) %}
{%- if not keystone %}
{{- raise("keystone/catalog.sls: this minion has no `keystone` pillar (pillar/keystone.sls is for the head node)") }}
{%- endif %}
{%- set region = keystone.get("region") %}

{%- for role in keystone.get("roles") or [] %}

keystone-role-{{ role }}-present:
  keystone_role.present:
    - name: {{ role | json }}
{%- endfor %}

{%- for name, project in (keystone.get("projects") or {}) | dictsort %}

keystone-project-{{ name }}-present:
  keystone_project.present:
    - name: {{ name | json }}
{%-   for key in ("description", "enabled") %}
{%-     if (project or {}).get(key) is not none %}
    - {{ key }}: {{ project[key] | json }}
{%-     endif %}
{%-   endfor %}
{%- endfor %}

{%- for name, user in (keystone.get("users") or {}) | dictsort %}
{{ identity_user(name, user) }}
{%- endfor %}

{%- for name, service in (keystone.get("services") or {}) | dictsort %}
{{ service_identity(name, service, region) }}
{%- endfor %}

{%- set verify = keystone.get("verify") %}
{%- if verify %}
{%-   set account = (keystone.get("users") or {}).get(verify.user) %}
{%-   if not account or not account.get("password") %}
{{-     raise("keystone:verify:user '" ~ verify.user ~ "' must be one of keystone:users, with a password") }}
{%-   endif %}

keystone-token-{{ verify.user }}-verified:
  keystone_user.token_valid:
    - name: {{ verify.user | json }}
    - password: {{ account.password | string | json }}
{%-   if verify.get("project") %}
    - project: {{ verify.project | json }}
{%-   endif %}
    - require:
      - keystone_user: keystone-user-{{ verify.user }}-present
{%- endif %}
