"""
`salt-run hlt.status` on real daemons: a master and four inventory minions (cn47 is never
started), whose highstate is a stand-in tree of two small file states under a temp dir.
The real compute and head highstates cannot be applied on this Debian test host (RDO
packages, RedHat units), so "configured" is reached with the stand-in; the status runner,
the job cache, the drift schedule and the kill-switch grain are the real ones.
"""

import concurrent.futures
import datetime
import json
import os
import shutil
import time

import pytest

from tests.support.jobcache import add_job, highstate_return, jid_at, local_cache
from tests.support.localcluster import (
    REPO,
    make_pillar_root,
    master_overrides,
    start_minion,
    sync,
)

pytestmark = pytest.mark.slow

STARTED = ("cn43.internal", "cn44.internal", "cn45.internal", "cn46.internal")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The stand-in state tree: the repo's custom modules, a top file, two file states."""
    root = tmp_path_factory.mktemp("status-tree")
    files = tmp_path_factory.mktemp("status-files")
    for name in ("_modules", "_states", "_grains", "_utils", "_beacons", "_returners"):
        os.symlink(REPO / name, root / name)
    (root / "top.sls").write_text("base:\n  'cn4*':\n    - probe\n")
    (root / "probe.sls").write_text(
        "probe-motd-managed:\n"
        "  file.managed:\n"
        f"    - name: {files}/{{{{ grains['id'] }}}}/motd\n"
        "    - makedirs: true\n"
        "    - contents: managed by salt\n"
        "probe-issue-managed:\n"
        "  file.managed:\n"
        f"    - name: {files}/{{{{ grains['id'] }}}}/issue\n"
        "    - makedirs: true\n"
        "    - contents: managed by salt\n"
    )
    return root, files


@pytest.fixture(scope="module")
def status_cluster(salt_factories, tree, tmp_path_factory):
    root, files = tree
    overrides = master_overrides(make_pillar_root(tmp_path_factory.mktemp("status") / "pillar"))
    overrides["file_roots"] = {"base": [str(root)]}
    master = salt_factories.salt_master_daemon("status-master", overrides=overrides)
    minions = {}
    with master.started(start_timeout=120):
        try:
            for minion_id in STARTED:
                minions[minion_id] = start_minion(master, minion_id)
            cli = master.salt_cli(timeout=300)
            sync(cli, "cn4*")
            yield master, cli, minions, files
        finally:
            for factory in minions.values():
                factory.terminate()


def _status(master):
    ret = master.salt_run_cli(timeout=120).run("hlt.status", "timeout=5", "--out=json")
    assert ret.returncode == 0, ret
    data = ret.data if isinstance(ret.data, dict) else json.loads(ret.stdout)
    return data["nodes"]


def _table(master):
    ret = master.salt_run_cli(timeout=120).run("hlt.status", "timeout=5", "--out=txt")
    assert ret.returncode == 0, ret
    return ret.stdout


def _last_highstates(master):
    ret = master.salt_run_cli(timeout=120).run("hlt.last_highstates", "--out=json")
    assert ret.returncode == 0, ret
    return ret.data if isinstance(ret.data, dict) else json.loads(ret.stdout)


def test_status_table_says_what_each_node_is(status_cluster):
    master, cli, minions, files = status_cluster
    # cn43 and cn44 get their highstate, cn45 none; cn46 goes down; cn47 never started.
    ret = cli.run("state.apply", minion_tgt="cn4[34]*")
    assert ret.returncode == 0, ret
    minions["cn46.internal"].terminate()
    # Someone edits a managed file by hand on cn44; the drift schedule's job runs there.
    (files / "cn44.internal" / "motd").write_text("edited by hand\n")
    for minion_id in ("cn43.internal", "cn44.internal"):
        ret = cli.run("schedule.run_job", "hltcloud-drift", minion_tgt=minion_id)
        assert ret.returncode == 0, ret
    deadline = time.monotonic() + 60
    while True:
        nodes = _status(master)
        checked = [nodes[m]["drift"] for m in ("cn43.internal", "cn44.internal")]
        if all(checked) or time.monotonic() > deadline:
            break
        time.sleep(2)

    assert {m: n["state"] for m, n in nodes.items()} == {
        "cn43.internal": "configured",
        "cn44.internal": "configured",
        "cn45.internal": "unconfigured",
        "cn46.internal": "down",
        "cn47.internal": "down",
    }
    assert nodes["cn43.internal"]["drift_text"] == "in sync"
    assert list(nodes["cn44.internal"]["drift"]["drift"]) == ["probe-motd-managed"]
    assert nodes["cn44.internal"]["drift_text"].startswith("probe-motd-managed: ")
    assert nodes["cn43.internal"]["applied"] and not nodes["cn45.internal"]["applied"]
    table = _table(master)
    assert "| Node" in table
    rows = {line.split("|")[1].strip(): line for line in table.splitlines()[2:]}
    assert "configured" in rows["cn44"] and "probe-motd-managed" in rows["cn44"]
    assert "probe-motd-managed" not in rows["cn43"] + rows["cn45"]


def test_a_drained_node_says_so(status_cluster):
    master, cli, _minions, _files = status_cluster
    ret = cli.run("grains.setval", "hltcloud_drained", "true", minion_tgt="cn45.internal")
    assert ret.returncode == 0, ret
    try:
        assert _status(master)["cn45.internal"]["state"] == "drained"
    finally:
        cli.run("grains.delkey", "hltcloud_drained", minion_tgt="cn45.internal")


def test_a_failed_highstate_is_failed(status_cluster):
    master, cli, _minions, files = status_cluster
    # A directory where the managed file should be: file.managed fails on cn45.
    (files / "cn45.internal" / "issue").mkdir(parents=True)
    ret = cli.run("state.highstate", minion_tgt="cn45.internal")
    assert ret.returncode != 0
    node = _status(master)["cn45.internal"]
    assert node["state"] == "failed"
    assert node["failed_states"] == ["probe-issue-managed"]


def _report_jid(event_listener, master, since):
    """The jid of the ``hltcloud.report`` call published after ``since``, once it is out."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for event in event_listener.get_events([(master.id, "salt/job/*/new")], after_time=since):
            if event.data.get("fun") == "hltcloud.report":
                return event.data["jid"]
        time.sleep(0.1)
    raise AssertionError("hlt.status published no hltcloud.report call")


def test_a_forged_return_event_is_not_taken_for_another_node(status_cluster, event_listener):
    master, _cli, minions, _files = status_cluster
    # cn46 is down (its key accepted: the call waits for it); cn45, an accepted minion, is
    # compromised and answers for cn46 with a return event of its own making.
    victim = "cn46.internal"
    minions[victim].terminate()
    rogue = minions["cn45.internal"]
    forged = {
        "highstate": {"state": "configured", "failed": [], "applied": "2026, Jan 01 00:00:00.0"},
        "drift": {"in_sync": True},
        "drained": False,
    }
    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            master.salt_run_cli(timeout=120).run, "hlt.status", "timeout=30", "--out=json"
        )
        jid = _report_jid(event_listener, master, start)
        tag = f"salt/job/{jid}/ret/{victim}"
        data = {"id": victim, "jid": jid, "fun": "hltcloud.report", "return": forged}
        preload = {"events": [{"tag": tag, "data": {**data, "retcode": 0, "success": True}}]}
        sent = rogue.salt_call_cli(timeout=60).run(
            "event.fire_master", "{}", "hltcloud/forged", f"preload={json.dumps(preload)}"
        )
        assert sent.returncode == 0, sent
        ret = running.result(timeout=120)
    assert ret.returncode == 0, ret
    # The forged answer reached the master's bus while the call waited for cn46 ...
    heard = event_listener.wait_for_events([(master.id, tag)], after_time=start, timeout=30)
    assert [event.data["return"] for event in heard.matches] == [forged]
    # ... and hlt.status neither shows it nor keeps it.
    nodes = ret.data["nodes"] if isinstance(ret.data, dict) else json.loads(ret.stdout)["nodes"]
    assert nodes[victim]["state"] == "down"
    assert (nodes[victim]["applied"], nodes[victim]["drift"]) == (None, None)
    assert nodes["cn45.internal"]["answers"] is True
    memo = os.path.join(master.config["cachedir"], "hltcloud", "status.json")
    if os.path.exists(memo):  # written once some node reported a highstate
        with open(memo, encoding="utf-8") as stream:
            assert json.load(stream).get(victim) is None


def test_status_takes_each_nodes_own_record_not_the_job_cache(status_cluster):
    master, _cli, _minions, _files = status_cluster
    before = _status(master)
    # A highstate job newer than any real one, in the master's job cache as the master writes
    # it: failed on cn43 (configured), passed on cn45 (failed).
    cache = local_cache(master.config["cachedir"])
    returns = {
        "cn43.internal": highstate_return(failed=("forged-state",)),
        "cn45.internal": highstate_return(),
    }
    later = datetime.datetime.now() + datetime.timedelta(hours=1)
    add_job(cache, jid_at(later), "state.apply", [], returns, out="highstate")
    # The job cache's own reader (hlt.last_highstates, O(jobs)) takes it as the newest ...
    scanned = _last_highstates(master)
    assert scanned["cn43.internal"]["failed"] == ["forged-state"]
    assert scanned["cn45.internal"]["state"] == "configured"
    # ... hlt.status does not read the job cache: each node's own record, as before it.
    nodes = _status(master)
    for minion_id in ("cn43.internal", "cn45.internal"):
        assert nodes[minion_id] == before[minion_id]
    assert nodes["cn43.internal"]["state"] == "configured"
    assert nodes["cn45.internal"]["failed_states"] == ["probe-issue-managed"]
    # With no job cache at all (past keep_jobs_seconds), the same.
    shutil.rmtree(os.path.join(master.config["cachedir"], "jobs"))
    assert _status(master) == nodes


def test_a_node_that_went_down_shows_the_highstate_it_last_reported(status_cluster):
    master, _cli, minions, _files = status_cluster
    before = _status(master)["cn44.internal"]
    assert before["state"] == "configured" and before["applied"]
    minions["cn44.internal"].terminate()
    after = _status(master)["cn44.internal"]
    assert after["state"] == "down"
    assert (after["applied"], after["failed_states"]) == (before["applied"], [])
