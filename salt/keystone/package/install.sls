{#- Runbook: `yum install openstack-keystone python-keystoneclient` from the RDO
    repository, and keystoneauth1 (the pinned, hashed
    salt/parameters/keystone-salt-requirements.txt) in the Python that runs
    Salt (the catalog's
    keystone_* states need it; reload_modules loads them in this same run).
    First of all, keystone-input-checked: every state of the formula requires
    it, so a missing value (conf.jinja: keystone_errors) fails that one state
    and nothing is changed. -#}
{%- from "macros.jinja" import failed, requirements_installed with context %}
{%- from "map.jinja" import hltcloud with context %}
{%- from "keystone/conf.jinja" import keystone_errors with context %}
{%- set keystone = hltcloud.keystone %}
include:
  - openstack.repo
{%- if keystone_errors %}

{%-   set comment = "Keystone not set up: " ~ keystone_errors | join("; ") %}
{{ failed("keystone-input-checked", comment, comment) }}
{%- else %}

keystone-input-checked:
  test.succeed_without_changes:
    - name: Keystone's parameters, pillar and secrets are there
{%- endif %}

{%- if keystone.pkgs %}

keystone-packages-installed:
  pkg.installed:
    - pkgs: {{ keystone.pkgs | json }}
    - require:
      - id: keystone-input-checked
      - sls: openstack.repo
{%- else %}

keystone-packages-installed:
  test.succeed_without_changes:
    - name: "keystone:pkgs is empty: Keystone is installed by other means"
    - require:
      - id: keystone-input-checked
{%- endif %}
{{ requirements_installed(
      "keystone-salt-python-packages-installed",
      keystone.salt_pip_requirements,
      [{"id": "keystone-input-checked"}]) }}
