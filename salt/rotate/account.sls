{#- orch.rotate, step 1 on the head: the account that checks the secret gets its
    new value from pillar (salt/rotate/plan.yaml, `account`):
      database   mysql_user.present of that service's MariaDB user (parameters
                 <service>:db:user, as nova.conf and the grant) at every host of
                 parameters mariadb:service_databases:hosts (the formula's own
                 state, mariadb/macros.jinja database_user), as root;
      identity   the Keystone user (keystone/macros.jinja identity_user, or
                 service_identity for a service's user) with its password of
                 pillar keystone; keystone_user.present sets it only when a
                 token with it fails;
      root       mariadb.secure: root's password set with the credentials file
                 (the old password), then the file rewritten. -#}
{%- from "macros.jinja" import failed, missing_secret %}
{%- from "rotate/rotation.jinja" import rotation, database_user with context %}
{%- set account = rotation.plan.get("account") or {} %}
{%- set node = grains.get("id") %}
{%- if rotation.errors %}

{{ failed("rotate-account-changed", "rotation", "Nothing changed: " ~ rotation.errors | join("; ")) }}
{%- elif account.get("root") %}
include:
  - mariadb.secure
{%- elif account.get("database") %}
{%-   from "mariadb/macros.jinja" import mariadb, database_user as mariadb_user with context %}
{%-   set password = salt["pillar.get"]("secrets:" ~ rotation.secret) %}
{%-   set user = database_user(account.database) %}
{%-   if not user %}

{{ failed("rotate-account-changed", account.database, "Nothing changed: parameters " ~ account.database ~ ":db:user is not set") }}
{%-   elif not password %}

{{ failed("rotate-account-changed", user, "Nothing changed: " ~ missing_secret("secrets:" ~ rotation.secret, node)) }}
{%-   else %}
{%-     for host in mariadb.service_databases.hosts %}

{{ mariadb_user(user, host, password) }}
{%-     endfor %}
{%-   endif %}
{%- elif account.get("identity") %}
{%-   from "keystone/catalog.jinja" import keystone_catalog with context %}
{%-   from "keystone/macros.jinja" import identity_user, service_identity with context %}
{%-   set name = account.identity %}
{%-   set keystone = keystone_catalog.pillar %}
{%-   set users = keystone.get("users") or {} %}
{%-   set services = keystone.get("services") or {} %}
{%-   set extra = {"auth": keystone_catalog.auth} if keystone_catalog.auth else {} %}
{%-   if keystone_catalog.errors %}

{{ failed("rotate-account-changed", name, "Nothing changed: " ~ keystone_catalog.errors | join("; ")) }}
{%-   elif name in users %}

{{ identity_user(name, users[name], extra) }}
{%-   elif (services.get(name) or {}).get("user") %}

{{ service_identity(name, services[name], keystone.get("region"), extra) }}
{%-   else %}

{{ failed("rotate-account-changed", name, "Nothing changed: user '" ~ name ~ "' is in neither keystone:users nor keystone:services of " ~ node ~ "'s pillar") }}
{%-   endif %}
{%- else %}

rotate-account-changed:
  test.succeed_without_changes:
    - name: {{ (rotation.secret ~ " is checked by no account") | json }}
{%- endif %}
