"""
The switch that turns "service missing" skips into failures (tests/conftest.py): a quick
local run skips with the reason, `make test` (and so `.ci/run`) fails instead.
"""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, REQUIRE_SERVICES, require_service

MODULE = """
import pytest

pytestmark = pytest.mark.requires_service({why_not!r})


def test_needs_the_service():
    assert True
"""


def test_a_missing_service_skips_a_quick_run_with_its_reason(monkeypatch):
    monkeypatch.delenv(REQUIRE_SERVICES, raising=False)
    with pytest.raises(BaseException, match="no Keystone here") as raised:
        require_service("no Keystone here")
    assert raised.type is pytest.skip.Exception


def test_a_missing_service_fails_when_services_are_required(monkeypatch):
    monkeypatch.setenv(REQUIRE_SERVICES, "1")
    # Caught whatever it is: a skip escaping here would hide this test's own failure.
    with pytest.raises(BaseException, match="no Keystone here") as raised:
        require_service("no Keystone here")
    assert raised.type is pytest.fail.Exception


def _run_module(tmp_path, why_not, required):
    test = tmp_path / "test_module.py"
    test.write_text(MODULE.format(why_not=why_not))
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_SERVICES}
    if required:
        env[REQUIRE_SERVICES] = "1"
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rs",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(test),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout


def test_the_marker_skips_a_module_in_a_quick_run_and_fails_it_in_make_test(tmp_path):
    code, out = _run_module(tmp_path, "no namespaces here", required=False)
    assert code == 0 and "1 skipped" in out and "no namespaces here" in out, out
    code, out = _run_module(tmp_path, "no namespaces here", required=True)
    assert code == 1 and "1 error" in out and "no namespaces here" in out, out
    code, out = _run_module(tmp_path, None, required=True)
    assert code == 0 and "1 passed" in out, out


def _pytest_commands(printed):
    """The pytest commands in `make -n` output: a recipe line, or a run_parallel label=command."""
    commands = []
    for line in printed.splitlines():
        line = line.strip().rstrip("\\").strip()
        if "-m pytest" not in line:
            continue
        if line.startswith('"'):  # "label=command" for tools/run_parallel.py
            line = line.strip('"').partition("=")[2]
        commands.append(line)
    return commands


def test_make_test_requires_every_service():
    # `make -n` runs a recipe line that names $(MAKE): `make test` must have none, or this
    # dry run would run the whole suite (and, from inside it, this test again). The timeout
    # turns such a line into a failure instead of a suite that never ends.
    proc = subprocess.run(
        ["make", "-n", "test"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    runs = _pytest_commands(proc.stdout)
    assert len(runs) == 3, proc.stdout  # 3008 functional, the rest of 3008, the 3006.8 leg
    assert all(line.startswith(f"{REQUIRE_SERVICES}=1 ") for line in runs), proc.stdout
    proc = subprocess.run(
        ["make", "-n", "test", "PYTEST_ARGS=-x"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    runs = _pytest_commands(proc.stdout)
    assert len(runs) == 2, proc.stdout  # with PYTEST_ARGS: the two legs one after the other
    assert all(line.startswith(f"{REQUIRE_SERVICES}=1 ") for line in runs), proc.stdout
    # .ci/run is `make test`.
    assert "make test" in (REPO / ".ci" / "run").read_text()
