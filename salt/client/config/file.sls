{#- The runbook's enter-openstack.sh, which a normal user runs, with the admin
    and demo profiles of pillar client:profiles. The script holds no secret
    (0755); each profile holds one password: root's (0600), except the ones
    parameters client:group:profiles names (the admin's), which the Unix group
    client:group:name may read too (0640), in a directory only root and that
    group reach (0750). Pillar client:members, when set, is the group's exact
    list of members. The root-only files of earlier versions go. -#}
{%- from "macros.jinja" import failed %}
{%- from "client/profiles.jinja" import client_profiles with context %}
include:
  - client.package.install
{%- if client_profiles.errors %}

{{ failed("client-config-files-managed", "enter-openstack.sh and its profiles",
          "enter-openstack.sh and its profiles not written: " ~ client_profiles.errors | join("; ")) }}
{%- else %}

client-group-present:
  group.present:
    - name: {{ client_profiles.group.name | json }}
    - system: true
{%-   if client_profiles.group.members is not none %}
    - members: {{ client_profiles.group.members | json }}
{%-   endif %}

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
    - group: {{ client_profiles.group.name | json }}
    - mode: {{ client_profiles.dir_mode | string | json }}
    - makedirs: true
    - require:
      - sls: client.package.install
      - group: client-group-present
{%-   for name, profile in client_profiles.files | dictsort %}

client-profile-{{ name }}-managed:
  file.managed:
    - name: {{ profile.path | json }}
    - user: root
    - group: {{ profile.group | json }}
    - mode: {{ profile.mode | string | json }}
    - show_changes: false
    - contents: {{ profile.contents | json }}
    - require:
      - file: client-profiles-dir-managed
{%-   endfor %}
{%-   if client_profiles.retired %}

client-retired-files-absent:
  file.absent:
    - names: {{ client_profiles.retired | json }}
    - require:
      - file: client-script-managed
{%-   endif %}
{%- endif %}
