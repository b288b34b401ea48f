{#- /etc/nova/nova.conf: ONE state with every setting of the node's role
    (salt/nova/conf.jinja: compute and nova-network on a compute node, the
    controller on the head), instead of the runbook's openstack-config loop.
    It requires only the package states of the role's fragments
    (nova.<fragment>.package.install). The services watch it by ID. When a
    grain, pillar key or secret it needs is missing, the same ID is a state
    that fails and says what is missing: the file is never written with
    "None" in it. -#}
{%- from "macros.jinja" import failed %}
{%- from "nova/conf.jinja" import nova_conf with context %}
{%- if nova_conf.fragments %}
include:
{%-   for fragment in nova_conf.fragments %}
  - nova.{{ fragment }}.package.install
{%-   endfor %}
{%- endif %}

{%- if nova_conf.errors %}

{{ failed("nova-config-file-managed", nova_conf.path,
          nova_conf.path ~ " not written: " ~ nova_conf.errors | join("; ")) }}

{%- else %}

nova-config-file-managed:
  openstack_ini.present:
    - name: {{ nova_conf.path | json }}
    - user: {{ nova_conf.user | json }}
    - group: {{ nova_conf.group | json }}
    - mode: {{ nova_conf.mode | string | json }}
    - sections: {{ nova_conf.sections | json }}
    - require:
{%-   for fragment in nova_conf.fragments %}
      - sls: nova.{{ fragment }}.package.install
{%-   endfor %}
{%- endif %}
