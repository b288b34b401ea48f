"""Benchmark: the runbook's identity catalog, declaratively (Salt) versus one CLI per object.

Three Keystones fresh from ``keystone-manage bootstrap`` (tests/support/keystone_server.py), each
on the loopback:

* ``salt-call``: ``salt-call --local state.sls keystone.catalog`` (pillar: the runbook
  catalog of pillar/keystone.example.yaml) from empty, then the same run again (must write
  nothing). This is the figure the target is judged on: it pays one process start.
* ``in-process``: the same SLS through Salt's loaders in this process, which leaves out
  salt-call's start-up, from empty and again.
* ``cli``: the runbook's way, one ``openstack`` process per object (python-openstackclient
  from bench/keystone-bench-requirements.txt in .local/openstackclient-venv, not in the
  keystone venv), reaching the same catalog; objects bootstrap already made are ``set``
  rather than created, and the identity endpoints are found with one ``endpoint list``
  (the runbook's ``$(keystone service-list | awk ...)``).

Every way is sampled the same: ``--repeat`` runs (default 3), each on its own fresh Keystone,
median shown with the samples. Requests are counted from each Keystone's access log. The test
Keystone hashes passwords with bcrypt ``password_hash_rounds`` = 4 (Keystone's default is 12),
which makes every user creation and password check far cheaper than on a real Keystone, for
both sides. Prints wall times, request counts and ratios. Needs
tools/install-keystone.sh --with-openstackclient.

    .venv/bin/python bench/bench_keystone.py
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support import keystone_server  # noqa: E402

OSC_VENV = REPO / ".local" / "openstackclient-venv"
EXAMPLE = REPO / "pillar" / "keystone.example.yaml"
LIST_TYPES = (
    "roles",
    "projects",
    "users",
    "role_assignments",
    "services",
    "endpoints",
    "regions",
)


# The endpoints' host: salt/keystone/catalog.jinja builds their URLs from it.
HEAD = "cn43.internal"


def catalog_pillar(server):
    pillar = yaml.safe_load(EXAMPLE.read_text())
    pillar["keystone"]["auth"] = {
        "auth_url": server.url,
        "token": server.admin_token,
        "retry_timeout": 10,
    }
    pillar["cluster"] = {"head_fqdn": HEAD}
    return pillar


def completed_catalog(root):
    """
    The catalog as catalog.sls converges it (salt/keystone/catalog.jinja: the example's
    site facts with the types, descriptions, emails and endpoint URLs of salt/parameters):
    what the runbook's author typed into the CLI. Rendered once, not timed.
    """
    from saltfactories.utils.functional import Loaders

    from tests.support.checkout import repo_minion_opts

    pillar = yaml.safe_load(EXAMPLE.read_text())
    pillar["cluster"] = {"head_fqdn": HEAD}
    loaders = Loaders(repo_minion_opts(root, "bench.internal", pillar=pillar))
    rendered = loaders.modules.slsutil.renderer(
        string='{%- from "keystone/catalog.jinja" import keystone_catalog with context %}'
        "{{ keystone_catalog | json }}",
        default_renderer="jinja",
    )
    catalog = json.loads(rendered)
    if catalog["errors"]:
        raise SystemExit(f"the example catalog does not render: {catalog['errors']}")
    return {"keystone": catalog["pillar"]}


def classify(requests):
    """Count the requests by kind: list GETs per type, other GETs, auth POSTs, writes."""
    kinds = Counter()
    for method, path, _status in requests:
        bare = path.split("?", 1)[0]
        if method == "POST" and bare == "/v3/auth/tokens":
            kinds["password checks (POST /auth/tokens)"] += 1
        elif method in ("POST", "PUT", "PATCH", "DELETE"):
            kinds["writes"] += 1
        elif method == "GET" and bare.count("/") == 2 and bare.split("/")[2] in LIST_TYPES:
            kinds["list " + bare.split("/")[2]] += 1
        else:
            kinds["other GETs"] += 1
    return kinds


def report(label, seconds, requests, samples=()):
    kinds = classify(requests)
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items()))
    spread = ""
    if len(samples) > 1:
        spread = " [" + " ".join(f"{t:.2f}" for t in samples) + "]"
    print(f"  {label:<34} {seconds:7.2f} s{spread}  {len(requests):4d} requests  ({detail})")
    return kinds


# -- salt-call ----------------------------------------------------------------------------------


def salt_call_config(root, server):
    root = pathlib.Path(root)
    (root / "pillar").mkdir(parents=True, exist_ok=True)
    (root / "pillar" / "top.sls").write_text("base:\n  '*':\n    - keystone\n")
    (root / "pillar" / "keystone.sls").write_text(yaml.safe_dump(catalog_pillar(server)))
    (root / "pillar" / "keystone.sls").chmod(0o600)
    minion = {
        "id": "bench.internal",
        "file_client": "local",
        "root_dir": str(root),
        "cachedir": str(root / "cache"),
        "pki_dir": str(root / "pki"),
        "sock_dir": str(root / "sock"),
        "log_file": str(root / "minion.log"),
        "file_roots": {"base": [str(REPO / "salt")]},
        "pillar_roots": {"base": [str(root / "pillar")]},
        "module_dirs": [str(REPO / "_modules")],
        "states_dirs": [str(REPO / "_states")],
        "grains_dirs": [str(REPO / "_grains")],
        "utils_dirs": [str(REPO / "_utils")],
    }
    (root / "minion").write_text(yaml.safe_dump(minion))
    return root


def salt_call(config_dir):
    command = [
        str(REPO / ".venv" / "bin" / "salt-call"),
        "--local",
        f"--config-dir={config_dir}",
        "--retcode-passthrough",
        "--out=quiet",
        "state.sls",
        "keystone.catalog",
    ]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"salt-call failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return elapsed


# -- in-process ---------------------------------------------------------------------------------


def loaders_for(root):
    from saltfactories.utils.functional import Loaders

    from tests.support.checkout import repo_minion_opts

    return Loaders(repo_minion_opts(root, "bench.internal"))


def in_process(loaders, server):
    pillar = catalog_pillar(server)
    started = time.perf_counter()
    ret = loaders.modules.state.sls("keystone.catalog", pillar=pillar)
    elapsed = time.perf_counter() - started
    failed = [r.id for r in ret if r.result is not True]
    if failed:
        raise SystemExit(f"in-process state.sls failed: {failed}")
    return elapsed, sum(1 for r in ret if r.changes)


# -- the runbook's way --------------------------------------------------------------------------


def cli_commands(server, pillar):
    """One ``openstack`` command per catalog object, in the runbook's order."""
    kc = pillar["keystone"]
    users, services = kc["users"], kc["services"]
    dom = ["--domain", "default"]
    grant = ["--user-domain", "default", "--project-domain", "default"]
    cmds = [
        # admin user, admin role and admin project exist after bootstrap: set, not create
        [
            "user",
            "set",
            "--password",
            users["admin"]["password"],
            "--email",
            users["admin"]["email"],
            "admin",
        ],
        ["role", "create", "_member_"],
        ["project", "set", "--description", kc["projects"]["admin"]["description"], "admin"],
        ["role", "add", "--user", "admin", "--project", "admin", *grant, "admin"],
        ["role", "add", "--user", "admin", "--project", "admin", *grant, "_member_"],
        [
            "user",
            "create",
            *dom,
            "--password",
            users["demo"]["password"],
            "--email",
            users["demo"]["email"],
            "demo",
        ],
        ["project", "create", *dom, "--description", kc["projects"]["demo"]["description"], "demo"],
        ["role", "add", "--user", "demo", "--project", "demo", *grant, "_member_"],
        [
            "project",
            "create",
            *dom,
            "--description",
            kc["projects"]["service"]["description"],
            "service",
        ],
        ["service", "set", "--description", services["keystone"]["description"], "keystone"],
    ]
    # The identity endpoints exist too: the runbook's `$(keystone service-list | awk ...)`
    # becomes one listing, then one `endpoint set` per interface.
    cmds.append(
        ["endpoint", "list", "--service", "identity", "-f", "value", "-c", "ID", "-c", "Interface"]
    )
    for name in ("glance", "nova"):
        svc = services[name]
        cmds += [
            [
                "user",
                "create",
                *dom,
                "--password",
                svc["user"]["password"],
                "--email",
                svc["user"]["email"],
                name,
            ],
            ["role", "add", "--user", name, "--project", "service", *grant, "admin"],
            ["service", "create", "--name", name, "--description", svc["description"], svc["type"]],
        ]
        for interface in ("public", "internal", "admin"):
            cmds.append(
                [
                    "endpoint",
                    "create",
                    "--region",
                    "regionOne",
                    svc["type"],
                    interface,
                    svc["endpoints"][interface],
                ]
            )
    return cmds


def run_cli(server, pillar):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("OS_"):
            del env[key]
    env.update(
        OS_AUTH_TYPE="admin_token",
        OS_ENDPOINT=server.url,
        OS_TOKEN=server.admin_token,
        OS_IDENTITY_API_VERSION="3",
    )
    osc = str(OSC_VENV / "bin" / "openstack")
    processes = 0

    def run(args, environ=env, ok=True):
        nonlocal processes
        processes += 1
        proc = subprocess.run(
            [osc, *args], env=environ, capture_output=True, text=True, check=False
        )
        if (proc.returncode == 0) != ok:
            raise SystemExit(f"openstack {args[:2]} gave {proc.returncode}: {proc.stderr[-500:]}")
        return proc.stdout

    started = time.perf_counter()
    identity = pillar["keystone"]["services"]["keystone"]["endpoints"]
    for args in cli_commands(server, pillar):
        out = run(args)
        if args[:2] == ["endpoint", "list"]:
            for line in out.split("\n"):
                if line.strip():
                    endpoint_id, interface = line.split()
                    run(["endpoint", "set", "--url", identity[interface], endpoint_id])
    # The runbook's check: the admin password gets a token, a wrong one does not.
    users = pillar["keystone"]["users"]
    token_env = {
        k: v for k, v in env.items() if k not in ("OS_AUTH_TYPE", "OS_ENDPOINT", "OS_TOKEN")
    }
    token_env.update(
        OS_AUTH_URL=server.url,
        OS_USERNAME="admin",
        OS_PROJECT_NAME="admin",
        OS_USER_DOMAIN_ID="default",
        OS_PROJECT_DOMAIN_ID="default",
    )
    run(["token", "issue"], dict(token_env, OS_PASSWORD=users["admin"]["password"]))
    run(["token", "issue"], dict(token_env, OS_PASSWORD="THISISTHEWRONGPASSWORD"), ok=False)
    return time.perf_counter() - started, processes


# -- main ---------------------------------------------------------------------------------------


class Fresh:
    """Keystones as ``keystone-manage bootstrap`` leaves them: copies of one bootstrapped
    template (database and keys), each on its own port; stopped at the end."""

    def __init__(self, work):
        self.work = work
        self.template = keystone_server.KeystoneServer(work / "template").setup()
        self.started = []

    def __call__(self, name):
        server = self.template.clone(self.work / name)
        self.started.append(server)
        return server.start()

    def stop(self):
        for server in self.started:
            server.stop()


def _sample(out, label, seconds, requests):
    times, _ = out.get(label, ([], None))
    out[label] = ([*times, seconds], requests)


def measure(fresh, work, repeat):
    """Run the three ways; return {label: ([seconds...], requests of the last sample)} and
    the in-process re-run's number of states with changes."""
    out = {}
    for i in range(repeat):
        ks = fresh(f"salt-call-{i}")
        config = salt_call_config(work / f"salt-call-minion-{i}", ks)
        for label in ("salt-call, from empty", "salt-call, re-run"):
            mark = ks.mark()
            _sample(out, label, salt_call(config), ks.requests(mark))
        ks.stop()

    root = work / "in-process-minion"
    (root / "pillar").mkdir(parents=True, exist_ok=True)
    loaders = loaders_for(root)
    changed = 0
    for i in range(repeat):
        ks = fresh(f"in-process-{i}")
        for label in ("in-process, from empty", "in-process, re-run"):
            loaders.reset_state()
            mark = ks.mark()
            seconds, changed = in_process(loaders, ks)
            _sample(out, label, seconds, ks.requests(mark))
        ks.stop()

    cli_catalog = completed_catalog(work / "render-minion")
    for i in range(repeat):
        ks = fresh(f"cli-{i}")
        mark = ks.mark()
        seconds, processes = run_cli(ks, cli_catalog)
        _sample(out, f"openstack CLI, {processes} processes", seconds, ks.requests(mark))
        ks.stop()
    return out, changed


def summarize(results, changed):
    """Print the figures and ratios; return whether the targets are met."""
    medians = {}
    for label, (times, requests) in results.items():
        medians[label] = (statistics.median(times), requests)
        report(label, medians[label][0], requests, times)
    cli_label = next(label for label in results if label.startswith("openstack"))
    t_cli, cli_reqs = medians[cli_label]
    print()
    for label in ("salt-call, from empty", "in-process, from empty"):
        seconds, requests = medians[label]
        print(
            f"  CLI / {label:<24} {t_cli / seconds:5.1f}x the wall time, "
            f"{len(cli_reqs) / len(requests):4.2f}x the requests"
        )
    rerun = classify(results["salt-call, re-run"][1])
    lists = {k: v for k, v in rerun.items() if k.startswith("list ")}
    writes = rerun.get("writes", 0)
    inproc_writes = classify(results["in-process, re-run"][1]).get("writes", 0)
    print(
        f"  re-run (salt-call): {writes} writes, {sum(lists.values())} list requests over "
        f"{len(lists)} types (at most {max(lists.values(), default=0)} per type), "
        f"{rerun.get('password checks (POST /auth/tokens)', 0)} password checks "
        f"(4 users + the admin's right/wrong check), {rerun.get('other GETs', 0)} other GETs"
    )
    print(f"  re-run (in-process): {changed} states with changes, {inproc_writes} writes")
    ok = (
        t_cli / medians["salt-call, from empty"][0] >= 10
        and writes == 0
        and inproc_writes == 0
        and all(v <= 1 for v in lists.values())
        and rerun.get("other GETs", 0) == 0
    )
    print(
        "\n  targets (salt-call >= 10x faster than the CLI from empty; re-run: no writes, "
        f"at most one list per type, nothing else but password checks): "
        f"{'met' if ok else 'NOT met'}"
    )
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep the Keystones' files here (default: temp)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each way, median shown (default 3)"
    )
    args = parser.parse_args(argv)
    if not keystone_server.available():
        raise SystemExit("no Keystone venv: run tools/install-keystone.sh --with-openstackclient")
    if not (OSC_VENV / "bin" / "openstack").exists():
        raise SystemExit(f"no {OSC_VENV}: run tools/install-keystone.sh --with-openstackclient")

    with tempfile.TemporaryDirectory(prefix="bench-keystone-") as tmp:
        work = pathlib.Path(args.workdir or tmp)
        print("Bootstrapping a template Keystone (not timed); each run gets a fresh copy...")
        fresh = Fresh(work)
        try:
            print(
                "\nRunbook catalog: 3 projects, 2 roles, 4 users, 5 grants, 3 services, "
                f"9 endpoints, the admin token check. Every way (Salt and CLI): median of "
                f"{args.repeat}, each run on a fresh Keystone. Test Keystone: bcrypt "
                f"password_hash_rounds = {keystone_server.PASSWORD_HASH_ROUNDS} "
                "(Keystone's default: 12).\n"
            )
            results, changed = measure(fresh, work, args.repeat)
        finally:
            fresh.stop()
    return 0 if summarize(results, changed) else 1


if __name__ == "__main__":
    sys.exit(main())
