"""
The hourly drift check's cost in package database queries: a real masterless
`salt-call state.apply compute test=True` on this Debian host, each package tool Salt runs
(dpkg-query: the installed packages; apt-get update: a repository refresh; apt-cache policy:
the candidate versions) counted by a wrapper first on PATH that logs its arguments and runs
the real tool. APT_CONFIG gives the real apt an empty source list and lists/cache dirs of
the test's own, so the refresh stays on this host.

The compute role installs its OpenStack packages in one pkg.installed
(compute-packages-installed, salt/packages.jinja), the firewall's tools before the repository
in their own: one look at the installed packages and, on Salt 3008 (whose dry run asks the
repositories for the version of each missing package), two refreshes and two candidate
lookups, where firewall, nova.compute and nova.network made three each. On a converged node
(the hourly check's usual case: every package in) the whole run looks at the installed
packages once (Salt keeps the list for the run) and refreshes nothing.
"""

import shutil

import pytest

from tests.functional.test_compute_highstate import checkout  # noqa: F401 (fixture)
from tests.support.masterless import salt_call
from tests.support.package_tools import calls, converged_pillar, counting_env

NODE = "cn44.internal"

pytestmark = pytest.mark.skipif(
    not (shutil.which("dpkg-query") and shutil.which("apt-get")),
    reason="the package tools counted here are Debian's (this test host's)",
)


@pytest.fixture
def counted(tmp_path):
    """(environment for salt-call, log file): the package tools wrapped, apt offline."""
    return counting_env(tmp_path)


def dry_run(checkout, env, *mods):
    _, ret = salt_call(checkout, NODE, "state.apply", *mods, "test=True", env=env)
    assert isinstance(ret, dict), ret
    return ret


def package_states(ret):
    return sorted(tag.split("_|-")[1] for tag in ret if tag.startswith("pkg_|-"))


# The role's bundle, and the highstate hltcloud.drift runs every hour (top.sls: role compute).
@pytest.mark.parametrize("mods", [("compute",), ()], ids=["compute", "highstate"])
def test_a_compute_dry_run_queries_the_package_database_once_per_phase(checkout, counted, mods):
    env, log = counted
    ret = dry_run(checkout, env, *mods)
    seen = calls(log)
    assert len(seen["installed"]) == 1, seen  # the wrapper saw Salt's real list_pkgs
    # the firewall's tools (first, before openstack.repo), then the role's OpenStack packages
    assert len(seen["refresh"]) <= 2, seen
    assert len(seen["candidates"]) <= 2, seen
    assert package_states(ret) == [
        "common-packages-installed",  # an empty list: no query
        "compute-packages-installed",
        "firewall-packages-installed",
    ]
    installs = ret["pkg_|-compute-packages-installed_|-compute-packages-installed_|-installed"]
    assert installs["result"] is not False, installs
    # The formulas' own package IDs stay (their sls is required), each after the one install.
    by_id = {tag.split("_|-")[1]: r for tag, r in ret.items()}
    for sid in ("nova-compute-packages-installed", "nova-network-packages-installed"):
        assert by_id[sid]["__run_num__"] > installs["__run_num__"], sid
        assert "installed by compute-packages-installed" in by_id[sid]["name"]


# The hourly case: a converged node, every package in (converged_pillar).
def test_a_converged_compute_dry_run_asks_the_package_database_once(checkout, counted):
    env, log = counted
    ret = dry_run(checkout, env, "compute", converged_pillar())
    installs = {tag.split("_|-")[1]: r for tag, r in ret.items() if tag.startswith("pkg_|-")}
    assert set(installs) >= {"firewall-packages-installed", "compute-packages-installed"}
    for sid, state in installs.items():
        assert (state["result"], state["changes"]) == (True, {}), (sid, state)
    # one look at the installed packages for the whole run (Salt keeps it for the run), no
    # refresh and no candidate lookup: two package states cost no more than one
    assert {kind: len(seen) for kind, seen in calls(log).items()} == {
        "installed": 1,
        "refresh": 0,
        "candidates": 0,
    }


def test_a_formula_applied_alone_installs_its_own_packages(checkout, counted):
    env, log = counted
    ret = dry_run(checkout, env, "nova.compute")
    # nova.config.file includes the package sls of each nova part the node runs
    assert package_states(ret) == [
        "nova-compute-packages-installed",
        "nova-network-packages-installed",
    ]
    installs = {tag.split("_|-")[1]: r for tag, r in ret.items() if tag.startswith("pkg_|-")}
    assert "nova-compute" in installs["nova-compute-packages-installed"]["comment"]
    assert all(r["result"] is not False for r in installs.values()), installs
    assert len(calls(log)["installed"]) == 1
