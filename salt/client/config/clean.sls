{#- Remove enter-openstack.sh and the profiles. -#}
{%- from "client/profiles.jinja" import client_profiles with context %}

client-script-absent:
  file.absent:
    - name: {{ client_profiles.script.path | json }}

client-profiles-dir-absent:
  file.absent:
    - name: {{ client_profiles.dir | json }}
