"""tools/make_secrets.py, behind `make secrets`."""

import stat

import pytest
import yaml

from tools import make_secrets as secrets

CATALOG = yaml.safe_load(secrets.CATALOG.read_text())


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
    path.write_text(yaml.safe_dump({"admin_pass": "keepme"}))
    _run(path)
    values = yaml.safe_load(path.read_text())
    assert values["admin_pass"] == "keepme"
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
