{#- Runbook, "Messaging server": `yum install qpid-cpp-server`. -#}
{%- from "map.jinja" import hltcloud with context %}

qpid-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.qpid.pkgs | json }}
