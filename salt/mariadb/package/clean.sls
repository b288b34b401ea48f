{#- Remove the MariaDB packages, after the service is stopped. Salt's Python
    packages stay: other formulas' states may use them. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set mariadb = hltcloud.mariadb %}
include:
  - mariadb.service.clean
{%- if mariadb.pkgs %}

mariadb-packages-removed:
  pkg.removed:
    - pkgs: {{ mariadb.pkgs | json }}
    - require:
      - sls: mariadb.service.clean
{%- else %}

mariadb-packages-removed:
  test.succeed_without_changes:
    - name: "mariadb:pkgs is empty: MariaDB is installed by other means"
{%- endif %}
