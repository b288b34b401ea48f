{#- The keystone database and its users are kept (they hold the catalog); the
    twin of keystone.db only says so. Drop them by hand with mysql if wanted. -#}
{%- from "map.jinja" import hltcloud with context %}

keystone-db-kept:
  test.succeed_without_changes:
    - name: {{ ("database " ~ hltcloud.keystone.db.name ~ " kept") | json }}
