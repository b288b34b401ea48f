"""tools/run_parallel.py, which `make test` runs the suite's three parts with."""

import signal
import subprocess
import sys
import time

from tests.conftest import REPO

TOOL = [sys.executable, str(REPO / "tools" / "run_parallel.py")]


def run(*specs, **kwargs):
    return subprocess.run([*TOOL, *specs], capture_output=True, text=True, check=False, **kwargs)


def test_each_output_is_printed_whole_and_a_failure_is_named(tmp_path):
    done = tmp_path / "fails-done"
    proc = run(  # "slow" ends only after "fails" has ended and been seen (a poll is 0.5 s)
        f"slow=echo slow-1; while [ ! -e {done} ]; do sleep 0.1; done; sleep 1.5; echo slow-2",
        f"fails=echo fails-1; echo fails-2; touch {done}; exit 3",
    )
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    # the failing part ended first: its lines, then its verdict, then the other's, never mixed
    body = [line for line in lines if not line.endswith(": started")]
    assert body[:3] == ["fails-1", "fails-2", body[2]] and body[2].startswith(
        "== fails: FAILED (3)"
    )
    assert body[3:5] == ["slow-1", "slow-2"] and body[5].startswith("== slow: passed in")
    assert lines[-1] == "== failed: fails"


def test_all_passing_exits_zero():
    assert run("a=true", "b=true").returncode == 0


def test_a_bad_argument_is_refused():
    proc = run("no label here")
    assert proc.returncode != 0 and "expected label=command" in proc.stderr


def test_stopped_it_stops_every_part_and_shows_what_each_wrote(tmp_path):
    marker = tmp_path / "still-running"
    tool = subprocess.Popen(
        [*TOOL, f"a=echo partial; sleep 30; touch {marker}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    tool.send_signal(signal.SIGTERM)
    out, _ = tool.communicate(timeout=20)
    assert tool.returncode == 130
    assert "partial\n== a: stopped in" in out
    time.sleep(0.5)
    assert not marker.exists()
    ps = subprocess.run(["pgrep", "-f", f"touch {marker}"], capture_output=True, check=False)
    assert ps.returncode == 1  # no part left running


def test_a_stopped_part_tears_down_as_after_ctrl_c(tmp_path):
    """The part gets SIGINT, as Ctrl-C gives it: its own clean-up runs."""
    cleaned = tmp_path / "cleaned"
    script = tmp_path / "part.py"
    script.write_text(
        "import pathlib, time\n"
        "try:\n    print('up', flush=True)\n    time.sleep(30)\n"
        f"except KeyboardInterrupt:\n    pathlib.Path({str(cleaned)!r}).touch()\n"
    )
    tool = subprocess.Popen([*TOOL, f"a={sys.executable} {script}"], stdout=subprocess.PIPE)
    time.sleep(1.5)
    tool.send_signal(signal.SIGTERM)
    tool.communicate(timeout=30)
    assert cleaned.exists()
