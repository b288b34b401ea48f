{#- Runbook, "Getting started" (firewalld off, iptables on) and "Firewall":
    the iptables tools, the node's rules file loaded, then the iptables
    service enabled and started. Included first by head.sls and compute.sls. -#}
include:
  - firewall.package.install
  - firewall.config.file
  - firewall.service.running
