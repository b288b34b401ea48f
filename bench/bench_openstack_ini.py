"""
Benchmark: the runbook's Glance settings applied three ways, on fresh stock files each run.

1. ``crudini --set FILE SECTION KEY VALUE``, one process per setting (what the runbook's
   ``openstack-config --set`` loop does);
2. Salt's core ``ini.options_present`` state, one call per file;
3. our ``openstack_ini.present`` state, one call per file.

Both states are called in-process through one Salt loader built here (``salt.loader.states``), so
Salt's start-up is not counted; each is called once before timing so module loading is not
counted either. Then every method runs again on its already-configured files (the unchanged
run), and a write is detected by the files' inode and mtime (mtime is set an hour back first, so
a rewrite shows even within one clock tick). Prints medians and ratios; not a test.

Usage: .venv/bin/python bench/bench_openstack_ini.py [--runs N]
"""

import argparse
import configparser
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import salt.config
import salt.loader

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.checkout import repo_minion_opts  # noqa: E402

STOCK = REPO / "tests" / "functional" / "files"
FILES = ("glance-api.conf", "glance-registry.conf")

# Runbook, "Glance: the image service": the two `database connection` lines and the 16-line
# keystone_authtoken/paste_deploy block: 9 settings per file, 18 in all.
SETTINGS = {
    "database": {"connection": "mysql://glance:9f3c1a7e2b4d6c8e0a1b@localhost/glance"},
    "keystone_authtoken": {
        "auth_uri": "http://cn43.internal:5000",
        "auth_host": "cn43.internal",
        "auth_port": "35357",
        "auth_protocol": "http",
        "admin_tenant_name": "service",
        "admin_user": "glance",
        "admin_password": "5e7a9c1b3d5f7a9c1e3b",
    },
    "paste_deploy": {"flavor": "keystone"},
}
PER_FILE = sum(len(keys) for keys in SETTINGS.values())


def crudini_path():
    here = pathlib.Path(sys.executable).parent / "crudini"
    found = str(here) if here.exists() else shutil.which("crudini")
    if not found:
        sys.exit("crudini is not installed: run `make venv` (it is pinned in requirements.txt)")
    return found


def build_states(root):
    """Salt's state functions, with the repo's _modules/_states, loaded in this process."""
    opts = repo_minion_opts(root, "bench.internal", grains={}, pillar={})
    utils = salt.loader.utils(opts)
    funcs = salt.loader.minion_mods(opts, utils=utils)
    return salt.loader.states(opts, funcs, utils, salt.loader.serializers(opts))


def fresh_files(workdir):
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    paths = []
    for name in FILES:
        path = workdir / name
        shutil.copyfile(STOCK / f"{name}.stock", path)
        paths.append(path)
    return paths


def run_crudini(paths, crudini):
    for path in paths:
        for section, keys in SETTINGS.items():
            for key, value in keys.items():
                subprocess.run([crudini, "--set", str(path), section, key, value], check=True)


def state_runner(states, fun):
    def run(paths):
        for path in paths:
            ret = states[fun](name=str(path), sections=SETTINGS)
            if ret["result"] is not True:
                raise RuntimeError(f"{fun} failed on {path}: {ret['comment']}")

    return run


def backdate(paths):
    for path in paths:
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 3600 * 10**9))


def fingerprint(paths):
    return [(os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in paths]


def check(paths, method):
    for path in paths:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(path)
        for section, keys in SETTINGS.items():
            for key, value in keys.items():
                if parser.get(section, key) != value:
                    raise RuntimeError(f"{method}: {path.name} [{section}] {key} not set")


def timed(run, paths):
    start = time.perf_counter()
    run(paths)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per method (>= 5)")
    args = parser.parse_args()
    runs = max(args.runs, 5)

    root = pathlib.Path(tempfile.mkdtemp(prefix="bench-openstack-ini-"))
    try:
        crudini = crudini_path()
        states = build_states(root / "salt")
        methods = {
            f"crudini --set x{PER_FILE * len(FILES)} (runbook)": lambda p: run_crudini(p, crudini),
            "salt ini.options_present": state_runner(states, "ini.options_present"),
            "openstack_ini.present": state_runner(states, "openstack_ini.present"),
        }
        for run in methods.values():  # warm-up: load modules, fill caches
            run(fresh_files(root / "warmup"))

        results = {}
        for method, run in methods.items():
            first, second, wrote = [], [], []
            for _ in range(runs):
                paths = fresh_files(root / "files")
                first.append(timed(run, paths))
                check(paths, method)
                backdate(paths)
                before = fingerprint(paths)
                second.append(timed(run, paths))
                wrote.append(fingerprint(paths) != before)
            results[method] = (statistics.median(first), statistics.median(second), wrote)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"{PER_FILE * len(FILES)} runbook Glance settings on {' + '.join(FILES)}, "
        f"fresh stock files, median of {runs} runs"
    )
    print(
        f"{'method':<28} {'first run':>12} {'unchanged run':>15}   rewrote files on unchanged run"
    )
    for method, (first, second, wrote) in results.items():
        print(
            f"{method:<28} {first * 1000:>9.2f} ms {second * 1000:>12.2f} ms   "
            f"{'yes' if any(wrote) else 'no'} ({sum(wrote)}/{runs} runs)"
        )
    crud, core, ours = (results[m] for m in methods)
    print("ratios (other / openstack_ini.present):")
    for method, (first, second, _) in list(results.items())[:2]:
        label = method.split(" (")[0]
        print(
            f"  {label:<26} first run {first / ours[0]:8.1f}x   unchanged {second / ours[1]:8.1f}x"
        )
    targets = [
        (">= 15x faster than crudini-per-key (first run)", crud[0] / ours[0] >= 15),
        (
            "not slower than ini.options_present (both runs)",
            ours[0] <= core[0] and ours[1] <= core[1],
        ),
        ("zero writes on the unchanged run", not any(ours[2])),
    ]
    for text, ok in targets:
        print(f"target: {text}: {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
