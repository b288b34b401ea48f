{#- /etc/keystone/keystone.conf: ONE state with the runbook's [DEFAULT]
    admin_token and [database] connection (salt/keystone/conf.jinja), 0640
    root:keystone. The service watches it by ID; db_sync runs when it changes. -#}
{%- from "keystone/conf.jinja" import keystone_conf with context %}
include:
  - keystone.package.install

keystone-config-file-managed:
  openstack_ini.present:
    - name: {{ keystone_conf.path | json }}
    - user: {{ keystone_conf.user | json }}
    - group: {{ keystone_conf.group | json }}
    - mode: {{ keystone_conf.mode | string | json }}
    - sections: {{ keystone_conf.sections | json }}
    - require:
      - sls: keystone.package.install
