{#- Remove enter-openstack.sh, the profiles and the group. -#}
{%- from "client/profiles.jinja" import client_profiles with context %}

client-script-absent:
  file.absent:
    - name: {{ client_profiles.script.path | json }}

client-profiles-dir-absent:
  file.absent:
    - name: {{ client_profiles.dir | json }}

client-group-absent:
  group.absent:
    - name: {{ client_profiles.group.name | json }}
    - require:
      - file: client-profiles-dir-absent
