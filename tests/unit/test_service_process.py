"""tests/support/service_process.py: the failure paths the real servers seldom take."""

import sys

import pytest

from tests.support import service_process


class Failed(RuntimeError):
    pass


def test_a_server_that_exits_fails_with_the_end_of_its_output(tmp_path):
    out = tmp_path / "server.out"
    proc = service_process.spawn(
        [sys.executable, "-c", "import sys; print('bad config'); sys.exit(3)"], out
    )
    with pytest.raises(Failed, match=r"(?s)demo exited with 3:\nbad config"):
        service_process.wait_ready(proc, lambda: False, 30, Failed, "demo", out.read_text)


def test_a_server_that_never_answers_is_stopped_after_the_timeout():
    proc = service_process.spawn([sys.executable, "-c", "import time; time.sleep(60)"])
    with pytest.raises(Failed, match=r"demo did not answer within 0.5s"):
        service_process.wait_ready(proc, lambda: False, 0.5, Failed, "demo")
    assert proc.poll() is not None  # no process is left running


def test_stop_kills_what_ignores_sigterm(tmp_path):
    ready = tmp_path / "ready"
    code = (
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    )
    proc = service_process.spawn([sys.executable, "-c", code])
    service_process.wait_ready(proc, ready.exists, 30, Failed, "demo")
    service_process.stop(proc, grace=0.5)
    assert proc.returncode == -9
