"""
The self-healing setup shared by tests/integration/test_selfheal.py and
bench/bench_selfheal.py: a salt-master on the host, the compute minion
cn44.internal inside a network namespace (tests/support/netns.py), the
nova-network test double, and the repo's pillar with the test's overrides.
"""

import contextlib
import time

import attr

from tests.support.localcluster import make_pillar_root, master_overrides, minion_overrides
from tests.support.netns import HOST_IP, ComputeNetns, FakeNovaNetwork, NetnsSaltMinion

MINION = "cn44.internal"


def selfheal_pillar_root(target, service, cooldown):
    """The repo's pillar with this test's overrides: the fake service and a short cool-down."""
    root = make_pillar_root(target)
    (root / "selfheal_test.sls").write_text(
        f"selfheal:\n  service: {service}\n  cooldown: {cooldown}\n  timeout: 5\n"
    )
    top = (root / "top.sls").read_text()
    (root / "top.sls").write_text(
        top.replace("    - selfheal\n", "    - selfheal\n    - selfheal_test\n")
    )
    return root


@attr.s
class SelfhealCluster:
    netns = attr.ib()
    fake = attr.ib()
    master = attr.ib()
    minion = attr.ib()
    cli = attr.ib()


def _minion_config():
    config = minion_overrides()
    config.update(
        {
            "master": HOST_IP,
            # salt-factories' event listener and log server, reached through the veth
            "pytest-minion": {"returner_address": {"host": HOST_IP}, "log": {"host": HOST_IP}},
        }
    )
    return config


@contextlib.contextmanager
def selfheal_cluster(salt_factories, tmp_path, cooldown):
    """
    Start the namespace, the fake service, the master and the minion; yield a
    SelfhealCluster; on exit remove every process, file and link made, even
    when starting failed half-way.
    """
    tag = str(int(time.time() * 1000) % 10**8)
    with contextlib.ExitStack() as undo:
        netns = ComputeNetns(f"hlt-cn44-{tag}")
        undo.callback(netns.teardown)
        netns.setup()
        fake = FakeNovaNetwork(f"hlt-test-nova-network-{tag}")
        undo.callback(fake.remove)
        fake.install(tmp_path)
        config = master_overrides(selfheal_pillar_root(tmp_path / "pillar", fake.name, cooldown))
        config["interface"] = HOST_IP
        master = salt_factories.salt_master_daemon(f"selfheal-master-{tag}", overrides=config)
        undo.callback(master.terminate)
        master.start()
        minion = master.salt_minion_daemon(
            MINION, overrides=_minion_config(), factory_class=NetnsSaltMinion, netns=netns.name
        )
        undo.callback(minion.terminate)
        minion.start()
        cli = master.salt_cli(timeout=60)
        for fun, *args in (("saltutil.sync_all",), ("saltutil.refresh_pillar", "wait=True")):
            ret = cli.run(fun, *args, minion_tgt=MINION)
            assert ret.returncode == 0, ret
        yield SelfhealCluster(netns, fake, master, minion, cli)
