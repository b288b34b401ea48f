"""
``make demo``: start the local cluster (a real salt-master and one real
salt-minion per inventory node, tests/support/localcluster.py), apply the
highstate to every node in dry-run mode (test=True), print what would change
per node and a one-line-per-node summary, then stop everything.

It runs under pytest only to reuse salt-factories' daemon management; it is a
demo, not part of the test suite.
"""

from tests.support.localcluster import (  # noqa: F401  (pytest fixtures)
    cluster_master,
    cluster_minions,
    cluster_pillar_root,
    node_ids,
    salt_cli,
)


def _first_line(text):
    return str(text).strip().splitlines()[0] if str(text).strip() else ""


def summarize(minion_id, states):
    """Return (detail lines, summary line) for one node's test=True highstate."""
    if not isinstance(states, dict):
        errors = states if isinstance(states, list) else [states]
        return [
            f"  ! {_first_line(e)}" for e in errors
        ], f"{minion_id:16} ERROR  {len(errors)} error(s)"
    pending = {sid: s for sid, s in states.items() if s["result"] is None}
    failed = {sid: s for sid, s in states.items() if s["result"] is False}
    details = []
    for marker, group in (("~", pending), ("!", failed)):
        for sid, state in sorted(group.items(), key=lambda kv: kv[1].get("__run_num__", 0)):
            name = sid.split("_|-")[1]
            details.append(f"  {marker} {name}: {_first_line(state['comment'])}")
    status = "FAILED" if failed else "OK"
    line = (
        f"{minion_id:16} {status:6} {len(states):3} states, {len(pending):3} would change, "
        f"{len(failed)} failed"
    )
    return details, line


def test_cluster_dry_run(salt_cli, cluster_minions):
    grains = salt_cli.run("grains.get", "role", minion_tgt="*").data
    ret = salt_cli.run("state.apply", "test=True", minion_tgt="*")
    summary = []
    print("\n\nDry run of the highstate (test=True) on the local cluster:\n")
    for minion_id in node_ids():
        details, line = summarize(minion_id, ret.data.get(minion_id, ["no answer"]))
        print(f"{minion_id} (role {grains.get(minion_id) or 'none'}):")
        print("\n".join(details) or "  nothing would change")
        summary.append(line)
    print("\nSummary:")
    print("\n".join(summary))
    print()
    assert not [line for line in summary if " OK " not in line], "some nodes failed the dry run"
