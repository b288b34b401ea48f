"""
The compute role on the local cluster (a real master and the five inventory minions): the
dry run of `salt 'cn4[4-7]*' state.apply compute`, each node's own address in its nova.conf,
and the kill switch on one node only. The minions run on this Debian host, so the states use
the Debian names of salt/parameters/osfamilymap.yaml and nothing is applied for real.
"""

import json

import pytest

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
    assert len(states) == len(KILLED)

    # The master's job cache: the job went to cn44 alone, and only cn44 answered.
    jobs = salt_run_cli.run("jobs.list_jobs", "search_function=state.apply").data
    jid = max(
        jid for jid, job in jobs.items() if "compute.killswitch" in json.dumps(job["Arguments"])
    )
    job = salt_run_cli.run("jobs.list_job", jid).data
    assert job["Minions"] == ["cn44.internal"]
    assert set(job["Result"]) == {"cn44.internal"}


def test_applying_compute_again_brings_the_killed_services_back(salt_cli, cluster_minions):
    ret = salt_cli.run("state.show_sls", "compute", minion_tgt="cn44.internal")
    assert ret.returncode == 0, ret
    started = {}
    for body in ret.data.values():
        service = body.get("service") or []
        if "running" in service:
            args = {k: v for arg in service if isinstance(arg, dict) for k, v in arg.items()}
            started[args["name"]] = args["enable"]
    assert {name: started.get(name) for name in KILLED} == dict.fromkeys(KILLED, True)
