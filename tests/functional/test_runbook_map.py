"""
docs/runbook.md maps every actionable step of the runbook to the state that performs it, or
says why none does. This keeps it true: each role and SLS the map names is compiled ONCE,
masterless (`salt-call --id NODE state.show_highstate` / `state.show_sls X`) in a copy of the
checkout with its own secrets and RedHat grains (Fedora 19, the runbook's platform), and

- every state ID listed must exist in the compiled highstate of its role (or in the SLS its row
  names), and come from the SLS file its row names;
- every row names a state or gives a reason;
- every state of the compiled head and compute highstates is named by some row (a new state
  gets its runbook step, or a row under "States with no runbook step").

The checks are plain functions over (rows, compiled): the last tests feed them a broken map and
a compiled highstate without a listed state, and see them complain.
"""

import pathlib
import re
import sys

import pytest

from tests.functional.test_compute_highstate import REDHAT, node_grains, salt_call
from tests.support.checkout import checkout_with_secrets
from tests.support.localcluster import REPO

PY = sys.executable
MAP = REPO / "docs" / "runbook.md"
COLUMNS = ["step", "state ID", "file", "role", "note"]
# The node whose highstate (or state.show_sls) stands for a role, with its grains.
NODES = {"head": "cn43.internal", "compute": "cn44.internal"}
# host and fqdn as on the nodes, not this test host's: mariadb.secure names states after them.
GRAINS = {
    "head": {**REDHAT, "host": "cn43", "fqdn": "cn43.internal"},
    "compute": {**node_grains("cn44.internal"), "host": "cn44", "fqdn": "cn44.internal"},
}
# The first VM's SLS needs the demo user's public key in the pillar (pillar/smoke.sls).
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ1bmJvb2stbWFwLXRlc3Qta2V5LWRlbW8 demo@cn43"
NONE = "—"
TARGET = re.compile(r"^(head|compute)(?: sls ([A-Za-z0-9_.]+))?$")


def split_row(line):
    """The cells of a markdown table row; ``\\|`` inside a cell is not a separator."""
    inner = line.strip()
    inner = inner[1:-1] if inner.endswith("|") else inner[1:]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def backticked(cell):
    return re.findall(r"`([^`]+)`", cell)


def parse_map(text):
    """
    The rows of every step table: dicts with section, step, ids, files, targets, note, line.
    ``targets`` are (role, sls or None) pairs; a role cell that is not ``head``, ``compute``,
    ``<role> sls <name>`` or ``—`` gives the target (None, <the text>), which check_rows reports.
    """
    rows, section, columns = [], None, None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            section, columns = line.lstrip("#").strip(), None
            continue
        if not line.startswith("|"):
            columns = None
            continue
        cells = split_row(line)
        if columns is None:
            columns = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        if columns != COLUMNS:
            continue
        row = dict(zip(columns, cells, strict=False))
        targets = []
        role = row.get("role", "")
        if role and role != NONE:
            for part in role.split(","):
                match = TARGET.match(part.strip())
                targets.append(match.groups() if match else (None, part.strip()))
        rows.append(
            {
                "section": section,
                "step": row.get("step", ""),
                "ids": backticked(row.get("state ID", "")),
                "files": backticked(row.get("file", "")),
                "targets": targets,
                "note": "" if row.get("note", "") == NONE else row.get("note", ""),
                "line": number,
                "cells": len(cells),
            }
        )
    return rows


def where(row):
    return f"docs/runbook.md:{row['line']} ({row['section']}: {row['step'][:60]})"


def sls_file(sls):
    """The file of an `__sls__` name, relative to the repo: salt/a/b.sls or salt/a/b/init.sls."""
    base = REPO / "salt" / pathlib.Path(*sls.split("."))
    if base.with_suffix(".sls").is_file():
        return f"salt/{'/'.join(sls.split('.'))}.sls"
    return f"salt/{'/'.join(sls.split('.'))}/init.sls"


def check_rows(rows):
    """Rows that name no state and give no reason, or whose state has no file or role."""
    problems = []
    for row in rows:
        if row["cells"] != len(COLUMNS):
            problems.append(
                f"{where(row)}: {row['cells']} cells, not {len(COLUMNS)} (a | not escaped?)"
            )
            continue
        if not row["ids"]:
            if not row["note"]:
                problems.append(f"{where(row)}: neither a state ID nor a reason")
            continue
        if not row["files"]:
            problems.append(f"{where(row)}: states without their SLS file")
        if not row["targets"]:
            problems.append(f"{where(row)}: states without a role")
        for role, sls in row["targets"]:
            if role is None:
                problems.append(
                    f"{where(row)}: role {sls!r} is not head, compute or '<role> sls <name>'"
                )
    return problems


def check_states(rows, compiled):
    """Listed state IDs missing from their role's compilation, or from another file."""
    problems = []
    for row in rows:
        for target in row["targets"]:
            if target[0] is None:
                continue
            high = compiled[target]
            label = target[0] + (f" sls {target[1]}" if target[1] else " highstate")
            for state_id in row["ids"]:
                if state_id not in high:
                    problems.append(f"{where(row)}: {state_id!r} is not in the {label}")
                    continue
                path = sls_file(high[state_id]["__sls__"])
                if path not in row["files"]:
                    problems.append(
                        f"{where(row)}: {state_id!r} comes from {path}, not {row['files']}"
                    )
    return problems


def unmapped_states(rows, compiled):
    """States of the compiled role highstates that no row names."""
    named = {state_id for row in rows for state_id in row["ids"]}
    problems = []
    for (role, sls), high in sorted(compiled.items(), key=str):
        if sls is not None:
            continue
        for state_id in sorted(high):
            if not state_id.startswith("__") and state_id not in named:
                problems.append(
                    f"{state_id!r} ({high[state_id]['__sls__']}) of the {role} highstate "
                    "is in no row of docs/runbook.md"
                )
    return problems


ROWS = parse_map(MAP.read_text(encoding="utf-8"))
TARGETS = sorted(
    {target for row in ROWS for target in row["targets"] if target[0] is not None}
    | {("head", None), ("compute", None)},
    key=str,
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    target = checkout_with_secrets(tmp_path_factory.mktemp("runbook-map") / "hlt-cloud")
    (target / "pillar" / "demo-key.pub").write_text(PUBLIC_KEY + "\n")
    return target


@pytest.fixture(scope="module")
def compiled(checkout):
    """{(role, sls or None): compiled states}: one salt-call per role and per named SLS."""
    result = {}
    for role, sls in TARGETS:
        args = ("state.show_sls", sls) if sls else ("state.show_highstate",)
        code, high = salt_call(checkout, NODES[role], *args, grains=GRAINS[role])
        assert code == 0 and isinstance(high, dict), (role, sls, high)
        result[role, sls] = high
    return result


def test_the_map_has_rows_for_both_roles_and_the_hand_applied_sls():
    assert len(ROWS) > 50
    roles = {target for row in ROWS for target in row["targets"]}
    assert {("head", None), ("compute", None)} <= roles
    assert ("compute", "compute.killswitch") in roles
    assert ("head", "smoke.first_vm") in roles


def test_every_row_names_a_state_or_gives_a_reason():
    problems = check_rows(ROWS)
    assert not problems, "\n".join(problems)


def test_every_listed_state_exists_where_its_row_says(compiled):
    problems = check_states(ROWS, compiled)
    assert not problems, "\n".join(problems)


def test_every_state_of_the_role_highstates_is_in_the_map(compiled):
    problems = unmapped_states(ROWS, compiled)
    assert not problems, "\n".join(problems)


BROKEN = """
## Somewhere

| step | state ID | file | role | note |
| --- | --- | --- | --- | --- |
| `do a \\| b` | — | — | — | |
| `yum install x` | `x-installed` | — | head | |
| `service x start` | `x-running` | `salt/x/init.sls` | head, comptue | |
| `echo` | `x-missing` | `salt/x/init.sls` | head | |
| `echo` | `x-running` | `salt/y/init.sls` | compute sls x.clean | |
| `a | b` | `x-running` | `salt/x/init.sls` | head | |
"""


def test_a_row_without_state_or_reason_and_a_bad_role_are_reported():
    rows = parse_map(BROKEN)
    assert rows[0]["step"] == "`do a | b`"
    problems = check_rows(rows)
    assert len(problems) == 4
    assert "neither a state ID nor a reason" in problems[0]
    assert "states without their SLS file" in problems[1]
    assert "role 'comptue' is not head, compute" in problems[2]
    assert "6 cells, not 5 (a | not escaped?)" in problems[3]


def test_a_vanished_state_and_a_state_from_another_file_are_reported():
    rows = parse_map(BROKEN)[3:5]
    compiled = {
        ("head", None): {"x-running": {"__sls__": "x"}, "x-extra": {"__sls__": "x"}},
        ("compute", "x.clean"): {"x-running": {"__sls__": "x"}},
    }
    problems = check_states(rows, compiled)
    assert len(problems) == 2
    assert "'x-missing' is not in the head highstate" in problems[0]
    assert "'x-running' comes from salt/x/init.sls, not ['salt/y/init.sls']" in problems[1]
    assert unmapped_states(rows, compiled) == [
        "'x-extra' (x) of the head highstate is in no row of docs/runbook.md"
    ]
