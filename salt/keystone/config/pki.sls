{#- Runbook, "Create keys": `keystone-manage pki_setup --keystone-user keystone
    --keystone-group keystone` once (guarded by the files it creates), then
    /etc/keystone/ssl owned by keystone:keystone and closed to others (chown -R,
    chmod -R o-rwx); and keystone.log group keystone, 0660. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set keystone = hltcloud.keystone %}
{%- set pki = keystone.pki %}
include:
  - keystone.config.file

keystone-pki-setup:
  cmd.run:
    - name: {{ (keystone.manage ~ " pki_setup --keystone-user " ~ keystone.user
                ~ " --keystone-group " ~ keystone.group) | json }}
    - creates: {{ pki.creates | json }}
    - require:
      - sls: keystone.config.file

keystone-pki-ssl-dir-owned:
  file.directory:
    - name: {{ pki.ssl_dir | json }}
    - user: {{ keystone.user | json }}
    - group: {{ keystone.group | json }}
    - recurse:
      - user
      - group
    - require:
      - cmd: keystone-pki-setup

keystone-pki-ssl-dir-closed-to-others:
  cmd.run:
    - name: {{ ("chmod -R o-rwx " ~ pki.ssl_dir) | json }}
    - onlyif: {{ ("find " ~ pki.ssl_dir ~ " -perm /o=rwx | grep -q .") | json }}
    - require:
      - file: keystone-pki-ssl-dir-owned

keystone-log-file-permissions:
  file.managed:
    - name: {{ keystone.log.path | json }}
    - replace: false
    - group: {{ keystone.group | json }}
    - mode: {{ keystone.log.mode | string | json }}
    - require:
      - sls: keystone.package.install
