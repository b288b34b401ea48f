"""The keystone_v3 execution module's pure logic: settings, retry schedule, redaction."""

import pathlib

import pytest
import salt.modules

from _modules import keystone_v3

TOKEN = "f00dfeedf00dfeedf00d"
PASSWORD = "c0ffee00c0ffee00c0ff"


def test_resolve_auth_defaults_to_the_head_admin_endpoint():
    settings = keystone_v3._resolve_auth(None, {"token": TOKEN})
    assert settings["auth_url"] == "http://cn43.internal:35357/v3"
    assert settings["retry_timeout"] == 60
    assert settings["user_domain_id"] == settings["project_domain_id"] == "default"


def test_resolve_auth_explicit_keys_override_config_key_by_key():
    config = {"auth_url": "http://cn43.internal:35357/v3/", "token": TOKEN, "timeout": 3}
    settings = keystone_v3._resolve_auth(config, {"retry_timeout": "0.5", "token": None})
    assert settings["auth_url"] == "http://cn43.internal:35357/v3"
    assert settings["token"] == TOKEN
    assert settings["retry_timeout"] == 0.5
    assert settings["timeout"] == 3.0


def test_resolve_auth_accepts_a_password_instead_of_the_token():
    settings = keystone_v3._resolve_auth(
        {"username": "admin", "password": PASSWORD, "project_name": "admin"}
    )
    assert "token" not in settings


@pytest.mark.parametrize(
    "config",
    [None, {}, {"username": "admin"}, {"password": PASSWORD}, {"auth_url": "http://x/v3"}],
)
def test_resolve_auth_without_credentials_says_where_to_put_them(config):
    with pytest.raises(keystone_v3.KeystoneError, match="keystone:auth:token"):
        keystone_v3._resolve_auth(config)


def test_resolve_auth_without_credentials_is_fine_for_a_token_check():
    settings = keystone_v3._resolve_auth(None, None, need_credentials=False)
    assert settings["auth_url"] == keystone_v3.DEFAULT_AUTH_URL


def test_resolve_auth_rejects_unknown_keys():
    with pytest.raises(keystone_v3.KeystoneError, match="os_token"):
        keystone_v3._resolve_auth({"os_token": TOKEN})


def test_resolve_auth_rejects_non_numeric_timeouts():
    with pytest.raises(keystone_v3.KeystoneError, match="must be numbers"):
        keystone_v3._resolve_auth({"token": TOKEN, "retry_timeout": "soon"})


def test_describe_auth_names_the_credentials_without_revealing_them():
    token = keystone_v3._describe_auth({"token": TOKEN})
    password = keystone_v3._describe_auth(
        {"username": "admin", "password": PASSWORD, "project_name": "admin"}
    )
    assert token == "the admin token"
    assert password == "password auth for user 'admin' on project 'admin'"
    assert TOKEN not in token + password and PASSWORD not in token + password


def test_backoff_doubles_is_capped_and_stays_within_the_budget():
    delays = keystone_v3._backoff_delays(60)
    assert delays[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert max(delays) == keystone_v3.MAX_DELAY
    assert sum(delays) <= 60
    assert sum(delays) + keystone_v3.MAX_DELAY > 60  # it does use the budget


@pytest.mark.parametrize("total", [0, 0.1, -1])
def test_backoff_with_no_budget_means_a_single_attempt(total):
    assert keystone_v3._backoff_delays(total) == []


def test_scrub_replaces_every_secret_in_a_message():
    text = f"Invalid input for field 'password': '{PASSWORD}' (token {TOKEN})"
    scrubbed = keystone_v3._scrub(text, [PASSWORD, TOKEN, None])
    assert PASSWORD not in scrubbed and TOKEN not in scrubbed
    assert scrubbed.count("***") == 2


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

    def send(settings, method, path, body=None, **kwargs):
        requests.append((method, path, body))
        return Answer({"endpoint": {"id": "e1", **(body or {}).get("endpoint", {})}})

    monkeypatch.setattr(keystone_v3, "_settings", lambda auth, **kwargs: {"auth_url": "x"})
    monkeypatch.setattr(keystone_v3, "_send", send)
    monkeypatch.setattr(keystone_v3, "_cache_put", lambda *args, **kwargs: None)
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
    with pytest.raises(keystone_v3.KeystoneError, match="region and region_id differ"):
        keystone_v3.endpoint_update("e1", region="a", region_id="b")
    assert sent == []


def test_docstring_lists_the_identity_calls_icehouse_has():
    doc = keystone_v3.__doc__
    for call in ("POST /auth/tokens", "GET/POST /regions", "GET/POST /endpoints"):
        assert call in doc
