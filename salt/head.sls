# The head node (cn43): `salt -G role:head state.apply head`. Runbook, "Getting
# started" (head part), "Backing database", "OpenStack packages", "Messaging
# server", "Keystone: identity server" and "Client node configuration".
include:
  - validate           # the inventory and pillar pass the schema, or nothing runs
  - firewall           # the rules file first, then iptables enabled and started
  - common             # NetworkManager off, network on
  - openstack.repo     # RDO Icehouse, the same state as the compute nodes
  - mariadb            # MariaDB, its settings, mysql_secure_installation
  - qpid               # qpidd, auth=no
  - keystone           # keystone.conf, keys, database, db_sync, service, token_flush,
                       # then the identity catalog (keystone.catalog)
  - client             # nova/glance clients, openstack-utils, enter-openstack.sh
  - glance             # image service and the CirrOS image (after keystone)
  - nova.controller    # Nova controller: api, cert, consoleauth, scheduler, conductor, novncproxy
  - backup             # the backup folder and the nightly hltcloud.backup (databases, images)
# The demo network (nova.flat_network) is not here: creating it needs a nova-network,
# which runs on the compute nodes. orch.cloud applies it after them.
