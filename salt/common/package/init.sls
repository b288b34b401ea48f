{#- Inside compute.sls, one package state for the whole role (packages.jinja). -#}
{%- from "packages.jinja" import formula_packages_installed with context %}
{{ formula_packages_installed("common") }}
