{#- Remove the settings nova.config.file manages from nova.conf (the rest of
    the file stays), after the services that read it are stopped. -#}
{%- from "nova/conf.jinja" import nova_conf with context %}
include:
  - nova.compute.service.clean
  - nova.network.service.clean

{%- set keys = {} %}
{%- for section, settings in nova_conf.sections | dictsort %}
{%-   do keys.update({section: settings | list | sort}) %}
{%- endfor %}

nova-config-file-settings-absent:
  openstack_ini.absent:
    - name: {{ nova_conf.path | json }}
    - sections: {{ keys | json }}
    - require:
      - sls: nova.compute.service.clean
      - sls: nova.network.service.clean
