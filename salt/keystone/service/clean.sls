{#- Keystone stopped and disabled, its token_flush cron entry gone. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set keystone = hltcloud.keystone %}

keystone-token-flush-cron-absent:
  cron.absent:
    - name: {{ (keystone.manage ~ " token_flush >" ~ keystone.token_flush.log ~ " 2>&1") | json }}
    - user: {{ keystone.user | json }}
    - special: {{ keystone.token_flush.special | json }}
    - identifier: false
{%- if keystone.service %}

keystone-service-dead:
  service.dead:
    - name: {{ keystone.service | json }}
    - enable: false
{%- else %}

keystone-service-dead:
  test.succeed_without_changes:
    - name: "keystone:service is null: Keystone is served by other means"
{%- endif %}
