{#- Remove the settings keystone.config.file manages from keystone.conf (the
    rest of the file stays), after the service is stopped. -#}
{%- from "keystone/conf.jinja" import keystone_conf with context %}
include:
  - keystone.service.clean

{%- set keys = {} %}
{%- for section, settings in keystone_conf.sections | dictsort %}
{%-   do keys.update({section: settings | list | sort}) %}
{%- endfor %}

keystone-config-file-settings-absent:
  openstack_ini.absent:
    - name: {{ keystone_conf.path | json }}
    - sections: {{ keys | json }}
    - require:
      - sls: keystone.service.clean
