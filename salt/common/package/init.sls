{%- from "map.jinja" import hltcloud with context %}

common-packages-installed:
  pkg.installed:
    - pkgs: {{ hltcloud.common.pkgs | json }}
