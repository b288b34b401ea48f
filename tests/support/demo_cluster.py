"""
``make demo``: start the local cluster (a real salt-master and one real salt-minion per
inventory node, tests/support/localcluster.py), run the orchestration in test mode

    salt-run state.orchestrate orch.cloud test=True

print what each step did, then the status table (``salt-run hlt.status``), and stop.

On this Debian machine the head's MariaDB, Keystone and nova-api are not running, as on
a new cluster: the states that would ask them say what they would do instead ("keystone
is not running yet: checked once it runs"), the CirrOS image says it was not checked,
and the whole orchestration passes its dry run. When this machine runs a MariaDB of its
own (`/etc/init.d/mariadb start`; the test suite runs its own elsewhere), the head's
states ask it as the head's root and are refused (1045/1698); those states fail fast (the
demo hands every step a short ``retry_timeout``, 3 s instead of 60 s, through pillar
``orch:pillar``) and the orchestration stops before any compute node, as it must when the
head fails. The demo says so, and then dry-runs the compute nodes' highstate directly,
outside the orchestration, so their part is shown too. It fails (non-zero exit) on
anything else: a failing state that is not one of those unreachable services, a render
error, a compute node that fails its dry run.

It runs under pytest only to reuse salt-factories' daemon management; it is a demo, not
part of the test suite.
"""

import json
import re

from tests.support.localcluster import (  # noqa: F401  (pytest fixtures)
    cluster_master,
    cluster_minions,
    cluster_pillar_root,
    inventory,
    node_ids,
    salt_cli,
)
from tests.support.orchestration import HEAD_STEP, orchestrate, step_returns

RETRY_TIMEOUT = 3  # seconds each OpenStack client waits for an absent service (default 60)

# Failures that only say a service of the head is not there (on this machine).
UNREACHABLE = (
    (re.compile(r"MySQL Error"), "MariaDB"),
    (re.compile(r"is not answering"), "OpenStack API not reachable"),
)
BLOCKED = "One or more requisite failed"


def _first_line(text):
    return str(text).strip().splitlines()[0] if str(text).strip() else ""


def classify(states):
    """``(counts, unexpected)`` of one node's state results: pending/ok/unreachable/blocked."""
    counts = {"ok": 0, "would change": 0, "unreachable here": 0, "blocked by those": 0}
    unexpected = []
    if not isinstance(states, dict):
        errors = states if isinstance(states, list) else [states]
        return counts, [_first_line(e) for e in errors] or ["no answer"]
    for state in states.values():
        comment = str(state.get("comment", ""))
        if state["result"] is True:
            counts["ok"] += 1
        elif state["result"] is None:
            counts["would change"] += 1
        elif comment.startswith(BLOCKED):
            counts["blocked by those"] += 1
        elif any(pattern.search(comment) for pattern, _ in UNREACHABLE):
            counts["unreachable here"] += 1
        else:
            unexpected.append(f"{state['__id__']}: {_first_line(comment)}")
    return counts, unexpected


def unreachable_services(states):
    """One line per distinct unreachable service, e.g. the Keystone URL, from the comments."""
    seen = []
    for state in states.values() if isinstance(states, dict) else []:
        comment = str(state.get("comment", ""))
        for pattern, label in UNREACHABLE:
            if state["result"] is False and pattern.search(comment):
                where = re.search(r"(\S+) at (http\S+)", comment)
                if where:
                    line = f"{label}: {where.group(1)} at {where.group(2)}"
                else:
                    line = f"{label}: {_first_line(comment)}"
                if line not in seen:
                    seen.append(line)
    return seen


def _counts_text(counts):
    return ", ".join(f"{n} {what}" for what, n in counts.items() if n)


def _rollout_lines(nodes):
    """Print the rollout step's nodes, one line each; return the failed ones as problems."""
    problems = []
    for minion_id, node in sorted(nodes.items()):
        print(f"  {minion_id}: {node['state']}{', ' if node['detail'] else ''}{node['detail']}")
        if node["state"] == "failed":
            problems.append(f"{minion_id}: {node['detail']}")
    return problems


def test_orchestration_dry_run(cluster_master, salt_cli, cluster_minions):
    pillar = {
        "orch": {
            "pillar": {
                service: {"auth": {"retry_timeout": RETRY_TIMEOUT}}
                for service in ("keystone", "glance", "nova")
            }
        }
    }
    print("\n\n$ salt-run state.orchestrate orch.cloud test=True  (every step in test mode)\n")
    retcode, steps = orchestrate(cluster_master, "test=True", f"pillar={json.dumps(pillar)}")
    problems = []
    head_unreachable_only = False
    for step in steps:
        verdict = {True: "ok", None: "ok, would change", False: "FAILED"}[step["result"]]
        print(f"{step['id']}: {verdict}  ({step.get('duration', 0) / 1000:.1f} s)")
        returns = step_returns(step)
        nodes = (step.get("changes") or {}).get("nodes") or {}
        if not returns:
            print(f"  {_first_line(step['comment'])}")
        problems += _rollout_lines(nodes)
        for minion_id, states in sorted(returns.items()):
            counts, unexpected = classify(states)
            print(f"  {minion_id}: {_counts_text(counts)}, {len(unexpected)} other failure(s)")
            for line in unreachable_services(states):
                print(f"    unreachable here: {line}")
            for line in unexpected:
                print(f"    ! {line}")
            problems += [f"{minion_id}: {line}" for line in unexpected]
            if step["id"] == HEAD_STEP and step["result"] is False:
                head_unreachable_only = not unexpected and counts["unreachable here"] > 0
        if (
            step["result"] is False
            and step["id"] != HEAD_STEP
            and not step["comment"].startswith(BLOCKED)
        ):
            problems.append(f"{step['id']}: {_first_line(step['comment'])}")

    computes = [
        f"{name}.{inventory()['domain']}"
        for name, node in sorted(inventory()["nodes"].items())
        if node["role"] == "compute"
    ]
    if retcode == 0:
        print("\nThe whole orchestration passed its dry run.")
    elif head_unreachable_only:
        print(
            "\nThe dry run did NOT pass: the head's states could not use the services above "
            "('unreachable here':\nthis machine's, not cn43's), so the orchestration stopped "
            "before any compute node,\nas it does on a real failure. The compute nodes' part, "
            "dry-run directly instead:\n"
        )
        ret = salt_cli.run(
            "-L", "state.highstate", "test=True", minion_tgt=",".join(computes), _timeout=600
        )
        for minion_id in computes:
            counts, unexpected = classify((ret.data or {}).get(minion_id, ["no answer"]))
            print(f"  {minion_id}: {_counts_text(counts)}, {len(unexpected)} failure(s)")
            problems += [f"{minion_id}: {line}" for line in unexpected]
            for line in unexpected:
                print(f"    ! {line}")
    else:
        problems.append(f"the orchestration failed (exit {retcode}), see above")

    print("\n$ salt-run hlt.status   (nothing was applied: a dry run changes nothing)\n")
    ret = cluster_master.salt_run_cli(timeout=120).run("hlt.status", "timeout=5", "--out=txt")
    print(ret.stdout)
    assert ret.returncode == 0, ret
    assert not problems, "\n".join(["unexpected failures:", *problems])
