"""
The state tree as the Salt of the test run runs it: `make test` runs this file on Salt 3008,
`make test-3006` on 3006.8, the nodes' onedir. Masterless salt-call of that Salt in a copy of
the checkout, static grains as in test_compute_highstate.py and test_os_release_data.py.

- Every state of the head's and a compute node's highstates, on Fedora 19 and CentOS 7, in a
  real run and in a dry run (where stand-in states replace what cannot be checked yet), and
  every step of orch.cloud, is a state function of this Salt that takes the arguments it is
  given: the check Salt's State.call makes before it runs a state (format_call). On 3006.8 an
  argument it refuses stops the whole run ("Passed invalid arguments"), after the states
  before it were applied.
- A dry run (test=True) with those grains runs to its end: its only failures are the package
  states, whose RedHat module does not load on this Debian host, and what waits for them.
- Bad data fails, also under test=True, the states that need it, each naming the key, and the
  run goes on; a state standing for a server that does not run yet says what it would do.
"""

import importlib
import json

import pytest
import salt.state
import salt.utils.args
from salt.exceptions import SaltInvocationError

from tests.functional.test_compute_highstate import checkout, salt_call  # noqa: F401 (fixture)
from tests.functional.test_head_highstate import IP
from tests.functional.test_orch_render import compiled as orch_steps
from tests.functional.test_orch_render import config_dir, show_sls  # noqa: F401 (fixture)
from tests.functional.test_os_release_data import PLATFORMS, grains_for
from tests.support.checkout import pin_downloads, rpms_on_the_loopback

HEAD = "cn43.internal"
COMPUTE = "cn44.internal"
ROLES = {"head": HEAD, "compute": COMPUTE}
RUN_CHECKS = {"onlyif", "unless", "creates"}
# What a dry run with RedHat grains cannot do on this Debian host: the package module (yum)
# does not load, and the states that require the packages do not run.
HOST_CANNOT = ("'pkg' __virtual__ returned False", "One or more requisite failed")


@pytest.fixture(scope="module", autouse=True)
def _rpms_on_the_loopback(checkout):
    """A dry run caches the RPMs it would check (file.managed): serve them on the loopback."""
    with rpms_on_the_loopback() as base_url:
        pin_downloads(checkout, base_url)
        yield


def node_grains(platform, node):
    grains = grains_for(platform, node)
    if node == HEAD:
        grains["ipv4"] = ["127.0.0.1", IP]  # MariaDB's bind-address is one of cn43's addresses
    return grains


def state_function(states, full):
    """
    The function Salt calls for ``full`` (e.g. ``file.managed``), or None. A core state whose
    execution module does not load in this Python (Salt 3006.8's mysql_* without PyMySQL,
    which the head's pip.installed puts into Salt's Python first) is its own module's function.
    """
    if full in states:
        return states[full]
    module, fun = full.split(".")
    try:
        return getattr(importlib.import_module(f"salt.states.{module}"), fun, None)
    except ImportError:
        return None


def refusal(states, chunk):
    """Why this Salt would not call the state of ``chunk`` with its arguments, or None."""
    full = f"{chunk['state']}.{chunk['fun']}"
    function = state_function(states, full)
    if function is None:
        why = states.missing_fun_string(full)
        return f"{chunk['__id__']}: {full} is not a state function: {why}"
    try:
        salt.utils.args.format_call(
            function,
            chunk,
            initial_ret={"full": full},
            expected_extra_kws=salt.state.STATE_INTERNAL_KEYWORDS,
        )
    except SaltInvocationError as exc:
        return f"{chunk['__id__']}: {exc}"
    return None


def lowstate(checkout, node, grains, *args, test=False):
    """
    The low chunks of ``node``'s highstate; ``test``: as a dry run renders them (``test: True``
    in the minion config: 3008's show_lowstate does not render with the CLI's test=True).
    """
    minion = checkout / "etc" / "salt" / "minion"
    config = minion.read_text()
    if test:
        minion.write_text(config + "\ntest: true\n")
    try:
        code, chunks = salt_call(checkout, node, "state.show_lowstate", *args, grains=grains)
    finally:
        minion.write_text(config)
    assert code == 0 and isinstance(chunks, list), chunks
    return chunks


def dry_run(checkout, node, *args, grains=None):
    """``{state id: result}`` of ``state.apply`` in test mode; the run must not have stopped."""
    code, ret = salt_call(checkout, node, "state.apply", *args, "test=True", grains=grains)
    assert isinstance(ret, dict), ret  # a list is a run refused before any state ran
    assert "Passed invalid arguments" not in json.dumps(ret)
    # the ID from the tag: a state whose function did not load has no __id__
    return code, {tag.split("_|-")[1]: result for tag, result in ret.items()}


@pytest.mark.parametrize("mode", ["apply", "dry-run"])
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("role", ROLES)
def test_every_state_is_a_function_of_this_salt_that_takes_its_arguments(
    checkout, loaders, role, platform, mode
):
    node = ROLES[role]
    chunks = lowstate(checkout, node, node_grains(platform, node), test=mode == "dry-run")
    assert len(chunks) > 30
    assert [r for r in (refusal(loaders.states, chunk) for chunk in chunks) if r] == []
    if role == "head" and mode == "dry-run":
        # before MariaDB and Keystone run, stand-ins take the place of their states
        assert {c["__id__"] for c in chunks if c["fun"] == "pending"} >= {
            "keystone-catalog-ready",
            "mariadb-database-keystone-present",
        }


@pytest.mark.parametrize("mode", ["apply", "dry-run"])
def test_the_compute_highstate_has_no_onlyif_unless_or_creates(checkout, mode):
    """
    For a state with onlyif, unless or creates Salt's State.call looks up
    ``<module>.mod_run_check``, which no state module has (cmd included): the first such
    lookup of a run misses and loads every state module (and, through their ``__virtual__``,
    every execution module), about 1.5 s of a compute dry run on Salt 3008 (bench/README.md).
    The hourly drift check runs on every compute node: its states check for themselves
    (_states/guarded.py). The head keeps its cmd.run guards and pays that load once a run.
    """
    chunks = lowstate(checkout, COMPUTE, node_grains("fedora19", COMPUTE), test=mode == "dry-run")
    checked = [
        f"{c['__id__']}: {c['state']}.{c['fun']} with {', '.join(sorted(set(c) & RUN_CHECKS))}"
        for c in chunks
        if set(c) & RUN_CHECKS
    ]
    assert checked == []
    assert any(c["state"] == "guarded" for c in chunks)


def test_the_stand_in_states_are_checked_too(checkout, loaders):
    """failed() on a node that has no pillar: every state needing it is one hltcloud.failed."""
    grains = {**node_grains("fedora19", HEAD), "role": "head", "mgmt_ipv4": IP}
    chunks = lowstate(checkout, "rogue.example.org", grains, test=True)
    failing = [c for c in chunks if c["fun"] == "failed"]
    assert len(failing) >= 5
    assert [r for r in (refusal(loaders.states, chunk) for chunk in chunks) if r] == []


@pytest.mark.parametrize("pillar", [None, {"orch": {"batch": 0}}], ids=["sound", "bad-batch"])
def test_every_orchestration_step_takes_its_arguments(config_dir, loaders, pillar):
    for step_id, args in orch_steps(config_dir, pillar).items():
        state, fun = args.pop("fun").split(".")
        chunk = {**args, "__id__": step_id, "name": step_id, "state": state, "fun": fun}
        assert refusal(loaders.states, chunk) is None


def test_unusable_orchestration_pillar_fails_its_one_step_in_a_dry_run(config_dir):
    """On the master (salt-run, its states_dirs): orch.cloud's failed() step, under test=True."""
    stdout = show_sls(config_dir, {"orch": {"batch": 0}}, None, "state.orchestrate", "test=True")
    assert stdout.strip().startswith("{"), stdout
    ret = json.loads(stdout)["data"]
    (results,) = ret.values()
    (step,) = results.values()
    assert step["__id__"] == "orch-cloud-described"
    assert step["result"] is False and step["changes"] == {}
    assert "orch:batch must be a whole number" in step["comment"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("role", ROLES)
def test_a_dry_run_with_the_nodes_grains_runs_to_its_end(checkout, role, platform):
    node = ROLES[role]
    grains = node_grains(platform, node)
    chunks = lowstate(checkout, node, grains, test=True)
    _, results = dry_run(checkout, node, grains=grains)
    assert set(results) == {chunk["__id__"] for chunk in chunks}
    failures = {
        sid: r["comment"]
        for sid, r in results.items()
        if r["result"] is False and not any(reason in r["comment"] for reason in HOST_CANNOT)
    }
    assert failures == {}
    assert results["hltcloud-data-validated"]["result"] is True


# The failing paths of macros.jinja's failed(): bad data, the ID that fails, what it must name.
HEAD_BAD_PILLAR = {
    "secrets": {"mysql_root_password": "", "nova_dbpass": "", "glance_pass": ""},
    "keystone": None,
    "hltcloud": {"lookup": {"qpid": {"conf": {"path": ""}}}},
}
HEAD_FAILS = {
    "mariadb-input-checked": "secrets:mysql_root_password is missing on cn43.internal",
    "mariadb-database-nova-present": "secrets:nova_dbpass is missing on cn43.internal",
    "keystone-input-checked": "pillar keystone",
    "client-config-files-managed": "keystone:users:admin:password",
    "glance-config-api-file-managed": "secrets:glance_pass is missing on cn43.internal",
    "qpid-config-file-present": "qpid:conf:path is not set",
    "nova-config-file-managed": "secrets:nova_dbpass is missing on cn43.internal",
}
COMPUTE_BAD_GRAINS = {
    "os_family": "RedHat",
    "os": "Fedora",
    "osmajorrelease": 40,
    "mgmt_ipv4": "",
    "hwaddr_interfaces": {"lo": "00:00:00:00:00:00", "eth0": "52:54:00:12:34:56"},
}
COMPUTE_FAILS = {
    "openstack-repo-file-configured": "No RDO Icehouse baseurl for Fedora 40",
    "network-bridge-ifcfg-files-managed": "hwaddr_interfaces has no MAC address for em1",
    "nova-config-file-managed": "grain mgmt_ipv4 is missing on cn44.internal",
}


@pytest.mark.parametrize("role", ROLES)
def test_bad_data_fails_its_states_naming_the_key_and_the_run_goes_on(checkout, role):
    if role == "head":
        node, grains, expected = HEAD, {"ipv4": ["127.0.0.1", IP]}, HEAD_FAILS
        args = [f"pillar={json.dumps(HEAD_BAD_PILLAR)}"]
    else:
        node, grains, expected, args = COMPUTE, COMPUTE_BAD_GRAINS, COMPUTE_FAILS, []
    code, results = dry_run(checkout, node, *args, grains=grains)
    assert code != 0
    for sid, key in expected.items():
        assert results[sid]["result"] is False, (sid, results[sid])
        assert key in results[sid]["comment"], (sid, results[sid]["comment"])
        assert results[sid]["changes"] == {}
    # The other states ran: the run did not stop at the first failure.
    ran = [sid for sid, r in results.items() if sid not in expected and r["result"] is not False]
    assert len(ran) >= 5, results


# One formula applied alone in a dry run on a new head (nothing runs yet, no demo key):
# the ID that stands for it, its result, and what its comment must say.
ALONE = {
    "keystone.catalog": ("keystone-catalog-ready", None, "would be converged"),
    "smoke.first_vm": ("smoke-first-vm-described", False, "smoke:first_vm:public_key is missing"),
}


@pytest.mark.parametrize("sls", ALONE)
def test_a_formula_that_cannot_be_checked_yet_is_one_stand_in(checkout, sls):
    sid, result, text = ALONE[sls]
    _, results = dry_run(checkout, HEAD, sls)
    state = results[sid]
    assert state["result"] is result, state
    assert text in state["comment"]
    if result is None:  # pending(): what it would do, once the server runs
        assert "is not running yet" in state["comment"]
        assert state["changes"] == {"would": state["comment"]}
    else:  # failed()
        assert state["changes"] == {}
