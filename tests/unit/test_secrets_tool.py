"""tools/make_secrets.py, behind `make secrets`."""

import contextlib
import io
import os
import pathlib
import pwd
import shutil
import stat
import tempfile

import pytest
import yaml

from tools import make_secrets as secrets

CATALOG = yaml.safe_load(secrets.CATALOG.read_text())
KEEP = "0123456789abcdef0123"


def _run(path, *args):
    return secrets.main(["--file", str(path), *args])


def test_generates_every_catalog_secret_as_20_hex_digits(tmp_path):
    path = tmp_path / "secrets.yaml"
    assert _run(path) == 0
    values = yaml.safe_load(path.read_text())
    assert set(values) == set(CATALOG)
    for value in values.values():
        assert len(value) == 20
        int(value, 16)
    assert len(set(values.values())) == len(values)


def test_file_mode_is_0600(tmp_path):
    path = tmp_path / "secrets.yaml"
    _run(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_second_run_keeps_existing_secrets_and_file(tmp_path, capsys):
    path = tmp_path / "secrets.yaml"
    _run(path)
    before = path.read_text()
    inode = path.stat().st_ino
    _run(path)
    assert path.read_text() == before
    assert path.stat().st_ino == inode
    assert "nothing changed" in capsys.readouterr().out


def test_adds_only_missing_secrets(tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text(yaml.safe_dump({"admin_pass": KEEP}))
    _run(path)
    values = yaml.safe_load(path.read_text())
    assert values["admin_pass"] == KEEP
    assert set(values) == set(CATALOG)


def test_rotate_replaces_only_the_named_secret(tmp_path):
    path = tmp_path / "secrets.yaml"
    _run(path)
    old = yaml.safe_load(path.read_text())
    _run(path, "--rotate", "nova_pass")
    new = yaml.safe_load(path.read_text())
    assert new["nova_pass"] != old["nova_pass"]
    assert {k: v for k, v in new.items() if k != "nova_pass"} == {
        k: v for k, v in old.items() if k != "nova_pass"
    }


def test_rotate_keeps_the_file_as_it_was_in_previous_0600(tmp_path, capsys):
    path = tmp_path / "secrets.yaml"
    _run(path)
    before = path.read_bytes()
    _run(path, "--rotate", "glance_pass")
    previous = tmp_path / "secrets.yaml.previous"
    assert previous.read_bytes() == before
    assert stat.S_IMODE(previous.stat().st_mode) == 0o600
    assert f"are in {previous} (0600)" in capsys.readouterr().out
    # what a roll-back puts back: the file the pillar read before the rotation
    assert secrets.load(previous) != secrets.load(path)


def test_adding_missing_secrets_keeps_no_previous_file(tmp_path):
    path = tmp_path / "secrets.yaml"
    _run(path)
    _run(path)
    assert not (tmp_path / "secrets.yaml.previous").exists()


def test_rotate_unknown_name_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="unknown secret"):
        _run(tmp_path / "secrets.yaml", "--rotate", "nope")


def test_values_are_never_printed(tmp_path, capsys):
    path = tmp_path / "secrets.yaml"
    _run(path)
    _run(path, "--rotate-all")
    out = capsys.readouterr().out
    for value in yaml.safe_load(path.read_text()).values():
        assert value not in out


def test_existing_0644_file_is_tightened_to_0600(tmp_path, capsys):
    path = tmp_path / "secrets.yaml"
    _run(path)
    before = path.read_text()
    path.chmod(0o644)
    assert _run(path) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == before
    assert "mode tightened to 0600" in capsys.readouterr().out


def test_existing_0644_file_gets_0600_when_a_secret_is_added(tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text(f"admin_pass: {KEEP}\n")
    path.chmod(0o644)
    assert _run(path) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rotate_on_a_symlink_writes_the_links_target(tmp_path):
    target = tmp_path / "vault" / "secrets.yaml"
    target.parent.mkdir()
    link = tmp_path / "secrets.yaml"
    link.symlink_to(target)
    _run(link)
    old = yaml.safe_load(target.read_text())
    assert _run(link, "--rotate", "nova_pass") == 0
    assert link.is_symlink() and link.resolve() == target
    new = yaml.safe_load(target.read_text())
    assert new["nova_pass"] != old["nova_pass"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["secrets.yaml"]


@pytest.fixture
def shared_dir():
    """A directory user nobody may enter and write in (pytest's tmp_path is root's, 0700)."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="hlt-secrets-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path)


def _run_as_nobody(path):
    """Run the tool in a forked child that dropped to user nobody; return (exit code, stderr)."""
    user = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 3
        try:
            os.close(read_end)
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = _run(path)
            os.write(write_end, err.getvalue().encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        err = pipe.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to user nobody needs root")
def test_unreadable_file_is_refused_and_left_alone(shared_dir):
    path = shared_dir / "secrets.yaml"
    path.write_text(f"admin_pass: {KEEP}\n")
    path.chmod(0)
    code, err = _run_as_nobody(path)
    assert code == 1
    assert err.count("\n") == 1 and "cannot read it" in err and KEEP not in err
    assert sorted(p.name for p in shared_dir.iterdir()) == ["secrets.yaml"]
    path.chmod(0o600)
    assert path.read_text() == f"admin_pass: {KEEP}\n"


def test_a_file_that_is_not_utf8_is_refused_and_left_alone(tmp_path, capsys):
    path = tmp_path / "secrets.yaml"
    data = b"admin_pass: \xff\xfe" + KEEP.encode() + b"\n"
    path.write_bytes(data)
    assert _run(path) == 1
    assert path.read_bytes() == data
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and KEEP not in err
    assert err.startswith(f"{path}, line 1: secret 'admin_pass' is not a string of 20 hex digits")


def test_a_directory_in_place_of_the_file_is_refused(tmp_path, capsys):
    path = tmp_path / "secrets.yaml"
    path.mkdir()
    assert _run(path) == 1
    assert list(path.iterdir()) == []
    assert "cannot read it" in capsys.readouterr().err
