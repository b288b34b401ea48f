"""
The head's firewall as the inventory grows: 5 nodes (etc/salt/cluster.conf), 250 and 1000
compute nodes (1000 in a /22 mgmt network), the old way against the new, in the same run.

- **old**: one ACCEPT rule per node per `nodes` port (MariaDB, Keystone admin, Qpid), what
  salt/firewall/rules.jinja wrote before the ipset: the new rules file with each
  ``--match-set hlt-nodes src`` rule replaced by one ``-s <node>`` rule per member, in the
  inventory's order;
- **new**: one rule per port matching the ipset ``hlt-nodes`` (hash:ip), and the set's file.

Both files are rendered from what the real salt-call compiles for cn43 (``state.show_sls
firewall``, RedHat grains, in a copy of the checkout with the grown inventory) through the
formula's own templates (salt/firewall/files/). Then, inside a network namespace the bench
makes and deletes: rule count (``iptables -S``), and the time of ``iptables-restore`` (old) and of
``ipset restore`` + ``iptables-restore`` (new), each into an emptied namespace, median of --runs.
Also the compile time of cn43's and cn44's firewall (one salt-call process each, start-up
included): flat in N is the target, beyond the inventory read once.

Needs root (namespaces), iptables and ipset (tools/apt-packages.txt). Exits 1 if the new way
has more than one rule per `nodes` port, or a file fails to load.

    .venv/bin/python bench/bench_firewall.py            # or --runs 7 --compile-runs 3
"""

import argparse
import os
import pathlib
import secrets
import statistics
import subprocess
import sys
import tempfile
import time

import jinja2

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.checkout import checkout_with_secrets  # noqa: E402
from tests.support.localcluster import grown_inventory, inventory_written  # noqa: E402
from tests.support.masterless import REDHAT, args_of, salt_call  # noqa: E402

SIZES = [
    ("5", dict(total=5)),
    ("250", dict(total=251)),
    ("1000 (/22)", dict(total=1001, mgmt="10.162.128.0/22", ib="10.162.132.0/22")),
]
FILES = REPO / "salt" / "firewall" / "files"


def render(name, context):
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(FILES)), extensions=["jinja2.ext.do"]
    )
    return env.get_template(name).render(**context)


def compile_firewall(checkout, node):
    """(seconds, firewall-config-file-managed's context) of one salt-call."""
    start = time.perf_counter()
    code, high = salt_call(checkout, node, "state.show_sls", "firewall", grains=REDHAT)
    elapsed = time.perf_counter() - start
    if code != 0 or not isinstance(high, dict):
        raise SystemExit(f"{node}: the firewall does not compile: {high}")
    return elapsed, args_of(high, "firewall-config-file-managed")[1]["context"]


def old_way(context):
    """The context with every ipset rule replaced by one rule per member (the old template)."""
    accept = []
    for rule in context["accept"]:
        if rule["set"]:
            accept += [{**rule, "set": None, "source": ip} for ip in context["node_set"]["members"]]
        else:
            accept.append(rule)
    return {**context, "accept": accept, "node_set": None}


def sh(netns, command):
    return subprocess.run(
        ["ip", "netns", "exec", netns, "sh", "-c", command],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def timed_load(netns, commands, runs):
    """Median seconds of ``commands`` (run one after another) into an emptied namespace."""
    samples = []
    for _ in range(runs):
        sh(netns, "iptables -F; iptables -X; ipset destroy 2>/dev/null; true")
        start = time.perf_counter()
        for command in commands:
            sh(netns, command)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def rule_count(netns):
    return sum(1 for line in sh(netns, "iptables -S INPUT").splitlines() if line.startswith("-A"))


def measure(netns, workdir, label, context, runs):
    new_rules, old_rules = workdir / f"{label}.new.v4", workdir / f"{label}.old.v4"
    ipset_file = workdir / f"{label}.ipset"
    new_rules.write_text(render("rules.jinja", context))
    old_rules.write_text(render("rules.jinja", old_way(context)))
    ipset_file.write_text(render("ipset.jinja", context["node_set"]))
    old_time = timed_load(netns, [f"iptables-restore {old_rules}"], runs)
    old_count = rule_count(netns)
    set_time = timed_load(netns, [f"ipset -exist restore < {ipset_file}"], runs)
    new_time = timed_load(
        netns, [f"ipset -exist restore < {ipset_file}", f"iptables-restore {new_rules}"], runs
    )
    new_count = rule_count(netns)
    members = sum(
        1 for line in sh(netns, "ipset list hlt-nodes").splitlines() if line[:1].isdigit()
    )
    return {
        "old_rules": old_count,
        "new_rules": new_count,
        "members": members,
        "old_s": old_time,
        "new_s": new_time,
        "set_s": set_time,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--compile-runs", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root: it makes a network namespace")
    netns = f"hltfw-bench-{os.getpid()}-{secrets.token_hex(3)}"
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-firewall-") as tmp:
        workdir = pathlib.Path(tmp)
        checkout = checkout_with_secrets(workdir / "hlt-cloud")
        subprocess.run(["ip", "netns", "add", netns], check=True)
        try:
            rows = []
            for label, size in SIZES:
                with inventory_written(checkout, grown_inventory(**size)):
                    head = [
                        compile_firewall(checkout, "cn43.internal")
                        for _ in range(args.compile_runs)
                    ]
                    compute = [
                        compile_firewall(checkout, "cn44.internal")[0]
                        for _ in range(args.compile_runs)
                    ]
                context = head[0][1]
                row = measure(netns, workdir, label.split()[0], context, args.runs)
                row.update(
                    label=label,
                    nodes=size["total"],
                    head_compile=statistics.median(t for t, _ in head),
                    compute_compile=statistics.median(compute),
                )
                nodes_ports = sum(1 for rule in context["accept"] if rule["set"])
                if row["members"] != size["total"] or nodes_ports != 3:
                    failed = True
                rows.append(row)
        finally:
            subprocess.run(["ip", "netns", "del", netns], check=False)
    base = rows[0]
    print(
        f"head cn43, `nodes` ports 3306/35357/5672; medians of {args.runs} loads, "
        f"{args.compile_runs} compiles"
    )
    print(
        f"{'nodes':>11} {'rules old':>9} {'rules new':>9} {'ratio':>6} "
        f"{'restore old':>11} {'new (set+rules)':>15} {'set':>8} {'ratio':>6} "
        f"{'compile cn43':>12} {'x5':>5} {'compile cn44':>12} {'x5':>5}"
    )
    for row in rows:
        print(
            f"{row['label']:>11} {row['old_rules']:>9} {row['new_rules']:>9} "
            f"{row['old_rules'] / row['new_rules']:>5.1f}x "
            f"{row['old_s'] * 1000:>9.1f}ms {row['new_s'] * 1000:>13.1f}ms "
            f"{row['set_s'] * 1000:>6.1f}ms {row['old_s'] / row['new_s']:>5.1f}x "
            f"{row['head_compile']:>11.2f}s {row['head_compile'] / base['head_compile']:>4.2f}x "
            f"{row['compute_compile']:>11.2f}s "
            f"{row['compute_compile'] / base['compute_compile']:>4.2f}x"
        )
    if failed:
        print("FAILED: the set does not hold every node, or not one rule per `nodes` port")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
