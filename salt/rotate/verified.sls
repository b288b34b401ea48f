{#- orch.rotate, last step on the head: the new value works (salt/rotate/plan.yaml,
    `verify`), or the rotation does not report success:
      database   the service's MariaDB user (parameters <service>:db:user) logs
                 in with pillar secrets:<secret> over MariaDB's
                 socket (parameters mariadb:socket), and, but root, over TCP at
                 the head's grain mgmt_ipv4 and parameters mariadb:port, the
                 way the compute nodes connect (mysql_accounts.login);
      identity   the Keystone user gets a token with its password of pillar
                 keystone, scoped to its project, and a wrong one gets none
                 (keystone_user.token_valid);
      token      Keystone, restarted on its new database password, still
                 issues the keystone:verify user a token. -#}
{%- from "macros.jinja" import failed, missing_secret %}
{%- from "rotate/rotation.jinja" import rotation, database_user with context %}
{%- set verify = rotation.plan.get("verify") or {} %}
{%- set node = grains.get("id") %}
{%- if rotation.errors %}

{{ failed("rotate-new-value-verified", "rotation", "Nothing checked: " ~ rotation.errors | join("; ")) }}
{%- else %}
{%-   if verify.get("database") %}
{%-     from "mariadb/macros.jinja" import mariadb with context %}
{%-     set root = verify.database == "root" %}
{%-     set user = mariadb.root.user if root else (database_user(verify.database) or none) %}
{%-     set password = salt["pillar.get"]("secrets:" ~ rotation.secret) %}
{%-     if not password %}

{{ failed("rotate-database-login-checked", user, missing_secret("secrets:" ~ rotation.secret, node)) }}
{%-     else %}

rotate-database-login-socket-checked:
  mysql_accounts.login:
    - name: {{ user | json }}
    - password: {{ password | string | json }}
    - unix_socket: {{ mariadb.socket | json }}
{%-       if not root %}

rotate-database-login-tcp-checked:
  mysql_accounts.login:
    - name: {{ user | json }}
    - password: {{ password | string | json }}
    - host: {{ grains.get("mgmt_ipv4") | json }}
    - port: {{ mariadb.port | json }}
{%-       endif %}
{%-     endif %}
{%-   endif %}
{%-   if verify.get("identity") or verify.get("token") %}
{%-     from "keystone/catalog.jinja" import keystone_catalog with context %}
{%-     set keystone = keystone_catalog.pillar %}
{%-     set checks = [verify.identity] if verify.get("identity") else [] %}
{%-     if verify.get("token") %}
{%-       do checks.append((keystone.get("verify") or {}).get("user")) %}
{%-     endif %}
{%-     for name in checks %}
{%-       set user = (keystone.get("users") or {}).get(name) %}
{%-       set service_user = (((keystone.get("services") or {}).get(name) or {}).get("user")) %}
{%-       if keystone_catalog.errors or not name %}

{{ failed("rotate-token-checked", "token", "Nothing checked: " ~ (keystone_catalog.errors or ["pillar keystone:verify:user is missing"]) | join("; ")) }}
{%-       elif user %}
{%-         set projects = (user.get("roles") or {}) | list | sort %}

rotate-token-{{ name }}-checked:
  keystone_user.token_valid:
    - name: {{ name | json }}
    - password: {{ user.password | string | json }}
{%-         if projects %}
    - project: {{ projects[0] | json }}
{%-         endif %}
{%-         if keystone_catalog.auth %}
    - auth: {{ keystone_catalog.auth | json }}
{%-         endif %}
{%-       elif service_user %}

rotate-token-{{ name }}-checked:
  keystone_user.token_valid:
    - name: {{ service_user.get("name", name) | json }}
    - password: {{ service_user.password | string | json }}
    - project: {{ service_user.get("project", "service") | json }}
{%-         if keystone_catalog.auth %}
    - auth: {{ keystone_catalog.auth | json }}
{%-         endif %}
{%-       else %}

{{ failed("rotate-token-" ~ name ~ "-checked", name, "user '" ~ name ~ "' is in neither keystone:users nor keystone:services of " ~ node ~ "'s pillar") }}
{%-       endif %}
{%-     endfor %}
{%-   endif %}
{%-   if not verify %}

rotate-new-value-verified:
  test.succeed_without_changes:
    - name: {{ ("nothing checks " ~ rotation.secret) | json }}
{%-   endif %}
{%- endif %}
