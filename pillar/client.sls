{#- The runbook's enter-openstack.sh profiles on the head (salt/client): each
    becomes a root-only file with the OpenStack user's name, password (from
    pillar keystone:users:<user>:password) and tenant. -#}
client:
  profiles:
    admin:
      user: admin
      tenant: admin
    demo:
      user: demo
      tenant: demo
