{#- /etc/nova/nova.conf: ONE state with every setting of the compute node,
    the compute service's and nova-network's (salt/nova/conf.jinja), instead
    of the runbook's openstack-config loop. The services watch it by ID. When
    a grain, pillar key or secret it needs is missing, the same ID is a state
    that fails and says what is missing: the file is never written with
    "None" in it. -#}
{%- from "nova/conf.jinja" import nova_conf with context %}
include:
  - nova.compute.package.install
  - nova.network.package.install

{%- if nova_conf.errors %}

nova-config-file-managed:
  test.configurable_test_state:
    - name: {{ nova_conf.path | json }}
    - changes: false
    - result: false
    - allow_test_mode_failure: true
    - comment: {{ (nova_conf.path ~ " not written: " ~ nova_conf.errors | join("; ")) | json }}

{%- else %}

nova-config-file-managed:
  openstack_ini.present:
    - name: {{ nova_conf.path | json }}
    - user: {{ nova_conf.user | json }}
    - group: {{ nova_conf.group | json }}
    - mode: {{ nova_conf.mode | string | json }}
    - sections: {{ nova_conf.sections | json }}
    - require:
      - sls: nova.compute.package.install
      - sls: nova.network.package.install
{%- endif %}
