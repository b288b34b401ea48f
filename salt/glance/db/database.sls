{#- Runbook: CREATE DATABASE glance and its GRANTs for 'glance'@'localhost' and
    'glance'@'%' with secrets:glance_dbpass, through the mariadb formula: the
    database and user of parameters glance:db, as in [database] connection. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "mariadb/macros.jinja" import service_database with context %}
{%- set db = hltcloud.glance.db %}
include:
  - mariadb.secure

{{ service_database(db.name, "glance_dbpass", db.user) }}
