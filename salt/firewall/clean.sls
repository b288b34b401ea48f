{#- The twin of firewall, in reverse: the iptables service stopped and
    disabled, the rules file removed, the packages removed. firewalld stays
    off. -#}
include:
  - firewall.service.clean
  - firewall.config.clean
  - firewall.package.clean
