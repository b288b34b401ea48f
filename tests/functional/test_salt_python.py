"""
The head's Salt installs its own Python packages (salt/macros.jinja requirements_installed, used by
mariadb.package.install and keystone.package.install): the real states applied, through Salt's
loaders, to a new Python of this test's own (grain pythonexecutable), which has salt
and its dependencies as the test's own Salt has them (3008 here, 3006.8 in `make test-3006`).
PyPI is reached; pip runs in hash-checking mode with the files of salt/parameters.

Applied twice, then dry runs: the first run installs exactly the pinned versions, the second
changes nothing, a dry run of an installed Python says True with no changes, and a package at
another version is put back.
"""

import importlib.metadata
import json
import subprocess
import sys

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.checkout import repo_minion_opts
from tests.support.salt_python import SALT, pins, requirement_files, write_old_keystone_pins

SLS = "mariadb.package.install,keystone.package.install"
PIP_STATES = ("mariadb-salt-python-packages-installed", "keystone-salt-python-packages-installed")


def pinned():
    return {
        canonicalize_name(pin.name): pin.version
        for path in requirement_files().values()
        for pin in pins(SALT / path)
    }


def installed(python):
    out = subprocess.run(
        [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return {canonicalize_name(d["name"]): d["version"] for d in json.loads(out)}


def pip(python, *args):
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        check=True,
        timeout=600,
    )


def salt_needs():
    """The names salt requires, recursively, as installed here (none where salt was built
    from its sdist without its requirements in its metadata, as 3006.8 is)."""
    seen, todo = set(), ["salt"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name not in seen:
            seen.add(name)
            for line in importlib.metadata.distribution(name).requires or []:
                need = Requirement(line)
                if not need.marker or need.marker.evaluate({"extra": ""}):
                    todo.append(need.name)
    return seen


@pytest.fixture(scope="module")
def python(tmp_path_factory):
    """
    A new venv of this test's Python with what this test's own Salt runs on, at the versions
    here, but none of the formula's packages (except those Salt itself needs): a Salt's Python
    before the head's first highstate.
    """
    base = tmp_path_factory.mktemp("salt-python")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    formula_only = set(pinned()) - salt_needs()
    salt_set = [
        f"{name}=={version}"
        for name, version in sorted(installed(sys.executable).items())
        if name not in formula_only and name not in ("pip", "setuptools")
    ]
    (base / "salt.txt").write_text("\n".join(salt_set) + "\n")
    pip(python, "--no-deps", "--requirement", str(base / "salt.txt"))
    return python


@pytest.fixture(scope="module")
def minion_opts(tmp_path_factory, python):
    root = tmp_path_factory.mktemp("salt-python-minion")
    opts = repo_minion_opts(root)
    # static grains: that Python runs "Salt"; mgmt_ipv4 for mariadb-input-checked
    conf = root / "minion-grains.conf"
    conf.write_text(
        yaml.safe_dump({"grains": {"pythonexecutable": python, "mgmt_ipv4": "127.0.0.1"}})
    )
    opts["conf_file"] = str(conf)
    # the pin of keystoneauth1 before this formula's fix, in a file root of the test's own
    files = root / "files"
    (files / "hltcloud_test").mkdir(parents=True)
    write_old_keystone_pins(files / "hltcloud_test" / "keystone-5.18.1.txt")
    opts["file_roots"] = {"base": [*opts["file_roots"]["base"], str(files)]}
    return opts


@pytest.fixture(scope="module")
def pillar():
    """What the two formulas' input checks need; their package states off (pkgs: [])."""
    return {
        "secrets": {"mysql_root_password": "r", "admin_token": "t", "keystone_dbpass": "k"},
        "keystone": {"users": {}},
        "hltcloud": {"lookup": {"mariadb": {"pkgs": []}, "keystone": {"pkgs": []}}},
    }


def apply(loaders, pillar, test=False):
    return {r.id: r for r in loaders.modules.state.sls(SLS, pillar=pillar, test=test)}


@pytest.fixture(scope="module")
def runs(loaders, pillar, python):
    """dry run, apply, apply again, dry run: on the new Python."""
    return {
        "dry_before": apply(loaders, pillar, test=True),
        "first": apply(loaders, pillar),
        "installed": installed(python),
        "second": apply(loaders, pillar),
        "dry_after": apply(loaders, pillar, test=True),
    }


def test_dry_run_of_a_new_python_says_the_files_would_be_installed(runs):
    dry = runs["dry_before"]
    assert [(i, r.result) for i, r in dry.items() if i in PIP_STATES] == [
        (i, None) for i in PIP_STATES
    ]
    for state_id in PIP_STATES:
        assert dry[state_id].comment.startswith("would install ")
    assert dry["keystone-salt-python-packages-installed"].changes["keystoneauth1"] == {
        "old": None,
        "new": pinned()["keystoneauth1"],
    }
    assert [i for i, r in dry.items() if i not in PIP_STATES and r.result is not True] == []


def test_first_run_installs_exactly_the_pinned_versions(runs):
    first = runs["first"]
    assert [(i, r.comment) for i, r in first.items() if r.result is not True] == []
    assert [i for i in PIP_STATES if first[i].changes] == list(PIP_STATES)
    assert {n: runs["installed"].get(n) for n in pinned()} == pinned()


def test_second_run_changes_nothing(runs):
    second = runs["second"]
    assert [(i, r.changes) for i, r in second.items() if r.changes] == []
    assert [i for i, r in second.items() if r.result is not True] == []


def test_dry_run_of_an_installed_python_is_true_with_no_changes(runs, python):
    dry = runs["dry_after"]
    assert [(i, r.comment) for i, r in dry.items() if r.result is not True or r.changes] == []
    assert dry["keystone-salt-python-packages-installed"].comment == (
        "the 6 packages salt://parameters/keystone-salt-requirements.txt pins are installed"
        f" in {python}"
    )


def test_a_package_at_another_version_is_put_back(runs, loaders, pillar, python):
    pip(python, "iso8601==2.0.0")
    dry = apply(loaders, pillar, test=True)
    assert dry["keystone-salt-python-packages-installed"].result is None
    assert dry["keystone-salt-python-packages-installed"].changes == {
        "iso8601": {"old": "2.0.0", "new": "2.1.0"}
    }
    assert dry["mariadb-salt-python-packages-installed"].result is True
    again = apply(loaders, pillar)
    assert [i for i, r in again.items() if r.changes] == ["keystone-salt-python-packages-installed"]
    assert installed(python)["iso8601"] == pinned()["iso8601"]


def with_file(pillar, formula, path):
    """``pillar`` with the formula's salt_pip_requirements set to ``path``."""
    lookup = {**pillar["hltcloud"]["lookup"]}
    lookup[formula] = {**lookup[formula], "salt_pip_requirements": path}
    return {**pillar, "hltcloud": {"lookup": lookup}}


def test_a_pin_that_does_not_install_fails_in_one_line(runs, loaders, pillar, python):
    # keystoneauth1 5.18.1, the pin before: it needs Python >= 3.11 (and stevedore >= 5.9.1)
    bad = with_file(pillar, "keystone", "hltcloud_test/keystone-5.18.1.txt")
    result = apply(loaders, bad)["keystone-salt-python-packages-installed"]
    assert (result.result, result.changes) == (False, {})
    assert "\n" not in result.comment
    head = f"pip could not install salt://hltcloud_test/keystone-5.18.1.txt into {python}: "
    if sys.version_info < (3, 11):  # the 3006.8 onedir's Python
        assert result.comment == head + (
            "ERROR: No matching distribution found for keystoneauth1==5.18.1"
            " (Requires-Python >=3.11)"
        )
    else:  # the file's line: keystoneauth1 5.18.1 needs stevedore>=5.9.1
        assert result.comment.startswith(head + "ERROR: Cannot install -r "), result.comment
        assert result.comment.endswith(
            "(line 15) and stevedore==5.8.0 because these package versions have conflicting"
            " dependencies."
        )
    assert installed(python)["keystoneauth1"] == pinned()["keystoneauth1"]


def test_a_file_that_cannot_be_read_fails_in_one_line(runs, loaders, pillar):
    missing = with_file(pillar, "mariadb", "nothing.txt")
    result = apply(loaders, missing, test=True)["mariadb-salt-python-packages-installed"]
    assert (result.result, result.comment) == (
        False,
        "salt://nothing.txt cannot be read: nothing installed",
    )
