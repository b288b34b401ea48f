# The head node (cn43): `salt -G role:head state.apply head`. Runbook, "Getting
# started" (head part), "Backing database", "OpenStack packages", "Messaging
# server", "Keystone: identity server" and "Client node configuration".
include:
  - common             # NetworkManager off, network on, iptables
  - openstack.repo     # RDO Icehouse, the same state as the compute nodes
  - mariadb            # MariaDB, its settings, mysql_secure_installation
  - qpid               # qpidd, auth=no
  - keystone           # keystone.conf, keys, database, db_sync, service, token_flush,
                       # then the identity catalog (keystone.catalog)
  - client             # nova/glance clients, openstack-utils, enter-openstack.sh
