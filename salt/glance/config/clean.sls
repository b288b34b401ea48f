{#- Remove the settings glance.config.file manages from the config files (the
    rest of each file stays), after the daemons that read them are stopped.
    The image directory stays: it holds the images. -#}
{%- from "glance/conf.jinja" import glance_conf with context %}
include:
  - glance.service.clean

{%- for daemon, file in glance_conf.files | dictsort %}
{%-   set keys = {} %}
{%-   for section, settings in file.sections | dictsort %}
{%-     do keys.update({section: settings | list | sort}) %}
{%-   endfor %}

glance-config-{{ daemon }}-settings-absent:
  openstack_ini.absent:
    - name: {{ file.path | json }}
    - sections: {{ keys | json }}
    - require:
      - sls: glance.service.clean
{%- endfor %}
