"""The runbook's settings, written out once, as the tests expect them."""


def nova_authtoken(head, nova_pass):
    """[keystone_authtoken] of nova.conf, the same on the head and the compute nodes."""
    return {
        "auth_uri": f"http://{head}:5000",
        "auth_host": head,
        "auth_protocol": "http",
        "auth_port": 35357,
        "admin_user": "nova",
        "admin_tenant_name": "service",
        "admin_password": nova_pass,
    }


def nova_conf(my_ip, head, nova_dbpass, nova_pass):
    """
    nova.conf of a compute node: "The Compute service" and "OpenStack daemons"
    (legacy networking) of the runbook, for a node whose address is ``my_ip``.
    """
    return {
        "DEFAULT": {
            # The Compute service
            "auth_strategy": "keystone",
            "rpc_backend": "qpid",
            "qpid_hostname": head,
            "my_ip": my_ip,
            "vnc_enabled": True,
            "vncserver_listen": "0.0.0.0",
            "vncserver_proxyclient_address": my_ip,
            "novncproxy_base_url": f"http://{head}:6080/vnc_auto.html",
            "glance_host": head,
            # Legacy networking: OpenStack daemons
            "network_api_class": "nova.network.api.API",
            "security_group_api": "nova",
            "network_manager": "nova.network.manager.FlatDHCPManager",
            "firewall_driver": "nova.virt.libvirt.firewall.IptablesFirewallDriver",
            "network_size": 254,
            "allow_same_net_traffic": False,
            "multi_host": True,
            "send_arp_for_ha": True,
            "share_dhcp_address": True,
            "force_dhcp_release": True,
            "flat_network_bridge": "br100",
            "flat_interface": "em1",
            "public_interface": "em1",
        },
        "database": {"connection": f"mysql://nova:{nova_dbpass}@{head}/nova"},
        "keystone_authtoken": nova_authtoken(head, nova_pass),
        "libvirt": {"virt_type": "qemu"},
    }


def controller_nova_conf(my_ip, head, nova_dbpass, nova_pass):
    """
    nova.conf of the head: "Compute: Nova management" and the controller part of
    "Legacy networking" of the runbook, for a head whose address is ``my_ip``.
    """
    return {
        "DEFAULT": {
            # Compute: Nova management
            "rpc_backend": "qpid",
            "qpid_hostname": "localhost",
            "my_ip": my_ip,
            "vncserver_listen": my_ip,
            "vncserver_proxyclient_address": my_ip,
            "auth_strategy": "keystone",
            # Legacy networking (controller)
            "network_api_class": "nova.network.api.API",
            "security_group_api": "nova",
        },
        "database": {"connection": f"mysql://nova:{nova_dbpass}@localhost/nova"},
        "keystone_authtoken": nova_authtoken(head, nova_pass),
    }


# The runbook's "Firewall" table, as written there (Port, Service, Head, Work).
FIREWALL_TABLE = """\
| 8776      | Block storage     |   ?  |      |
| 8774      | Compute endpoints |   ✔  |      |
| 8773,8775 | Compute API       |   ✔  |      |
| 5900-5999 | VNC               |      |   ✔  |
| 6080      | novnc browser     |   ✔  |      |
| 6081      | Normal VNC proxy  |   ?  |      |
| 6082      | Compute HTML5 pxy |   ?  |   ?  |
| 35357     | Keystone admin    |   ?  |      |
| 5000      | Keystone public   |   ✔  |      |
| 9292      | Glance API        |   ✔  |      |
| 9191      | Glance registry   |   ?  |   ?  |
| 9696      | Neutron           |   ?  |   ?  |
| 5672      | Qpid              |   ✔  |      |
"""


def firewall_table():
    """[{port, service, head, compute}] of the runbook's table, marks as written."""
    rows = []
    for line in FIREWALL_TABLE.splitlines():
        port, service, head, work = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append({"port": port, "service": service, "head": head, "compute": work})
    return rows


def expand_ports(port):
    """ "8773,8775" -> [8773, 8775]; "5900-5999" -> [5900, ..., 5999]."""
    ports = []
    for item in port.split(","):
        low, _, high = item.partition("-")
        ports.extend(range(int(low), int(high or low) + 1))
    return ports
