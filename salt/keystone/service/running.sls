{#- Runbook: the hourly token_flush cron for user keystone (one entry however
    often applied: the same command is the same entry), then `service
    openstack-keystone start; chkconfig openstack-keystone on`, after the keys
    and the tables; restarted when keystone.conf changes. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set keystone = hltcloud.keystone %}
{%- set flush = keystone.token_flush %}
include:
  - keystone.config.file
  - keystone.config.pki
  - keystone.db

keystone-token-flush-cron-present:
  cron.present:
    - name: {{ (keystone.manage ~ " token_flush >" ~ flush.log ~ " 2>&1") | json }}
    - user: {{ keystone.user | json }}
    - special: {{ flush.special | json }}
    - identifier: false
    - require:
      - sls: keystone.package.install
{%- if keystone.service %}

keystone-service-running:
  service.running:
    - name: {{ keystone.service | json }}
    - enable: true
    - require:
      - sls: keystone.config.pki
      - sls: keystone.db
    - watch:
      - id: keystone-config-file-managed
{%- else %}

keystone-service-running:
  test.succeed_without_changes:
    - name: "keystone:service is null: Keystone is served by other means"
    - require:
      - sls: keystone.config.pki
      - sls: keystone.db
{%- endif %}
