{#- Runbook, "The Compute service": nova-compute and the OpenStack utilities,
    from the RDO repository (openstack.repo). Inside compute.sls, one package
    state for the whole role (packages.jinja). -#}
{%- from "packages.jinja" import formula_packages_installed with context %}
include:
  - openstack.repo
{{ formula_packages_installed("nova.compute") }}
