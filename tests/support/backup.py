"""The backup tests' pillar and folders: hltcloud_backup reads its settings from
salt://map.jinja, which reads pillar ``hltcloud:lookup``; a module function (unlike
``state.sls``) takes no ``pillar=``, so the tests write the pillar into the minion's
pillar_roots and reload the loaders."""

import copy
import json
import pathlib

from tests.conftest import REPO


def backup_lookup(root, **overrides):
    """pillar hltcloud:lookup:backup with every path under ``root`` (folder not made)."""
    root = pathlib.Path(root)
    lookup = {
        "dir": str(root / "backups"),
        "keep": 2,
        "min_free_bytes": 0,
        "cron": {"file": str(root / "cron.d" / "hltcloud-backup"), "log": str(root / "backup.log")},
    }
    lookup.update(overrides)
    return lookup


def use_pillar(loaders, pillar):
    """Make ``pillar`` the minion's own (pillar_roots) and reload the loaders with it."""
    roots = loaders.opts["pillar_roots"]["base"]
    folder = pathlib.Path(roots[0])
    folder.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in copy.deepcopy(pillar).items() if not k.startswith("_")}
    (folder / "top.sls").write_text("base:\n  '*':\n    - hltcloud_backup_test\n")
    (folder / "hltcloud_backup_test.sls").write_text("#!json\n" + json.dumps(data))
    loaders.reload_all()
    return data


def readme_command(prefix):
    """The backup section's line of docs/operations.md that starts with ``prefix`` (the documented
    command)."""
    text = (REPO / "docs" / "operations.md").read_text()
    section = text.split("## Backups", 1)[1].split("\n## ", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in section.splitlines()]
    found = [line for line in lines if line.startswith(prefix)]
    assert len(found) == 1, f"docs/operations.md's backup section has no single '{prefix}' line"
    return found[0]
