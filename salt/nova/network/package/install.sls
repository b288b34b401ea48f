{#- Runbook, "Legacy networking" / "OpenStack daemons": nova-network and the
    nova API package that carries the metadata API. Inside compute.sls, one
    package state for the whole role (packages.jinja). -#}
{%- from "packages.jinja" import formula_packages_installed with context %}
include:
  - openstack.repo
{{ formula_packages_installed("nova.network") }}
