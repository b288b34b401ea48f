"""
The self-healing setup shared by tests/integration/test_selfheal.py and
bench/bench_selfheal.py: a salt-master on the host, the compute minion
cn44.internal inside a network namespace (tests/support/netns.py), the
nova-network test double, and the repo's pillar with the test's overrides.
"""

import contextlib
import pathlib
import time

import attr

from tests.support.localcluster import make_pillar_root, master_overrides, minion_overrides
from tests.support.netns import ComputeNetns, FakeNovaNetwork, NetnsSaltMinion

MINION = "cn44.internal"


def selfheal_pillar_root(target, service, cooldown, **settings):
    """
    The repo's pillar with this test's overrides: the map's nova-network service
    renamed to the test double (pillar ``hltcloud:lookup``, the way a site would
    rename the real one), a short cool-down and the other ``selfheal`` settings.
    """
    root = make_pillar_root(target)
    values = {"cooldown": cooldown, "timeout": 5, **settings}
    lines = "".join(f"  {key}: {value}\n" for key, value in values.items())
    (root / "selfheal_test.sls").write_text(
        "hltcloud:\n  lookup:\n    nova:\n      network:\n"
        f"        service: {service}\n"
        f"selfheal:\n{lines}"
    )
    top = (root / "top.sls").read_text()
    assert "    - selfheal\n" in top, "pillar/top.sls no longer lists selfheal on a line"
    (root / "top.sls").write_text(
        top.replace("    - selfheal\n", "    - selfheal\n    - selfheal_test\n")
    )
    return root


def clear_heal_gate(master):
    """No heal held, queued or being dispatched on ``master`` (heal_gate.enqueue's files)."""
    kept = pathlib.Path(master.config["cachedir"]) / "hltcloud"
    for mark in [*(kept / "heal-gate").glob("*"), *(kept / "heal-queue").glob("*")]:
        mark.unlink()
    (kept / "heal-dispatch").unlink(missing_ok=True)


@attr.s
class SelfhealCluster:
    netns = attr.ib()
    fake = attr.ib()
    master = attr.ib()
    minion = attr.ib()
    cli = attr.ib()


def _minion_config(host_ip):
    config = minion_overrides()
    config.update(
        {
            "master": host_ip,
            # salt-factories' event listener and log server, reached through the veth
            "pytest-minion": {"returner_address": {"host": host_ip}, "log": {"host": host_ip}},
        }
    )
    return config


@contextlib.contextmanager
def selfheal_cluster(salt_factories, tmp_path, cooldown, **settings):
    """
    Start the namespace (br100 with its gateway and one guest's tap device, so
    the address is wanted), the fake service, the master and the minion; yield
    a SelfhealCluster; on exit remove every process, file and link made, even
    when starting failed half-way. ``settings`` go to pillar ``selfheal``.
    """
    tag = str(int(time.time() * 1000) % 10**8)
    with contextlib.ExitStack() as undo:
        netns = ComputeNetns(f"hlt-cn44-{tag}")
        undo.callback(netns.teardown)
        netns.setup()
        netns.add_guest()
        fake = FakeNovaNetwork(f"hlt-test-nova-network-{tag}")
        undo.callback(fake.remove)
        fake.install(tmp_path)
        pillar = selfheal_pillar_root(tmp_path / "pillar", fake.name, cooldown, **settings)
        config = master_overrides(pillar)
        config["interface"] = netns.host_ip
        master = salt_factories.salt_master_daemon(f"selfheal-master-{tag}", overrides=config)
        undo.callback(master.terminate)
        master.start()
        minion = master.salt_minion_daemon(
            MINION,
            overrides=_minion_config(netns.host_ip),
            factory_class=NetnsSaltMinion,
            netns=netns.name,
        )
        undo.callback(minion.terminate)
        minion.start()
        cli = master.salt_cli(timeout=60)
        for fun, *args in (("saltutil.sync_all",), ("saltutil.refresh_pillar", "wait=True")):
            ret = cli.run(fun, *args, minion_tgt=MINION)
            assert ret.returncode == 0, ret
        yield SelfhealCluster(netns, fake, master, minion, cli)
