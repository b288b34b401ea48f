{#- Runbook, "Compute: Nova management": CREATE DATABASE nova and its grants
    to nova@localhost and nova@% with secrets:nova_dbpass, through the mariadb
    formula's macro. -#}
{%- from "mariadb/macros.jinja" import service_database with context %}
include:
  - mariadb.secure

{{ service_database("nova") }}
