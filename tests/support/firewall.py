"""
A firewalled node and its peer for the firewall tests: two network namespaces joined by a veth
pair (made inside the namespaces, so no link name touches the host), TCP listeners in the node,
probes from the peer (tests/support/tcpprobe.py), and masterless salt-call run inside the node's
namespace, so that every iptables command of the states changes only that namespace.

The node's boot service (netfilter-persistent on Debian, iptables on RedHat) is a TEST DOUBLE:
an init script under /etc/init.d whose start loads the rules file with iptables-restore, as
netfilter-persistent does. Salt's debian_service enables a service with `insserv X &&
update-rc.d X enable`; Debian 12 has no insserv, so the salt-call gets a stand-in insserv on its
PATH that runs `update-rc.d X defaults`. Every namespace, script and rc link is removed by
``teardown``/``remove``.
"""

import json
import os
import pathlib
import secrets
import socket
import string
import subprocess
import sys
import textwrap
import time

import attr

PROBE = str(pathlib.Path(__file__).with_name("tcpprobe.py"))
PY = sys.executable
SALT_CALL = str(pathlib.Path(PY).parent / "salt-call")

NODE_IP = "198.51.100.1"
PEER_DENIED = "198.51.100.2"  # in no allowed list
PEER_ALLOWED = "198.51.100.3"  # allowed by pillar firewall:sources
PEER_INVENTORY = "10.162.128.64"  # cn44's inventory address, as a source inside the namespaces
PEER_HEAD = "10.162.128.63"  # cn43's (the head's) inventory address, the same way
# IPv6 (documentation prefix), on the same veth.
NODE_IP6 = "2001:db8:f00::1"
PEER_IP6 = "2001:db8:f00::2"


def letters(count=8):
    """
    A random tag of letters for a service name: Salt's debian_service.get_enabled cuts the rc
    link names at digits, so a name with digits never looks enabled.
    """
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(count))


def run(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


def why_not():
    """None when namespaces and iptables work here, else the reason they do not."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    for tool in ("ip", "iptables-restore", "ip6tables-restore", "ipset", "update-rc.d"):
        if run("sh", "-c", f"command -v {tool}", check=False).returncode != 0:
            return f"{tool} is not installed (tools/apt-packages.txt)"
    try:
        socket.socket(socket.AF_INET6).close()  # the listeners are dual-stack
    except OSError as exc:
        return f"IPv6 sockets do not work here: {exc}"
    probe = f"hltfw-probe-{os.getpid()}"
    proc = run("ip", "netns", "add", probe, check=False)
    if proc.returncode != 0:
        return f"`ip netns add` failed: {proc.stderr.strip()}"
    try:
        for cmd in (["iptables", "-S"], ["ipset", "create", "probe", "hash:ip"]):
            proc = run("ip", "netns", "exec", probe, *cmd, check=False)
            if proc.returncode != 0:
                return f"{cmd[0]} does not work inside a namespace: {proc.stderr.strip()}"
    finally:
        run("ip", "netns", "del", probe, check=False)
    return None


def probe_command(netns, *args):
    """tests/support/tcpprobe.py with ``args`` inside ``netns``."""
    return ["ip", "netns", "exec", netns, PY, PROBE, *map(str, args)]


@attr.s
class NodeAndPeer:
    """Namespaces ``hltfw-<tag>-node-<pid>-<rand>`` and ``...-peer-...``, joined by veth."""

    tag = attr.ib()
    node = attr.ib(init=False)
    peer = attr.ib(init=False)
    procs = attr.ib(factory=list)

    def __attrs_post_init__(self):
        suffix = f"{os.getpid()}-{secrets.token_hex(3)}"
        self.node = f"hltfw-{self.tag}-node-{suffix}"
        self.peer = f"hltfw-{self.tag}-peer-{suffix}"

    def setup(self):
        run("ip", "netns", "add", self.node)
        run("ip", "netns", "add", self.peer)
        run(
            "ip",
            "-n",
            self.node,
            "link",
            "add",
            "fw0",
            "type",
            "veth",
            "peer",
            "name",
            "fw1",
            "netns",
            self.peer,
        )
        run("ip", "-n", self.node, "addr", "add", f"{NODE_IP}/24", "dev", "fw0")
        for address in (f"{PEER_DENIED}/24", f"{PEER_ALLOWED}/24"):
            run("ip", "-n", self.peer, "addr", "add", address, "dev", "fw1")
        # nodad: usable at once, without duplicate address detection's wait.
        run("ip", "-n", self.node, "addr", "add", f"{NODE_IP6}/64", "dev", "fw0", "nodad")
        run("ip", "-n", self.peer, "addr", "add", f"{PEER_IP6}/64", "dev", "fw1", "nodad")
        for ns, link in ((self.node, "fw0"), (self.peer, "fw1")):
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "link", "set", link, "up")
        # The inventory addresses, inside the namespaces.
        for address in (PEER_INVENTORY, PEER_HEAD):
            self.add_peer(address)
        return self

    def add_peer(self, address):
        """One more source address in the peer (a /32), the node's replies routed back to it."""
        run("ip", "-n", self.peer, "addr", "add", f"{address}/32", "dev", "fw1")
        run("ip", "-n", self.node, "route", "add", f"{address}/32", "dev", "fw0")
        return address

    def listen(self, ports):
        """TCP echo listeners on ``ports`` inside the node."""
        proc = subprocess.Popen(
            probe_command(self.node, "listen", *ports), stdout=subprocess.PIPE, text=True
        )
        self.procs.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        return proc

    def connect(self, source, ports):
        """{port: "ok" | error name} for a connect from ``source`` in the peer to each port
        of the node's address of the same family."""
        proc = run(
            *probe_command(
                self.peer, "connect", source, NODE_IP6 if ":" in source else NODE_IP, *ports
            )
        )
        return {int(port): result for port, result in json.loads(proc.stdout).items()}

    def open_ports(self, source, ports):
        return sorted(
            port for port, result in self.connect(source, ports).items() if result == "ok"
        )

    def hold(self, source, port, stopfile):
        """Start a connection holder to ``port``; stop it by creating ``stopfile``."""
        proc = subprocess.Popen(
            probe_command(self.peer, "hold", source, NODE_IP, port, stopfile),
            stdout=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        assert proc.stdout.readline().strip() == "holding"
        return proc

    def iptables(self, *args):
        return run("ip", "netns", "exec", self.node, "iptables", *args).stdout

    def ipset(self, *args):
        return run("ip", "netns", "exec", self.node, "ipset", *args).stdout

    def ip6tables(self, *args):
        return run("ip", "netns", "exec", self.node, "ip6tables", *args).stdout

    def teardown(self):
        for proc in self.procs:
            proc.kill()
            proc.wait()
        run("ip", "netns", "del", self.node, check=False)
        run("ip", "netns", "del", self.peer, check=False)


@attr.s
class InitScript:
    """
    TEST DOUBLE of a boot service: /etc/init.d/<name>; ``start`` runs ``start_cmd`` and marks the
    service running (a file in ``statedir``), ``stop`` unmarks it, ``status`` tells.
    """

    name = attr.ib()
    start_cmd = attr.ib()
    statedir = attr.ib()

    @property
    def script(self):
        return pathlib.Path("/etc/init.d") / self.name

    @property
    def log(self):
        return pathlib.Path(self.statedir) / f"{self.name}.log"

    def install(self):
        running = pathlib.Path(self.statedir) / f"{self.name}.running"
        self.log.write_text("")
        self.script.write_text(
            textwrap.dedent(
                f"""\
                #!/bin/sh
                ### BEGIN INIT INFO
                # Provides:          {self.name}
                # Required-Start:
                # Required-Stop:
                # Default-Start:     2 3 4 5
                # Default-Stop:      0 1 6
                # Short-Description: hlt-cloud test double (tests/support/firewall.py)
                ### END INIT INFO
                case "$1" in
                  start|restart|force-reload)
                    echo "$1" >> {self.log}
                    {self.start_cmd} && touch {running} ;;
                  stop) rm -f {running} ;;
                  status) [ -e {running} ] ;;
                  *) echo "usage: $0 start|stop|restart|status"; exit 3 ;;
                esac
                """
            )
        )
        self.script.chmod(0o755)
        return self

    def calls(self):
        return self.log.read_text().split()

    def enabled(self):
        return any(pathlib.Path("/etc").glob(f"rc2.d/S*{self.name}"))

    def remove(self):
        run("update-rc.d", "-f", self.name, "remove", check=False)
        self.script.unlink(missing_ok=True)


def boot_loads(paths):
    """The start command of the boot service's double: the ipset file when there is one, then
    both rules files, as netfilter-persistent with ipset-persistent's plugin loads them."""
    ipsets = paths / "ipsets"
    return (
        f"{{ [ ! -f {ipsets} ] || ipset -exist restore < {ipsets}; }} && "
        f"iptables-restore {paths / 'rules.v4'} && ip6tables-restore {paths / 'rules.v6'}"
    )


def insserv_stand_in(bindir):
    """A directory with an `insserv` that makes the rc links with update-rc.d (see above)."""
    bindir = pathlib.Path(bindir)
    bindir.mkdir(parents=True, exist_ok=True)
    insserv = bindir / "insserv"
    insserv.write_text(
        '#!/bin/sh\n# hlt-cloud test stand-in for insserv\nexec update-rc.d "$1" defaults\n'
    )
    insserv.chmod(0o755)
    return bindir


def salt_call_in(netns, checkout, node, *args, path_prefix=None):
    """salt-call masterless as ``node`` inside ``netns``; return (exit code, JSON "local")."""
    env = dict(os.environ)
    if path_prefix:
        env["PATH"] = f"{path_prefix}:{env['PATH']}"
    proc = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            netns,
            SALT_CALL,
            "--id",
            node,
            "--out=json",
            "--log-level=quiet",
            *args,
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)["local"]


def by_id(ret):
    """{state id: result} of a state.apply return."""
    assert isinstance(ret, dict), ret
    return {state["__id__"]: state for state in ret.values()}


def wait_for(predicate, timeout=5.0, poll=0.05):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return True
        time.sleep(poll)
    return False
