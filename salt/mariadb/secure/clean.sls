{#- Root's MariaDB client file goes, after the service is stopped. -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - mariadb.service.clean

mariadb-root-defaults-file-absent:
  file.absent:
    - name: {{ hltcloud.mariadb.root.defaults_file | json }}
    - require:
      - sls: mariadb.service.clean
