{#- The iptables tools and boot service in. firewalld goes in
    firewall.config.file, once the new rules files are written and checked:
    bad data leaves it running (fail closed). Inside compute.sls, one package
    state for the whole role (packages.jinja). -#}
{%- from "packages.jinja" import formula_packages_installed with context %}
{{ formula_packages_installed("firewall") }}
