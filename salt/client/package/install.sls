{#- Runbook, "Client node configuration" (on the head): `yum install
    python-novaclient python-glanceclient` from the RDO repository, and
    "OpenStack packages": openstack-utils. -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - openstack.repo

client-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.client.pkgs | json }}
    - require:
      - sls: openstack.repo
