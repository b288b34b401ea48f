{#- Runbook, "Backing database": `yum install mariadb-server MySQL-python`,
    and Salt's own MySQL states (saltext-mysql, PyMySQL: the pinned, hashed
    salt/parameters/mariadb-salt-requirements.txt) in the Python that runs
    Salt, so that the mysql_* states of mariadb.secure and
    service_database() load in this same run (reload_modules).
    First of all, mariadb-input-checked: every state of the formula requires
    it, so a missing value (macros.jinja: mariadb_errors) fails that one state
    and nothing is changed. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "mariadb/macros.jinja" import mariadb_errors with context %}
{%- from "macros.jinja" import failed, requirements_installed with context %}
{%- set mariadb = hltcloud.mariadb %}
{%- if mariadb_errors %}
{%-   set comment = "MariaDB not set up: " ~ mariadb_errors | join("; ") %}

{{ failed("mariadb-input-checked", comment, comment) }}
{%- else %}

mariadb-input-checked:
  test.succeed_without_changes:
    - name: MariaDB's parameters, bind-address and root password are there
{%- endif %}
{%- if mariadb.pkgs %}

mariadb-packages-installed:
  pkg.installed:
    - pkgs: {{ mariadb.pkgs | json }}
    - require:
      - id: mariadb-input-checked
{%- else %}

mariadb-packages-installed:
  test.succeed_without_changes:
    - name: "mariadb:pkgs is empty: MariaDB is installed by other means"
    - require:
      - id: mariadb-input-checked
{%- endif %}
{{ requirements_installed(
      "mariadb-salt-python-packages-installed",
      mariadb.salt_pip_requirements,
      [{"id": "mariadb-input-checked"}]) }}
