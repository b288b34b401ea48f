"""The keystone_v3 execution module: loading and documentation."""

import pathlib

import salt.modules

from _modules import keystone_v3


def test_virtual_says_why_without_keystoneauth1(monkeypatch):
    monkeypatch.setattr(keystone_v3, "HAS_KSA", False)
    loaded, reason = keystone_v3.__virtual__()
    assert loaded is False
    assert "keystoneauth1" in reason


def test_virtual_name_does_not_clash_with_salt_core_modules():
    core = pathlib.Path(salt.modules.__file__).parent
    assert not (core / "keystone_v3.py").exists()
    clashing = [
        path.name
        for path in core.glob("*.py")
        if '__virtualname__ = "keystone_v3"' in path.read_text(errors="replace")
    ]
    assert clashing == []
    assert keystone_v3.__virtual__() == "keystone_v3"


def test_every_public_function_has_a_cli_example():
    public = [
        name
        for name, func in vars(keystone_v3).items()
        if callable(func)
        and not name.startswith("_")
        and getattr(func, "__module__", None) == keystone_v3.__name__
        and not isinstance(func, type)
    ]
    assert len(public) > 20
    missing = [n for n in public if "CLI Example:" not in (vars(keystone_v3)[n].__doc__ or "")]
    assert missing == []
