{#- Remove the drop-in, after the service is stopped. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set conf = hltcloud.mariadb.conf %}
include:
  - mariadb.service.clean
{%- if conf.path %}

mariadb-config-file-absent:
  file.absent:
    - name: {{ conf.path | json }}
    - require:
      - sls: mariadb.service.clean
{%- endif %}
