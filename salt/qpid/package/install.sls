{#- Runbook, "Messaging server": `yum install qpid-cpp-server`; on CentOS 7
    it comes from EPEL, which openstack.repo adds. -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - openstack.repo

qpid-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.qpid.pkgs | json }}
    - require:
      - sls: openstack.repo
