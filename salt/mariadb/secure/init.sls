{#- Runbook: `mysql_secure_installation`, "yes" to every question, as states:
    root's password (pillar secrets:mysql_root_password) on each root account
    at root's local hosts (parameters mariadb:root:hosts), kept for later runs
    and for root's shell in a 0600 client file (parameters
    mariadb:root:defaults_file); no anonymous account and no root account at
    any other host, whichever hosts the server holds (mysql_accounts.confined
    reads them: an account under the host name of the install stays no more);
    no test database and no stock grants on test / test_%. A changed root
    password in pillar is set on the next run (the states log in with the
    file's, or the new one). -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "mariadb/macros.jinja" import mariadb_connection, mariadb_bootstrap_connection,
      mariadb_pending, connection_args, pending_state with context %}
{%- set mariadb = hltcloud.mariadb %}
{%- set root = mariadb.root %}
{%- set password = salt["pillar.get"]("secrets:mysql_root_password") | string %}
{#- root.host (the account the states log in as) is never dropped. #}
{%- set root_hosts = ([root.host] + root.hosts) | unique | list %}
include:
  - mariadb.service.running

{%- if mariadb_pending %}

{{ pending_state("mariadb-root-password-set",
     "root's password would be set; every anonymous account, every root account but at "
     ~ root_hosts | join(", ") ~ " and the " ~ mariadb.test_database ~ " database would be removed") }}
    - require:
      - sls: mariadb.service.running
{%- else %}

mariadb-root-password-set:
  mysql_user.present:
    - name: {{ root.user | json }}
    - host: {{ root.host | json }}
    - password: {{ password | json }}
{{-   connection_args(mariadb_bootstrap_connection) }}
    - require:
      - sls: mariadb.service.running
{%- endif %}

mariadb-root-defaults-file-managed:
  file.managed:
    - name: {{ root.defaults_file | json }}
    - user: {{ root.user | json }}
    - mode: {{ root.defaults_file_mode | string | json }}
    - show_changes: false
    - contents: {{ ("# Managed by Salt (hlt-cloud, mariadb.secure): MariaDB's root, for root only.\n"
                    ~ "[client]\nuser=" ~ root.user ~ "\npassword=\"" ~ password ~ "\"\nsocket="
                    ~ mariadb.socket ~ "\n") | json }}
    - require:
      - id: mariadb-root-password-set
{%- if not mariadb_pending %}
{#- The accounts: over the socket as root, with the credentials file once it
    exists (in a real run it does; a dry run of a fresh install logs in as
    the stock root, without a password, and sees what a real run would do). #}

mariadb-anonymous-accounts-absent:
  mysql_accounts.confined:
    - name: ""
    - hosts: []
{{-   connection_args(mariadb_bootstrap_connection) }}
    - require:
      - file: mariadb-root-defaults-file-managed

mariadb-root-remote-accounts-absent:
  mysql_accounts.confined:
    - name: {{ root.user | json }}
    - hosts: {{ root_hosts | json }}
{{-   connection_args(mariadb_bootstrap_connection) }}
    - require:
      - file: mariadb-root-defaults-file-managed
{#- The tool sets the password of every root account it keeps: root at the
    other local hosts, where the install made it (with no password). #}
{%-   for host in root_hosts if host != root.host %}

mariadb-root-at-{{ host }}-password-set:
  mysql_user.present:
    - name: {{ root.user | json }}
    - host: {{ host | json }}
    - password: {{ password | json }}
{{-     connection_args(mariadb_bootstrap_connection) }}
    - onlyif:
      - fun: mysql.user_exists
        args: {{ [root.user, host] | json }}
{%-     for key, value in mariadb_bootstrap_connection | dictsort %}
        {{ key }}: {{ value | json }}
{%-     endfor %}
    - require:
      - file: mariadb-root-defaults-file-managed
{%-   endfor %}

mariadb-test-database-absent:
  mysql_database.absent:
    - name: {{ mariadb.test_database | json }}
{{-   connection_args(mariadb_connection) }}
    - require:
      - file: mariadb-root-defaults-file-managed

{%-   set grants_where = "Db='" ~ mariadb.test_database ~ "' OR Db='" ~ mariadb.test_database ~ "\\\\_%'" %}

{#- The stock grants to everybody on test and test_% (rows of mysql.db without
    an account behind them, so no DROP USER removes them), and the reload of
    the grant tables. With the client: saltext-mysql's mysql_query fails on
    PyMySQL's converters. #}
{%-   set client = mariadb.client ~ " --defaults-file=" ~ root.defaults_file ~ " -N -B -e " %}
mariadb-test-database-grants-absent:
  cmd.run:
    - name: {{ (client ~ "\"DELETE FROM mysql.db WHERE " ~ grants_where ~ "; FLUSH PRIVILEGES\"") | json }}
    - onlyif:
      - {{ (client ~ "\"SELECT COUNT(*) FROM mysql.db WHERE " ~ grants_where ~ "\" | grep -qv '^0$'") | json }}
    - require:
      - mysql_database: mariadb-test-database-absent
{%- endif %}
