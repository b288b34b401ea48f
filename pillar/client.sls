{#- The runbook's enter-openstack.sh profiles on the head (salt/client): each
    becomes a file with the OpenStack user's name, password (from pillar
    keystone:users:<user>:password) and tenant, root's only, except the admin's,
    which the Unix group openstack may read too (parameters client:group).
    client:members (a list of user names), when set, is that group's exact
    membership; without it the group's members are added by hand. -#}
client:
  profiles:
    admin:
      user: admin
      tenant: admin
    demo:
      user: demo
      tenant: demo
