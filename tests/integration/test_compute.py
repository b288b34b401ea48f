"""
The compute role on the local cluster (a real master and the five inventory minions): the
dry run of `salt 'cn4[4-7]*' state.apply compute`, each node's own address in its nova.conf,
and the kill switch on one node only. The minions run on this Debian host, so the states use
the Debian names of salt/parameters/osfamilymap.yaml and nothing is applied for real.
"""

import json
import os
import pathlib
import time

import pytest
import yaml

from tests.support.localcluster import inventory

pytestmark = pytest.mark.slow

COMPUTE = {"cn44.internal", "cn45.internal", "cn46.internal", "cn47.internal"}
# The kill switch's services by their Debian names (salt/parameters/osfamilymap.yaml); on the
# RedHat nodes openstack-nova-compute, openstack-nova-network, openstack-nova-metadata-api.
KILLED = {"nova-compute", "nova-network", "nova-api-metadata"}


def _by_id(states):
    return {state["__id__"]: state for state in states.values()}


@pytest.fixture(scope="module")
def dry_run(salt_cli, cluster_minions):
    ret = salt_cli.run("state.apply", "compute", "test=True", minion_tgt="cn4[4-7]*")
    assert ret.returncode == 0, ret
    return ret.data


def test_dry_run_reaches_only_the_compute_nodes_and_every_state_passes(dry_run):
    assert set(dry_run) == COMPUTE
    for minion_id, states in dry_run.items():
        assert isinstance(states, dict) and states, (minion_id, states)
        failed = {s["__id__"]: s["comment"] for s in states.values() if s["result"] is False}
        assert not failed, (minion_id, failed)
        by_id = _by_id(states)
        assert by_id["nova-config-file-managed"]["result"] is None, minion_id
        assert by_id["nova-compute-service-running"]["result"] is None, minion_id


def test_dry_run_shows_each_node_its_own_address_in_nova_conf(salt_cli, dry_run):
    grains = salt_cli.run("grains.item", "mgmt_ipv4", minion_tgt="cn4[4-7]*").data
    nodes = inventory()["nodes"]
    addresses = set()
    for minion_id, states in dry_run.items():
        own = grains[minion_id]["mgmt_ipv4"]
        assert own == nodes[minion_id.split(".")[0]]["ip"]
        changes = _by_id(states)["nova-config-file-managed"]["changes"]
        assert changes["DEFAULT/my_ip"]["new"] == own, minion_id
        assert changes["DEFAULT/vncserver_proxyclient_address"]["new"] == own, minion_id
        # Secrets never show in a dry run's changes.
        assert changes["database/connection"]["new"] == "***"
        assert changes["keystone_authtoken/admin_password"]["new"] == "***"
        addresses.add(own)
    assert len(addresses) == len(COMPUTE)


def test_compiled_nova_conf_carries_each_nodes_own_address(salt_cli, cluster_minions):
    ret = salt_cli.run("state.show_sls", "compute", minion_tgt="cn4[4-7]*")
    assert ret.returncode == 0, ret
    assert set(ret.data) == COMPUTE
    nodes = inventory()["nodes"]
    for minion_id, high in ret.data.items():
        own = nodes[minion_id.split(".")[0]]["ip"]
        (sections,) = [
            arg["sections"]
            for arg in high["nova-config-file-managed"]["openstack_ini"]
            if isinstance(arg, dict) and "sections" in arg
        ]
        assert sections["DEFAULT"]["my_ip"] == own, minion_id
        assert sections["DEFAULT"]["vncserver_proxyclient_address"] == own, minion_id


def test_killswitch_dry_run_names_the_three_services_on_the_targeted_node_only(
    salt_cli, salt_run_cli, cluster_minions
):
    ret = salt_cli.run("state.apply", "compute.killswitch", "test=True", minion_tgt="cn44.internal")
    assert ret.returncode == 0, ret
    # salt-factories hands back a lone target's return without its id: cn44's states.
    states = ret.data
    assert isinstance(states, dict) and all("_|-" in key for key in states), states
    assert all(s["result"] is not False for s in states.values()), states
    dead = {
        s["name"]
        for key, s in states.items()
        if key.startswith("service_|-") and key.endswith("_|-dead")
    }
    assert dead == KILLED
    # ... and the drained mark: three services and one grain.
    assert {s["__id__"] for s in states.values() if s["__id__"].startswith("compute-")} == {
        "compute-killswitch-drained-grain-present"
    }
    assert len(states) == len(KILLED) + 1

    # The master's job cache: the job went to cn44 alone, and only cn44 answered.
    jobs = salt_run_cli.run("jobs.list_jobs", "search_function=state.apply").data
    jid = max(
        jid for jid, job in jobs.items() if "compute.killswitch" in json.dumps(job["Arguments"])
    )
    job = salt_run_cli.run("jobs.list_job", jid).data
    assert job["Minions"] == ["cn44.internal"]
    assert set(job["Result"]) == {"cn44.internal"}


def test_compute_on_an_undrained_node_runs_and_enables_the_services(salt_cli, cluster_minions):
    ret = salt_cli.run("state.show_sls", "compute", minion_tgt="cn44.internal")
    assert ret.returncode == 0, ret
    started = {}
    for body in ret.data.values():
        service = body.get("service") or []
        if "running" in service:
            args = {k: v for arg in service if isinstance(arg, dict) for k, v in arg.items()}
            started[args["name"]] = args["enable"]
    assert {name: started.get(name) for name in KILLED} == dict.fromkeys(KILLED, True)


# The lasting kill switch. cn44 is killed for real (the grain is written into its minion's
# config dir under pytest's temp dir), with service names of its own through pillar so that no
# init script on this host can be touched; everything after that runs in test mode.
DRAINED = "cn44.internal"
GRAIN = "hltcloud_drained"
OWN_NAMES = {
    "nova": {
        "compute": {"service": f"hlt-ks-{os.getpid()}-nova-compute"},
        "network": {
            "service": f"hlt-ks-{os.getpid()}-nova-network",
            "metadata_service": f"hlt-ks-{os.getpid()}-nova-api-metadata",
        },
    }
}


def _services(states):
    """{service name: (state function, state id)} of the service states of one state run."""
    found = {}
    for key, state in states.items():
        if key.startswith("service_|-"):
            fun = key.rsplit("_|-", 1)[1]
            found[state["name"]] = (fun, state["__id__"])
    return found


def _restart(factory, config_text=None, **overrides):
    """
    Stop the minion and start it again under the same id, config dir and grains file, with
    ``overrides`` on top of its config file (or with ``config_text`` as its config file).
    Returns the config file's text from before.
    """
    factory.terminate()
    path = pathlib.Path(factory.config_file)
    before = path.read_text()
    if config_text is None:
        config_text = yaml.safe_dump({**yaml.safe_load(before), **overrides})
    path.write_text(config_text)
    factory.start(start_timeout=180)
    return before


def _startup_highstate(event_listener, master_id, since, timeout=300):
    """The return of the state.highstate a minion ran by itself (startup_states) after ``since``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for event in event_listener.get_events(
            [(master_id, f"salt/job/*/ret/{DRAINED}")], after_time=since
        ):
            if event.data.get("fun") == "state.highstate":
                return event.data
        time.sleep(1)
    raise AssertionError(f"no startup highstate from {DRAINED} within {timeout} s")


@pytest.fixture
def drained_cn44(salt_cli, cluster_minions):
    """cn44 killed for real; afterwards the grain is gone and cn44 restarted as it was."""
    pillar = json.dumps({"hltcloud": {"lookup": OWN_NAMES}})
    factory = cluster_minions[DRAINED]
    config_text = pathlib.Path(factory.config_file).read_text()
    try:
        ret = salt_cli.run(
            "state.apply", "compute.killswitch", f"pillar={pillar}", minion_tgt=DRAINED
        )
        assert ret.returncode == 0, ret
        assert all(s["result"] is True for s in ret.data.values()), ret.data
        yield ret.data
    finally:
        salt_cli.run(
            "state.sls_id",
            "compute-resume-drained-grain-absent",
            "compute.resume",
            "test=False",
            minion_tgt=DRAINED,
        )
        if pathlib.Path(factory.config_file).read_text() != config_text:
            _restart(factory, config_text)


def test_killed_node_stays_down_through_a_minion_restart_and_a_fleet_apply(
    cluster_master, salt_cli, cluster_minions, event_listener, drained_cn44
):
    grain = salt_cli.run("grains.get", GRAIN, minion_tgt=DRAINED)
    assert grain.data is True, grain

    # The minion restarts with the repo's startup highstate, in test mode on this host.
    since = time.time()
    _restart(cluster_minions[DRAINED], startup_states="highstate", test=True)
    startup = _startup_highstate(event_listener, cluster_master.id, since)
    assert isinstance(startup["return"], dict), startup["return"]
    assert not [s for s in startup["return"].values() if s["result"] is False], startup
    found = _services(startup["return"])
    assert {name: found[name][0] for name in KILLED} == dict.fromkeys(KILLED, "dead")

    # `compute` on all four compute nodes: cn44's services stay stopped and disabled.
    ret = salt_cli.run("state.apply", "compute", "test=True", minion_tgt="cn4[4-7]*")
    assert ret.returncode == 0, ret
    assert set(ret.data) == COMPUTE
    for minion_id, states in ret.data.items():
        assert not [s for s in states.values() if s["result"] is False], (minion_id, states)
        found = _services(states)
        expected = "dead" if minion_id == DRAINED else "running"
        assert {name: found[name][0] for name in KILLED} == dict.fromkeys(KILLED, expected), (
            minion_id
        )
        drained = {s["__id__"] for s in states.values() if s["__id__"].endswith("-drained")}
        if minion_id == DRAINED:
            assert drained == {"nova-compute-service-drained", "nova-network-service-drained"}
        else:
            assert drained == set(), minion_id

    # The compiled states say it too: stopped and disabled on cn44 only.
    shown = salt_cli.run("state.show_sls", "compute", minion_tgt="cn4[4-7]*").data
    for minion_id, high in shown.items():
        enable = {}
        for body in high.values():
            for fun in ("running", "dead"):
                if fun in (body.get("service") or []):
                    args = {
                        k: v for a in body["service"] if isinstance(a, dict) for k, v in a.items()
                    }
                    enable[args["name"]] = (fun, args["enable"])
        expected = ("dead", False) if minion_id == DRAINED else ("running", True)
        assert {name: enable[name] for name in KILLED} == dict.fromkeys(KILLED, expected), minion_id

    # compute.resume lifts the mark (for real: only the grain) and would start all three.
    ret = salt_cli.run("state.apply", "compute.resume", "test=True", minion_tgt=DRAINED)
    assert ret.returncode == 0, ret
    assert {name: fun for name, (fun, _) in _services(ret.data).items()} == dict.fromkeys(
        KILLED, "running"
    )
    ret = salt_cli.run(
        "state.sls_id",
        "compute-resume-drained-grain-absent",
        "compute.resume",
        "test=False",
        minion_tgt=DRAINED,
    )
    assert ret.returncode == 0, ret
    assert salt_cli.run("grains.get", GRAIN, minion_tgt=DRAINED).data in ("", None)
    high = salt_cli.run("state.show_sls", "compute", minion_tgt=DRAINED).data
    assert {"nova-compute-service-running", "nova-network-service-running"} <= set(high)
    assert not [state_id for state_id in high if state_id.endswith("-drained")]
