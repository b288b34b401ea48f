"""
A broken pillar/secrets.yaml, read by both of its readers: `make secrets`
(tools/make_secrets.py) and the pillar (pillar/lib/secrets.jinja, compiled by
Salt's real pillar code in-process, as the master does). Each bad file gives one
line naming the file, the line and the key, the same line from both; no value
of the file is ever printed, logged or put in the pillar, and nothing is written.
"""

import logging
import shutil

import pytest
import salt.config
import salt.pillar
import yaml

from _utils import hltcloud_schema
from tests.support.localcluster import REPO, inventory
from tools import make_secrets

CATALOG = yaml.safe_load(make_secrets.CATALOG.read_text())
# Well-formed values for every catalog secret; a case replaces some of them.
GOOD = {name: f"{index:02d}" + "a1b2c3d4e5f6a7b8c9" for index, name in enumerate(sorted(CATALOG))}


def _lines(values):
    return "".join(f"{name}: {value}\n" for name, value in values.items())


def _with(line_for_nova_pass):
    """Every good secret, nova_pass (the last, line 9) replaced by ``line_for_nova_pass``."""
    values = {k: v for k, v in GOOD.items() if k != "nova_pass"}
    return _lines(values) + line_for_nova_pass


# (file text, expected message after "<file>, line N: ")
BAD_FILES = {
    "invalid-yaml": (
        _with('nova_pass: "9f8e7d6c5b4a39281706\n'),
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "top-level-list": (
        "- 9f8e7d6c5b4a39281706\n- 0a1b2c3d4e5f6a7b8c9d\n",
        "line 1: expected one secret per line as `name: <20 hex digits>`.",
    ),
    "top-level-scalar": (
        "# a comment first\n9f8e7d6c5b4a39281706\n",
        "line 2: expected one secret per line as `name: <20 hex digits>`.",
    ),
    "duplicate-key": (
        _lines(GOOD) + "admin_pass: 9f8e7d6c5b4a39281706\n",
        "line 10: secret 'admin_pass' is given twice (also on line 1).",
    ),
    "list-value": (
        _with("nova_pass: [9f8e7d6c5b4a39281706, 0a1b2c3d4e5f6a7b8c9d]\n"),
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "block-list-value": (
        _with("nova_pass:\n  - 9f8e7d6c5b4a39281706\n"),
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "dict-value": (
        _with("nova_pass: {old: 9f8e7d6c5b4a39281706}\n"),
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "too-short": (
        _with("nova_pass: 9f8e7d6c5b\n"),
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "not-hex": (
        _with("nova_pass: 9f8e7d6c5b4a3928170z\n"),
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "a-number": (
        _with("nova_pass: 3.1415926535897932384\n"),
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "byte-not-utf8-in-a-value": (
        _with("nova_pass: 9f8e7d6c5b4a3928170").encode() + b"\xff\n",
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "upper-case": (
        _with("nova_pass: 9F8E7D6C5B4A39281706\n"),
        "line 9: secret 'nova_pass' is not a string of 20 hex digits (0-9, a-f).",
    ),
    "byte-not-utf8-in-a-name": (
        _with("").encode() + b"nova_p\xe4ss: 9f8e7d6c5b4a39281706\n",
        "line 9: expected one secret per line as `name: <20 hex digits>`.",
    ),
}
# Every value-like token of the bad files: none may be printed anywhere.
VALUES = [*GOOD.values(), "9f8e7d6c5b4a39281706", "0a1b2c3d4e5f6a7b8c9d", "9f8e7d6c5b"]
VALUES += ["9f8e7d6c5b4a3928170z", "3.1415926535897932384", "9f8e7d6c5b4a3928170"]
VALUES += ["9F8E7D6C5B4A39281706"]


def _write(path, text):
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


@pytest.fixture
def pillar_root(tmp_path):
    """A copy of the repo's pillar tree, without the checkout's own secrets."""
    target = tmp_path / "pillar"
    shutil.copytree(
        REPO / "pillar", target, ignore=shutil.ignore_patterns("secrets.yaml", "__pycache__")
    )
    return target


def compile_pillar(pillar_root, minion_id):
    """The pillar the master compiles for ``minion_id`` from ``pillar_root``."""
    root = pillar_root.parent
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": minion_id,
            "root_dir": str(root),
            "cachedir": str(root / "cache"),
            "pki_dir": str(root / "pki"),
            "file_client": "local",
            "pillar_roots": {"base": [str(pillar_root)]},
            "file_roots": {"base": [str(REPO / "salt")]},
            # as etc/salt/master: the pillar reads the file with hltcloud.secrets_file
            "module_dirs": [str(REPO / "_modules")],
            "utils_dirs": [str(REPO / "_utils")],
            "hltcloud_inventory": inventory(),
        }
    )
    return salt.pillar.get_pillar(opts, {}, minion_id, saltenv="base").compile_pillar()


def _snapshot(directory):
    return {
        p.name: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_mode)
        for p in directory.iterdir()
        if p.is_file()
    }


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_make_secrets_refuses_a_bad_file_with_one_line_and_writes_nothing(
    pillar_root, capsys, case
):
    text, expected = BAD_FILES[case]
    path = pillar_root / "secrets.yaml"
    _write(path, text)
    before = _snapshot(pillar_root)

    assert make_secrets.main(["--file", str(path)]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"{path}, {expected}"), err
    assert not [value for value in VALUES if value in err]
    assert _snapshot(pillar_root) == before


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.parametrize("minion_id", ["cn43.internal", "cn44.internal"])
def test_pillar_of_a_bad_file_is_one_error_line_and_no_secret(pillar_root, caplog, case, minion_id):
    text, expected = BAD_FILES[case]
    path = pillar_root / "secrets.yaml"
    _write(path, text)
    before = _snapshot(pillar_root)

    with caplog.at_level(logging.DEBUG):
        pillar = compile_pillar(pillar_root, minion_id)

    errors = pillar["_errors"]
    assert len(errors) == 1 and errors[0].startswith(f"{path}, {expected}"), errors
    # The same line as `make secrets` says.
    try:
        make_secrets.load(path)
    except make_secrets.SecretsFileError as exc:
        assert errors[0] == str(exc)
    assert "secrets" not in pillar and "keystone" not in pillar
    shown = repr(pillar) + "\n".join(r.getMessage() for r in caplog.records)
    assert not [value for value in VALUES if value in shown]
    assert _snapshot(pillar_root) == before


def test_a_key_removed_from_the_file_is_one_error_line_naming_it(pillar_root):
    values = {k: v for k, v in GOOD.items() if k != "nova_dbpass"}
    (pillar_root / "secrets.yaml").write_text(_lines(values))
    for minion_id in ("cn43.internal", "cn45.internal"):
        pillar = compile_pillar(pillar_root, minion_id)
        assert pillar["_errors"] == [
            f"Secret 'nova_dbpass' is missing from {pillar_root / 'secrets.yaml'}. Run "
            "`make secrets`: it adds missing secrets and keeps the existing ones."
        ]
        assert "secrets" not in pillar
    # A secret of the head alone is missing: the compute nodes are not concerned.
    values = {k: v for k, v in GOOD.items() if k != "glance_dbpass"}
    (pillar_root / "secrets.yaml").write_text(_lines(values))
    assert "glance_dbpass" in compile_pillar(pillar_root, "cn43.internal")["_errors"][0]
    compute = compile_pillar(pillar_root, "cn45.internal")
    assert "_errors" not in compute
    assert compute["secrets"] == {
        "nova_dbpass": GOOD["nova_dbpass"],
        "nova_pass": GOOD["nova_pass"],
    }


def test_quoted_names_and_values_and_comments_are_read(pillar_root):
    text = "# made by hand\n\n" + "".join(
        f"'{name}': \"{value}\"  # set on 2026-11-26\n" for name, value in GOOD.items()
    )
    path = pillar_root / "secrets.yaml"
    _write(path, text)
    assert make_secrets.load(path) == GOOD
    pillar = compile_pillar(pillar_root, "cn43.internal")
    assert "_errors" not in pillar
    assert pillar["secrets"] == GOOD


def test_a_file_made_by_make_secrets_is_read_whole_by_the_pillar(pillar_root):
    path = pillar_root / "secrets.yaml"
    assert make_secrets.main(["--file", str(path)]) == 0
    written = yaml.safe_load(path.read_text())
    pillar = compile_pillar(pillar_root, "cn43.internal")
    assert "_errors" not in pillar
    assert pillar["secrets"] == written
    assert all(isinstance(v, str) for v in pillar["secrets"].values())


# One secret format for every reader (_utils/hltcloud_secrets.py): the file's bytes as the
# value of nova_pass, and whether it is a secret.
SECRET_VALUES = [
    (b"0123456789abcdef0123", True),
    (b"0123456789ABCDEF0123", False),  # upper case: make secrets writes lower case
    (b"0123456789abcDef0123", False),
    (b"0123456789abcdef012", False),  # 19 digits
    (b"0123456789abcdef01234", False),  # 21 digits
    (b"0123456789abcdef012g", False),  # not hex
    (b"0123456789abcdef012\xff", False),  # not UTF-8
]


@pytest.mark.parametrize(("raw", "good"), SECRET_VALUES)
def test_the_file_the_pillar_and_the_schema_agree_on_a_secret(pillar_root, raw, good):
    path = pillar_root / "secrets.yaml"
    path.write_bytes(_with("").encode() + b"nova_pass: " + raw + b"\n")
    try:
        tool = make_secrets.load(path)["nova_pass"] == raw.decode()
    except make_secrets.SecretsFileError:
        tool = False
    pillar = compile_pillar(pillar_root, "cn44.internal")
    from_pillar = "_errors" not in pillar and pillar["secrets"]["nova_pass"] == raw.decode()
    value = raw.decode("utf-8", "replace")
    schema = hltcloud_schema.validate_pillar({"secrets": {"nova_pass": value}}) == []
    assert (tool, from_pillar, schema) == (good, good, good)
