{#- MariaDB stopped and disabled. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set mariadb = hltcloud.mariadb %}
{%- if mariadb.service %}

mariadb-service-dead:
  service.dead:
    - name: {{ mariadb.service | json }}
    - enable: false
{%- else %}

mariadb-service-dead:
  test.succeed_without_changes:
    - name: "mariadb:service is null: the server is run by other means"
{%- endif %}
