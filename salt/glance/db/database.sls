{#- Runbook: CREATE DATABASE glance and its GRANTs for 'glance'@'localhost' and
    'glance'@'%' with secrets:glance_dbpass, through the mariadb formula. -#}
{%- from "mariadb/macros.jinja" import service_database with context %}
include:
  - mariadb.secure

{{ service_database("glance") }}
