{#- glance-api.conf and glance-registry.conf: ONE state per file with every
    setting of the runbook (salt/glance/conf.jinja), instead of its sixteen
    openstack-config commands; each daemon watches its file by ID. When a pillar
    key or secret they need is missing, the same IDs are states that fail and
    say what is missing: no file is written with "None" in it. Also the
    directory of the file store (parameters glance:images). -#}
{%- from "macros.jinja" import failed %}
{%- from "map.jinja" import hltcloud with context %}
{%- from "glance/conf.jinja" import glance_conf with context %}
{%- set images = hltcloud.glance.images %}
include:
  - glance.package.install

{%- for daemon, file in glance_conf.files | dictsort %}
{%-   if glance_conf.errors %}

{{ failed("glance-config-" ~ daemon ~ "-file-managed", file.path,
          file.path ~ " not written: " ~ glance_conf.errors | join("; ")) }}
{%-   else %}

glance-config-{{ daemon }}-file-managed:
  openstack_ini.present:
    - name: {{ file.path | json }}
    - user: {{ glance_conf.user | json }}
    - group: {{ glance_conf.group | json }}
    - mode: {{ glance_conf.mode | string | json }}
    - sections: {{ file.sections | json }}
    - require:
      - sls: glance.package.install
{%-   endif %}
{%- endfor %}

glance-images-directory-managed:
  file.directory:
    - name: {{ images.dir | json }}
    - user: {{ images.user | json }}
    - group: {{ images.group | json }}
    - mode: {{ images.mode | string | json }}
    - makedirs: true
    - require:
      - sls: glance.package.install
