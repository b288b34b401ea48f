{#- The runbook's enter-openstack.sh with the admin and demo profiles of pillar
    client:profiles, for root only: script 0700, profiles 0600 in a 0700
    directory (they hold passwords). -#}
{%- from "macros.jinja" import failed %}
{%- from "client/profiles.jinja" import client_profiles with context %}
include:
  - client.package.install
{%- if client_profiles.errors %}

{{ failed("client-config-files-managed", "enter-openstack.sh and its profiles",
          "enter-openstack.sh and its profiles not written: " ~ client_profiles.errors | join("; ")) }}
{%- else %}

client-script-managed:
  file.managed:
    - name: {{ client_profiles.script.path | json }}
    - user: root
    - group: root
    - mode: {{ client_profiles.script.mode | string | json }}
    - makedirs: true
    - contents: {{ client_profiles.script.contents | json }}
    - require:
      - sls: client.package.install

client-profiles-dir-managed:
  file.directory:
    - name: {{ client_profiles.dir | json }}
    - user: root
    - group: root
    - mode: {{ client_profiles.dir_mode | string | json }}
    - require:
      - sls: client.package.install
{%-   for name, profile in client_profiles.files | dictsort %}

client-profile-{{ name }}-managed:
  file.managed:
    - name: {{ profile.path | json }}
    - user: root
    - group: root
    - mode: {{ client_profiles.mode | string | json }}
    - show_changes: false
    - contents: {{ profile.contents | json }}
    - require:
      - file: client-profiles-dir-managed
{%-   endfor %}
{%- endif %}
