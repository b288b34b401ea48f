{#- Runbook, "Compute: Nova management": the controller's packages
    (api, cert, conductor, console, novncproxy, scheduler, the nova client),
    from the RDO repository (openstack.repo). -#}
{%- from "map.jinja" import hltcloud with context %}
include:
  - openstack.repo

nova-controller-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.nova.controller.pkgs | json }}
    - require:
      - sls: openstack.repo
