{#- Remove the Keystone packages, after keystone.conf's settings. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set keystone = hltcloud.keystone %}
include:
  - keystone.config.clean
{%- if keystone.pkgs %}

keystone-packages-removed:
  pkg.removed:
    - pkgs: {{ keystone.pkgs | json }}
    - require:
      - sls: keystone.config.clean
{%- else %}

keystone-packages-removed:
  test.succeed_without_changes:
    - name: "keystone:pkgs is empty: Keystone is installed by other means"
{%- endif %}
