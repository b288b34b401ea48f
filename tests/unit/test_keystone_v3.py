"""The keystone_v3 execution module: loading and documentation."""

import pathlib

import pytest
import salt.modules
from salt.exceptions import CommandExecutionError

from _modules import keystone_v3
from _utils import keystone_client, openstack_client


@pytest.fixture(autouse=True)
def utils(monkeypatch):
    """The module's ``__utils__``: the real shared client's ``virtual``."""
    funcs = {"openstack_client.virtual": openstack_client.virtual}
    monkeypatch.setattr(keystone_v3, "__utils__", funcs, raising=False)


def test_virtual_says_why_without_keystoneauth1(monkeypatch):
    monkeypatch.setattr(openstack_client, "HAS_KSA", False)
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


# -- endpoints carry both region keys ------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    """The (method, path, body) of every request the module sends; answers echo the body."""
    requests = []

    class Answer:
        def __init__(self, body):
            self.body = body

        def json(self):
            return self.body

    def request(context, settings, method, path, body=None, **kwargs):
        requests.append((method, path, body))
        return Answer({"endpoint": {"id": "e1", **(body or {}).get("endpoint", {})}})

    def connect(auth, **kwargs):
        return keystone_client.connect({}, {"auth_url": "x"}, {"request": request}.__getitem__)

    monkeypatch.setattr(keystone_v3, "_conn", connect)
    monkeypatch.setattr(
        keystone_v3, "__utils__", {"keystone_client.fields": keystone_client.fields}
    )
    return requests


def test_endpoint_create_sends_region_and_region_id(sent):
    keystone_v3.endpoint_create("svc", "public", "http://cn43.internal:9292")

    ((method, path, body),) = sent
    assert (method, path) == ("POST", "/endpoints")
    assert body["endpoint"]["region"] == body["endpoint"]["region_id"] == "regionOne"


def test_endpoint_create_in_another_region_sends_it_as_both(sent):
    keystone_v3.endpoint_create("svc", "admin", "http://x", region="RegionTwo")

    assert sent[0][2]["endpoint"]["region"] == sent[0][2]["endpoint"]["region_id"] == "RegionTwo"


@pytest.mark.parametrize("key", ["region", "region_id"])
def test_endpoint_update_of_the_region_sends_both_keys(sent, key):
    keystone_v3.endpoint_update("e1", **{key: "regionOne"})

    ((method, path, body),) = sent
    assert (method, path) == ("PATCH", "/endpoints/e1")
    assert body == {"endpoint": {"region": "regionOne", "region_id": "regionOne"}}


def test_endpoint_update_of_the_url_alone_sends_no_region(sent):
    keystone_v3.endpoint_update("e1", url="http://x")

    assert sent[0][2] == {"endpoint": {"url": "http://x"}}


def test_endpoint_update_refuses_two_different_regions(sent):
    with pytest.raises(CommandExecutionError, match="region and region_id differ"):
        keystone_v3.endpoint_update("e1", region="a", region_id="b")
    assert sent == []


def test_docstring_lists_the_identity_calls_icehouse_has():
    doc = keystone_v3.__doc__
    for call in ("POST /auth/tokens", "GET/POST /regions", "GET/POST /endpoints"):
        assert call in doc
