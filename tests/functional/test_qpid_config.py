"""
qpidd.conf's `auth` line (salt/qpid/config/file.sls and its clean twin), applied for real to
a file of the test's own through Salt's loaders.

qpidd reads its file as boost program_options do: spaces around the key and the `=` do not
count, and an option given twice stops it. A stock `auth = yes` therefore has to end as one
`auth=no` line, never as a second option beside the first. No qpidd runs here (Debian has
none to match RDO's qpid-cpp-server); the package list is emptied so nothing is installed.
"""

import pytest

from tests.functional.test_compute_highstate import args_of

STOCK = "# Configuration file for qpidd.\n#auth=yes\nauth = yes\nlog-to-syslog=yes\n"


def pillar(path, **extra):
    lookup = {"qpid": {"pkgs": [], "conf": {"path": str(path), "group": "root"}}}
    return {"hltcloud": {"lookup": lookup}, **extra}


def apply(loaders, path, sls="qpid.config.file", test=False, **extra):
    results = list(loaders.modules.state.sls(sls, pillar=pillar(path, **extra), test=test))
    assert all(r.result is not False for r in results), [(r.id, r.comment) for r in results]
    return {r.id: r for r in results}


def changed(results):
    return sorted(sid for sid, r in results.items() if r.changes)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (STOCK, "# Configuration file for qpidd.\n#auth=yes\nauth=no\nlog-to-syslog=yes\n"),
        ("auth=yes\nlog-to-syslog=yes\n  auth = no\n", "log-to-syslog=yes\nauth=no\n"),
        ("auth\t=\tyes\nauth=no\n", "auth=no\n"),
        ("log-to-syslog=yes\n", "log-to-syslog=yes\nauth=no\n"),
    ],
    ids=["stock-spaces", "two-lines", "tabs", "no-auth-line"],
)
def test_the_file_ends_with_one_auth_no_line(loaders, tmp_path, before, after):
    conf = tmp_path / "qpidd.conf"
    conf.write_text(before)
    apply(loaders, conf)
    assert conf.read_text() == after
    # the second run changes nothing
    assert changed(apply(loaders, conf)) == []


def test_a_file_that_says_auth_no_once_is_left_alone(loaders, tmp_path):
    conf = tmp_path / "qpidd.conf"
    conf.write_text("# qpidd\nauth=no\n")
    assert changed(apply(loaders, conf)) == []
    assert changed(apply(loaders, conf, test=True)) == []
    assert conf.read_text() == "# qpidd\nauth=no\n"


def test_dry_run_says_the_line_changes_and_writes_nothing(loaders, tmp_path):
    conf = tmp_path / "qpidd.conf"
    conf.write_text(STOCK)
    results = apply(loaders, conf, test=True)
    assert changed(results) == ["qpid-config-file-managed"]
    assert results["qpid-config-file-managed"].result is None
    assert "+auth=no" in results["qpid-config-file-managed"].changes["diff"]
    assert conf.read_text() == STOCK


def test_there_is_no_pillar_switch_for_authentication(loaders, tmp_path):
    # qpid:auth true once wrote auth=yes with no SASL user and no qpid_username in any
    # nova.conf: every node lost the bus. The runbook's auth=no is the only setting.
    conf = tmp_path / "qpidd.conf"
    conf.write_text("auth = no\nauth=no\n")
    apply(loaders, conf, qpid={"auth": True})
    assert conf.read_text() == "auth=no\n"


def test_clean_removes_every_auth_line(loaders, tmp_path):
    conf = tmp_path / "qpidd.conf"
    conf.write_text("auth = yes\nlog-to-syslog=yes\nauth=no\n")
    pillar_data = pillar(conf)
    # the clean twin stops qpidd first: no such service here, so only the file state runs
    high = loaders.modules.state.show_sls("qpid.config.clean", pillar=pillar_data)
    fun, args = args_of(high, "qpid-config-auth-absent")
    assert fun == "file.replace"
    ret = loaders.states.file.replace(
        **{key: args[key] for key in ("name", "pattern", "repl", "backup", "ignore_if_missing")}
    )
    assert ret.result is True
    assert conf.read_text() == "log-to-syslog=yes\n"
