{#- Remove the settings nova.config.file manages from nova.conf (the rest of
    the file stays), after the services of the node's role that read it are
    stopped (nova.<fragment>.service.clean). -#}
{%- from "nova/conf.jinja" import nova_conf with context %}
{%- if nova_conf.fragments %}
include:
{%-   for fragment in nova_conf.fragments %}
  - nova.{{ fragment }}.service.clean
{%-   endfor %}
{%- endif %}

{%- set keys = {} %}
{%- for section, settings in nova_conf.sections | dictsort %}
{%-   do keys.update({section: settings | list | sort}) %}
{%- endfor %}

nova-config-file-settings-absent:
  openstack_ini.absent:
    - name: {{ nova_conf.path | json }}
    - sections: {{ keys | json }}
{%- if nova_conf.fragments %}
    - require:
{%-   for fragment in nova_conf.fragments %}
      - sls: nova.{{ fragment }}.service.clean
{%-   endfor %}
{%- endif %}
