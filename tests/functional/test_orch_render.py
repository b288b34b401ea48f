"""
What salt/orch/cloud.sls compiles to on the master (`salt-run state.orchestrate_show_sls`,
no daemons): steps from the inventory, batches from pillar, the steps' pillar, the smoke
step, and one failing step instead of a traceback when the data cannot make a run.
"""

import json
import subprocess
import sys

import pytest
import yaml

from tests.support.localcluster import inventory, make_pillar_root, repo_config

HEAD = "orch-head-configured"
NETWORK = "orch-demo-network-present"
SMOKE = "orch-smoke-first-vm"


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory):
    """A master configuration: the repo's, its state files, a pillar copy, private dirs."""
    root = tmp_path_factory.mktemp("orch-render")
    config = repo_config("master")
    config["pillar_roots"] = {"base": [str(make_pillar_root(root / "pillar"))]}
    for key in ("cachedir", "pki_dir", "sock_dir"):
        config[key] = str(root / key)
    (root / "cachedir" / "proc").mkdir(parents=True)
    config["log_file"] = str(root / "master.log")
    config["root_dir"] = str(root)
    (root / "conf").mkdir()
    return root / "conf", config


def show_sls(
    config_dir, pillar=None, nodes=None, fun="state.orchestrate_show_sls", *extra, sls="orch.cloud"
):
    """Run ``salt-run state.orchestrate_show_sls orch.cloud`` (or ``fun``, ``sls``): stdout."""
    conf, config = config_dir
    config = json.loads(json.dumps(config))
    if nodes is not None:
        config["hltcloud_inventory"]["nodes"] = nodes
    (conf / "master").write_text(yaml.safe_dump(config))
    args = [
        sys.executable,
        "-c",
        "import salt.scripts; salt.scripts.salt_run()",
        "-c",
        str(conf),
        fun,
        sls,
        *extra,
        "--out=json",
        "--log-level=quiet",
    ]
    if pillar is not None:
        args.append(f"pillar={json.dumps(pillar)}")
    out = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    return out.stdout


def compiled(config_dir, pillar=None, nodes=None, sls="orch.cloud"):
    """``{state id: its salt.state arguments as one dict}`` of the compiled orchestration."""
    stdout = show_sls(config_dir, pillar, nodes, sls=sls)
    assert stdout.strip().startswith("{"), stdout
    data = json.loads(stdout[: stdout.rindex("}") + 1])
    (states,) = data.values()
    steps = {}
    for sid, body in states.items():
        (fun,) = [k for k in body if not k.startswith("__")]
        args = {}
        for item in body[fun]:
            if isinstance(item, dict):
                args.update(item)
            else:
                args["fun"] = f"{fun}.{item}"
        steps[sid] = args
    return dict(sorted(steps.items(), key=lambda kv: kv[1]["order"]))


COMPUTE = "orch-compute-configured"
COMPUTE_IDS = ["cn44.internal", "cn45.internal", "cn46.internal", "cn47.internal"]


def test_the_head_then_the_compute_nodes_in_one_rollout_step_then_the_network(config_dir):
    steps = compiled(config_dir)
    assert list(steps) == [HEAD, COMPUTE, NETWORK]
    head = steps[HEAD]
    assert head["tgt"] == ["cn43.internal"] and head["tgt_type"] == "list"
    # head.sls itself has no demo network: nothing to exclude
    assert head["highstate"] is True and "exclude" not in head
    assert "require" not in head
    compute = steps[COMPUTE]
    assert compute["fun"] == "hltcloud.rollout"
    assert compute["targets"] == COMPUTE_IDS
    # the defaults: two nodes a batch, one batch at a time, never stop early
    assert (compute["batch"], compute["in_flight"], compute["stop_after"]) == (2, 1, None)
    assert compute["require"] == [{"salt": HEAD}]
    assert steps[NETWORK]["sls"] == ["nova.flat_network"]
    assert steps[NETWORK]["require"] == [{"salt": HEAD}]
    assert not any("pillar" in s for s in steps.values())


@pytest.mark.parametrize(
    ("orch", "expected"),
    [
        ({"batch": "3"}, (3, 1, None)),
        ({"batch": "10%", "in_flight": 3, "stop_after": "5"}, ("10%", 3, 5)),
        ({"batch": 50, "in_flight": "2"}, (50, 2, None)),
    ],
    ids=["count-as-text", "share-in-flight-stop", "count"],
)
def test_batch_in_flight_stop_after_and_step_pillar_come_from_the_orchestration_pillar(
    config_dir, orch, expected
):
    forward = {"nova": {"auth": {"retry_timeout": 5}}}
    steps = compiled(config_dir, {"orch": {**orch, "pillar": forward}})
    compute = steps[COMPUTE]
    assert (compute["batch"], compute["in_flight"], compute["stop_after"]) == expected
    assert all(s["pillar"] == forward for s in steps.values())


def test_smoke_true_adds_the_first_vm_after_the_network(config_dir):
    steps = compiled(config_dir, {"smoke": True})
    assert list(steps)[-2:] == [NETWORK, SMOKE]
    assert steps[SMOKE]["sls"] == ["smoke.first_vm"]
    assert steps[SMOKE]["require"] == [{"salt": NETWORK}]


@pytest.mark.parametrize(
    ("pillar", "message"),
    [
        ({"orch": {"batch": 0}}, "orch:batch must be a whole number"),
        ({"orch": {"batch": "0%"}}, "orch:batch 0%: a share of the nodes is 1% to 100%"),
        ({"orch": {"batch": "ten"}}, "orch:batch must be a whole number"),
        ({"orch": {"in_flight": 0}}, "orch:in_flight must be a whole number of batches"),
        ({"orch": {"stop_after": 2.5}}, "orch:stop_after must be a whole number of failed"),
        ({"orch": {"pillar": "nova"}}, "orch:pillar must be a mapping"),
    ],
    ids=["batch-zero", "share-zero", "batch-word", "in-flight-zero", "stop-float", "pillar"],
)
def test_unusable_orchestration_pillar_is_one_failing_step_and_nothing_else(
    config_dir, pillar, message
):
    steps = compiled(config_dir, pillar)
    assert list(steps) == ["orch-cloud-described"]
    step = steps["orch-cloud-described"]
    assert step["fun"] == "hltcloud.failed"
    assert message in step["comment"]


def test_an_inventory_with_two_heads_is_refused_before_the_orchestration_renders(config_dir):
    """The master's validation of the inventory (ext_pillar hltcloud_validate) comes first."""
    stdout = show_sls(config_dir, nodes={**inventory()["nodes"], "cn48": {"role": "head"}})
    assert "exactly one node must have role head, found cn43, cn48" in stdout
    assert HEAD not in stdout


def test_an_inventory_node_named_by_a_number_is_one_line_not_a_traceback(config_dir):
    nodes = {**inventory()["nodes"], 48: {"role": "compute", "ip": "10.162.128.68"}}
    stdout = show_sls(config_dir, {}, nodes, "state.orchestrate", "test=True")
    answer = json.loads(stdout)["data"]
    (lines,) = answer.values()
    assert lines == [
        "Pillar failed to render with the following messages:",
        "hltcloud_inventory:nodes:48: a node name is a short lower-case host name such as cn44 "
        "(a string, at most 58 letters, digits and '-')",
    ]
