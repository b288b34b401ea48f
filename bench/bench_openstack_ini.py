"""
Benchmark: the runbook's settings applied to fresh stock files, several ways, in two cases:

- Glance: the runbook's 18 Glance settings on glance-api.conf + glance-registry.conf;
- Nova: a compute node's 31 nova.conf settings on Debian 12's full stock nova.conf (about
  10160 lines, shipped by the ``nova-common`` package: fetched with ``apt-get download`` and
  unpacked with ``dpkg-deb -x`` into .local/cache/debian-nova-common/ on the first run; when
  apt cannot get it, the 639-line cut in tests/functional/files/nova.conf.stock is used and
  the output says so).

Methods:

1. ``crudini --set FILE SECTION KEY VALUE``, one fresh process per setting (what the runbook's
   ``openstack-config --set`` loop does);
2. Salt's core ``ini.options_present`` state, one call per file, in-process (Glance case only
   unless ``--core nova``: on the full nova.conf one call took minutes);
3. our ``openstack_ini.present`` state, one call per file, in-process;
4. our ``openstack_ini.present`` through ``salt-call --local state.single``, one fresh salt-call
   process per file (Salt's start-up and module loading counted, as an admin would run it).

Methods 2 and 3 run in this process through one Salt loader built here, warmed up first: Salt's
start-up and module loading are NOT counted, while every crudini (and salt-call) run is a fresh
process. The in-process ratios therefore compare our edit itself with crudini's whole process;
the salt-call row shows what one command from the shell costs. Every method then runs again on
its already-configured files (the unchanged run); a write is detected by the files' inode and
mtime (mtime is set an hour back first, so a rewrite shows even within one clock tick). Prints
medians and ratios; not a test.

Only public functions are used: the states through Salt's loader, and ``render_value`` of
_utils/ini_document.py to give crudini the text our state writes.

Usage: .venv/bin/python bench/bench_openstack_ini.py [--runs N] [--salt-call-runs N]
       [--case glance|nova] [--core glance|nova]
"""

import argparse
import configparser
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import salt.loader
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _utils.ini_document import render_value  # noqa: E402
from tests.support import runbook  # noqa: E402
from tests.support.checkout import repo_minion_opts  # noqa: E402

STOCK = REPO / "tests" / "functional" / "files"
# Debian's own file, not committed: fetched once per checkout (.local is not committed).
DEBIAN_CACHE = REPO / ".local" / "cache" / "debian-nova-common"
DEBIAN_NOVA_CONF = "usr/share/nova-common/nova.conf"
BIN = pathlib.Path(sys.executable).parent

# Runbook, "Glance: the image service": the two `database connection` lines and the 16-line
# keystone_authtoken/paste_deploy block: 9 settings per file, 18 in all.
GLANCE = {
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


def as_text(sections):
    """Every value as the text oslo.config reads back, so all methods write the same."""
    return {
        section: {key: render_value(value) for key, value in keys.items()}
        for section, keys in sections.items()
    }


# Runbook, "The Compute service" + "OpenStack daemons": one compute node's nova.conf.
NOVA = as_text(
    runbook.nova_conf("10.162.128.64", "cn43.internal", "0d2f4b6a8c1e3a5c7e9b", "7c9e1a3b5d7f9b1d")
)


def debian_nova_conf():
    """
    Debian 12's stock nova.conf (package nova-common), from the cache or fetched into it with
    apt-get download + dpkg-deb -x; ``(path, description)``. Falls back to the committed cut.
    """
    cached = DEBIAN_CACHE / DEBIAN_NOVA_CONF
    if not cached.exists():
        with tempfile.TemporaryDirectory(prefix="bench-nova-common-") as tmp:
            try:
                subprocess.run(
                    ["apt-get", "download", "nova-common"],
                    cwd=tmp,
                    capture_output=True,
                    check=True,
                    timeout=300,
                )
                deb = next(pathlib.Path(tmp).glob("nova-common_*.deb"))
                shutil.rmtree(DEBIAN_CACHE, ignore_errors=True)
                subprocess.run(
                    ["dpkg-deb", "-x", str(deb), str(DEBIAN_CACHE)], capture_output=True, check=True
                )
                (DEBIAN_CACHE / "VERSION").write_text(deb.name + "\n")
            except (OSError, StopIteration, subprocess.SubprocessError) as exc:
                fallback = STOCK / "nova.conf.stock"
                print(
                    f"NOTE: could not get Debian's nova-common package ({exc}); the nova case "
                    f"runs on the {line_count(fallback)}-line cut {fallback.relative_to(REPO)}, "
                    "not on the full stock file the target is set for"
                )
                return fallback, f"{fallback.relative_to(REPO)} (a cut)"
    version = (DEBIAN_CACHE / "VERSION").read_text().strip().replace("%3a", ":")
    return cached, f"Debian 12 stock nova.conf, {line_count(cached)} lines ({version})"


def line_count(path):
    return len(path.read_text().splitlines())


def cases():
    """name: ({file: source}, settings per file, target ratio vs crudini-per-key, what)."""
    nova, nova_what = debian_nova_conf()
    glance = {name: STOCK / f"{name}.stock" for name in ("glance-api.conf", "glance-registry.conf")}
    return {
        "glance": (glance, GLANCE, 15, "the stock files in tests/functional/files"),
        "nova": ({"nova.conf": nova}, NOVA, 100, nova_what),
    }


def count(settings):
    return sum(len(keys) for keys in settings.values())


def crudini_path():
    here = BIN / "crudini"
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


def salt_call_config(root):
    """A masterless minion config for salt-call that loads the repo's modules; its directory."""
    opts = repo_minion_opts(root / "minion-root", "bench.internal")
    keys = (
        "id root_dir cachedir pki_dir sock_dir extension_modules file_roots pillar_roots "
        "module_dirs states_dirs grains_dirs utils_dirs"
    ).split()
    config = {key: opts[key] for key in keys}
    config.update(
        file_client="local", log_file=str(root / "minion.log"), log_level_logfile="warning"
    )
    confdir = root / "etc"
    confdir.mkdir(parents=True, exist_ok=True)
    (confdir / "minion").write_text(yaml.safe_dump(config))
    return confdir


def fresh_files(workdir, files):
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    paths = []
    for name, source in files.items():
        path = workdir / name
        shutil.copyfile(source, path)
        paths.append(path)
    return paths


def crudini_runner(crudini, settings):
    def run(paths):
        for path in paths:
            for section, keys in settings.items():
                for key, value in keys.items():
                    subprocess.run([crudini, "--set", str(path), section, key, value], check=True)

    return run


def state_runner(states, fun, settings):
    def run(paths):
        for path in paths:
            ret = states[fun](name=str(path), sections=settings)
            if ret["result"] is not True:
                raise RuntimeError(f"{fun} failed on {path}: {ret['comment']}")

    return run


def salt_call_runner(confdir, settings):
    def run(paths):
        for path in paths:
            proc = subprocess.run(
                [
                    str(BIN / "salt-call"),
                    "--local",
                    "-c",
                    str(confdir),
                    "--out=json",
                    "--log-level=quiet",
                    "state.single",
                    "openstack_ini.present",
                    f"name={path}",
                    f"sections={json.dumps(settings)}",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"salt-call failed on {path}: {proc.stdout[-500:]}")

    return run


def backdate(paths):
    for path in paths:
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 3600 * 10**9))


def fingerprint(paths):
    return [(os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in paths]


def check(paths, method, settings):
    for path in paths:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(path)
        for section, keys in settings.items():
            for key, value in keys.items():
                if parser.get(section, key) != value:
                    raise RuntimeError(f"{method}: {path.name} [{section}] {key} not set")


def timed(run, paths):
    start = time.perf_counter()
    run(paths)
    return time.perf_counter() - start


def measure(root, methods, files, settings, runs):
    """{method: (median first run, median unchanged run, [rewrote on unchanged run])}."""
    results = {}
    for method, (run, method_runs) in methods.items():
        first, second, wrote = [], [], []
        for _ in range(runs if method_runs is None else method_runs):
            paths = fresh_files(root / "files", files)
            first.append(timed(run, paths))
            check(paths, method, settings)
            backdate(paths)
            before = fingerprint(paths)
            second.append(timed(run, paths))
            wrote.append(fingerprint(paths) != before)
        results[method] = (statistics.median(first), statistics.median(second), wrote)
    return results


# The methods, by role: crudini per key, Salt's core ini state, ours in-process, ours by salt-call.
ROLES = ("crudini", "core", "ours", "call")


def report(case, files, settings, results, target, what, labels):
    n = count(settings) * len(files)
    print()
    print(f"[{case}] {n} runbook settings on {' + '.join(files)}, fresh copies of {what}")
    print(f"{'method':<40} {'runs':>4} {'first run':>12} {'unchanged run':>15}   rewrote unchanged")
    for role, (first, second, wrote) in results.items():
        times = f"{first * 1000:>9.2f} ms {second * 1000:>12.2f} ms"
        rewrote = f"{'yes' if any(wrote) else 'no'} ({sum(wrote)}/{len(wrote)})"
        print(f"{labels[role]:<40} {len(wrote):>4} {times}   {rewrote}")
    crud, core, ours, call = (results.get(role) for role in ROLES)
    print("ratios (other / openstack_ini.present in-process, warm loader):")
    for role in ("crudini", "core"):
        if results.get(role):
            first, second, _ = results[role]
            print(
                f"  {labels[role]:<38} first run {first / ours[0]:8.1f}x   "
                f"unchanged {second / ours[1]:8.1f}x"
            )
    print(
        f"  {labels['crudini']:<38} vs salt-call --local: first run {crud[0] / call[0]:.2f}x, "
        f"unchanged {crud[1] / call[1]:.2f}x (both fresh processes)"
    )
    checks = [
        (
            f"[{case}] >= {target}x faster than crudini-per-key (first run, in-process)",
            crud[0] / ours[0] >= target,
        ),
        (f"[{case}] zero writes on the unchanged run", not any(ours[2]) and not any(call[2])),
    ]
    if core:
        checks.append(
            (
                f"[{case}] not slower than ini.options_present (both runs)",
                ours[0] <= core[0] and ours[1] <= core[1],
            )
        )
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per method (>= 5)")
    parser.add_argument(
        "--salt-call-runs", type=int, default=3, help="runs of the salt-call row (>= 3)"
    )
    parser.add_argument(
        "--case", choices=("glance", "nova"), action="append", help="only this case (repeatable)"
    )
    parser.add_argument(
        "--core",
        choices=("glance", "nova"),
        action="append",
        help="cases with a Salt ini.options_present row (default: glance only; on the full "
        "nova.conf one call of it takes minutes)",
    )
    args = parser.parse_args()
    runs = max(args.runs, 5)
    call_runs = max(args.salt_call_runs, 3)

    print(
        "In-process rows: Salt's loader built once in this process and warmed up (start-up and "
        "module loading not counted). crudini and salt-call rows: a fresh process per setting "
        "(crudini) or per file (salt-call --local), start-up counted."
    )
    targets = []
    root = pathlib.Path(tempfile.mkdtemp(prefix="bench-openstack-ini-"))
    try:
        crudini = crudini_path()
        states = build_states(root / "salt")
        confdir = salt_call_config(root / "salt-call")
        for case, (files, settings, target, what) in cases().items():
            if args.case and case not in args.case:
                continue
            n = count(settings) * len(files)
            labels = {
                "crudini": f"crudini --set x{n} (runbook)",
                "core": "salt ini.options_present",
                "ours": "openstack_ini.present",
                "call": f"salt-call --local x{len(files)} (openstack_ini)",
            }
            methods = {
                "crudini": (crudini_runner(crudini, settings), None),
                "core": (state_runner(states, "ini.options_present", settings), None),
                "ours": (state_runner(states, "openstack_ini.present", settings), None),
                "call": (salt_call_runner(confdir, settings), call_runs),
            }
            if case not in (args.core or ["glance"]):
                print(f"[{case}] salt ini.options_present left out (add it with --core {case})")
                del methods["core"]
            for run, _ in methods.values():  # warm-up: load modules, fill caches
                run(fresh_files(root / "warmup", files))
            results = measure(root, methods, files, settings, runs)
            targets += report(case, files, settings, results, target, what, labels)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print()
    for text, ok in targets:
        print(f"target: {text}: {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
