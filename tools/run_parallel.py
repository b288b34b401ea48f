"""
Run shell commands at the same time, each one's output into its own file, and print each
output whole as soon as that command ends (so the logs do not interleave), with its exit code
and wall time; exit 1 when any failed, naming them. `make test` runs the suite's three parts
this way: the tests wait on daemons and services about as much as they compute, so on two
cores the parts together take far less than one after another (docs/testing.md).

    python tools/run_parallel.py "label=command" ["label=command" ...]

Ctrl-C or a SIGTERM stops every command still running as Ctrl-C would stop it alone: SIGINT
to its process group, so pytest tears its fixtures down (the services it started, the
namespaces it made); a group still there after GRACE seconds gets SIGKILL. Each command also
gets that SIGINT if this process dies without a word (SIGKILL: Linux's parent-death signal).
"""

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time

GRACE = 120
PR_SET_PDEATHSIG = 1


def parse(specs):
    """``[(label, command)]`` from ``label=command`` arguments."""
    jobs = []
    for spec in specs:
        label, sep, command = spec.partition("=")
        if not sep or not label.strip() or not command.strip():
            raise SystemExit(f"run_parallel: expected label=command, got {spec!r}")
        jobs.append((label.strip(), command))
    return jobs


def show(label, out, verdict, started):
    """Print a command's whole output, then one line with its verdict and wall time."""
    out.seek(0)
    sys.stdout.flush()
    sys.stdout.buffer.write(out.read())
    out.close()
    minutes = (time.monotonic() - started) / 60
    print(f"== {label}: {verdict} in {minutes:.1f} min", flush=True)


def _signal_group(proc, signum):
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


def stop(running):
    """Stop the commands still running (each with its children), and show what they wrote."""
    for proc, *_ in running:
        _signal_group(proc, signal.SIGINT)
    deadline = time.monotonic() + GRACE
    for proc, label, out, started in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        show(label, out, "stopped", started)


def _die_with_parent():
    """
    In the child: SIGINT when this process dies (prctl PR_SET_PDEATHSIG), and SIGINT's default
    action back (a shell's background job inherits it ignored).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)


def _terminated(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    jobs = parse(argv)
    if not jobs:
        raise SystemExit(__doc__)
    signal.signal(signal.SIGTERM, _terminated)
    running, failed = [], []
    with tempfile.TemporaryDirectory(prefix="run-parallel-") as tmp:
        try:
            for index, (label, command) in enumerate(jobs):
                out = open(os.path.join(tmp, f"{index}.log"), "w+b")  # closed by show()
                proc = subprocess.Popen(
                    ["bash", "-c", command],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,  # noqa: PLW1509 (no threads here)
                )
                running.append((proc, label, out, time.monotonic()))
                print(f"== {label}: started", flush=True)
            while running:
                for job in list(running):
                    proc, label, out, started = job
                    if proc.poll() is None:
                        continue
                    running.remove(job)
                    verdict = "passed" if proc.returncode == 0 else f"FAILED ({proc.returncode})"
                    show(label, out, verdict, started)
                    if proc.returncode != 0:
                        failed.append(label)
                time.sleep(0.5)
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stop(running)
            print("== stopped", flush=True)
            return 130
    if failed:
        print("== failed: " + ", ".join(failed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
