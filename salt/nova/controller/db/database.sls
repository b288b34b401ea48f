{#- Runbook, "Compute: Nova management": CREATE DATABASE nova and its grants
    to nova@localhost and nova@% with secrets:nova_dbpass, through the mariadb
    formula's macro. The database and its user are parameters nova:db (name,
    user), the same data as nova.conf's [database] connection (macro db_url):
    a `hltcloud:lookup` override of either changes both. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "mariadb/macros.jinja" import service_database with context %}
{%- set db = hltcloud.nova.db %}
include:
  - mariadb.secure

{{ service_database(db.name, "nova_dbpass", db.user) }}
