{#- Runbook, "Client node configuration", on the head: the clients, and
    enter-openstack.sh with root's profiles. -#}
include:
  - client.package.install
  - client.config.file
