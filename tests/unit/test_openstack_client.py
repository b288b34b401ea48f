"""The shared OpenStack client's pure logic: settings, retry schedule, redaction."""

import pytest
import requests

from _utils import openstack_client as client

resolve = client.resolve

TOKEN = "f00dfeedf00dfeedf00d"
PASSWORD = "c0ffee00c0ffee00c0ff"


URL = "http://cn43.internal:35357/v3"


def test_resolve_auth_has_no_site_url_built_in():
    with pytest.raises(client.OpenStackError, match="no Keystone URL: set keystone:auth:auth_url"):
        resolve(None, {"token": TOKEN})
    assert "auth_url" not in client.DEFAULTS


def test_resolve_auth_defaults():
    settings = resolve(None, {"token": TOKEN, "auth_url": URL})
    assert settings["auth_url"] == URL
    assert settings["retry_timeout"] == 60
    assert settings["user_domain_id"] == settings["project_domain_id"] == "default"


def test_resolve_auth_explicit_keys_override_config_key_by_key():
    config = {"auth_url": "http://cn43.internal:35357/v3/", "token": TOKEN, "timeout": 3}
    settings = resolve(config, {"retry_timeout": "0.5", "token": None})
    assert settings["auth_url"] == "http://cn43.internal:35357/v3"
    assert settings["token"] == TOKEN
    assert settings["retry_timeout"] == 0.5
    assert settings["timeout"] == 3.0


def test_resolve_auth_accepts_a_password_instead_of_the_token():
    settings = resolve(
        {"username": "admin", "password": PASSWORD, "project_name": "admin", "auth_url": URL}
    )
    assert "token" not in settings


@pytest.mark.parametrize(
    "config",
    [None, {}, {"username": "admin"}, {"password": PASSWORD}, {"auth_url": "http://x/v3"}],
)
def test_resolve_auth_without_credentials_says_where_to_put_them(config):
    with pytest.raises(client.OpenStackError, match="keystone:auth:token"):
        resolve(config)


def test_resolve_auth_without_credentials_is_fine_for_a_token_check():
    settings = resolve(None, {"auth_url": URL}, need_credentials=False)
    assert settings["auth_url"] == URL


def test_resolve_auth_rejects_unknown_keys():
    with pytest.raises(client.OpenStackError, match="os_token"):
        resolve({"os_token": TOKEN})


def test_resolve_auth_rejects_non_numeric_timeouts():
    with pytest.raises(client.OpenStackError, match="must be numbers"):
        resolve({"token": TOKEN, "retry_timeout": "soon"})


def test_describe_auth_names_the_credentials_without_revealing_them():
    token = client.describe({"token": TOKEN})
    password = client.describe({"username": "admin", "password": PASSWORD, "project_name": "admin"})
    assert token == "the admin token"
    assert password == "password auth for user 'admin' on project 'admin'"
    assert TOKEN not in token + password and PASSWORD not in token + password


def test_backoff_doubles_is_capped_and_stays_within_the_budget():
    delays = client.backoff_delays(60)
    assert delays[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert max(delays) == client.MAX_DELAY
    assert sum(delays) <= 60
    assert sum(delays) + client.MAX_DELAY > 60  # it does use the budget


@pytest.mark.parametrize("total", [0, 0.1, -1])
def test_backoff_with_no_budget_means_a_single_attempt(total):
    assert client.backoff_delays(total) == []


def test_scrub_replaces_every_secret_in_a_message():
    text = f"Invalid input for field 'password': '{PASSWORD}' (token {TOKEN})"
    scrubbed = client.scrub(text, [PASSWORD, TOKEN, None])
    assert PASSWORD not in scrubbed and TOKEN not in scrubbed
    assert scrubbed.count("***") == 2


class _Answer:
    def __init__(self, body=None, text="", reason="Bad Request"):
        self._body, self.text, self.reason = body, text, reason

    def json(self):
        if self._body is None:
            raise ValueError("no JSON")
        return self._body


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            _Answer({"error": {"message": "Could not find role", "code": 404}}),
            "Could not find role",
        ),
        (_Answer({"badRequest": {"message": "Invalid cidr", "code": 400}}), "Invalid cidr"),
        (_Answer(text="<html>409 Conflict: image exists</html>"), "409 Conflict"),
        (_Answer(text="", reason="Service Unavailable"), "Service Unavailable"),
    ],
)
def test_error_message_reads_keystone_nova_and_plain_answers(answer, message):
    assert message in client.error_message(answer)


def test_an_endpoint_lookup_with_the_admin_token_says_password_auth_is_needed():
    settings = resolve(None, {"token": TOKEN, "auth_url": URL})
    with pytest.raises(client.OpenStackError, match="needs password auth") as raised:
        client.endpoint({}, settings, "image")
    assert TOKEN not in str(raised.value)


class _RefusingSession:
    """A keystoneauth session whose service answers ``statuses`` in turn."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.sent = []  # (body as the server read it, allow_reauth)
        self.invalidated = 0

    def get_endpoint(self, **kwargs):
        return "http://glance.test:9292"

    def request(self, url, method, data=None, allow_reauth=True, **kwargs):
        body = data.read() if hasattr(data, "read") else data
        self.sent.append((body, allow_reauth))
        resp = requests.Response()
        resp.status_code = self.statuses.pop(0)
        return resp

    def invalidate(self):
        self.invalidated += 1
        return True


def test_an_upload_refused_with_401_is_sent_again_whole_with_a_new_token(monkeypatch, tmp_path):
    # Keystone revokes the tokens of the second a password changed: the upload gets
    # HTTP 401, then goes again from the file's start with a token of the next second.
    fake = _RefusingSession(401, 204)
    monkeypatch.setattr(client, "session", lambda context, settings, authenticated=True: fake)
    naps = []
    monkeypatch.setattr(client.time, "sleep", naps.append)
    image = tmp_path / "cirros.img"
    image.write_bytes(b"QFI\xfb" + bytes(5000))
    settings = resolve(
        None,
        {"username": "admin", "password": PASSWORD, "project_name": "admin", "auth_url": URL},
    )
    with image.open("rb") as handle:
        resp = client.request(
            {}, settings, "PUT", "/v2/images/1/file", service_type="image", data=handle
        )
    assert resp.status_code == 204
    # keystoneauth may not resend a half-read file itself: only this client does, rewound.
    assert fake.sent == [(image.read_bytes(), False), (image.read_bytes(), False)]
    assert fake.invalidated == 1
    assert len(naps) == 1 and 0 < naps[0] <= 1.05


def test_an_upload_retried_after_a_503_is_sent_again_from_its_start(monkeypatch, tmp_path):
    fake = _RefusingSession(503, 204)
    monkeypatch.setattr(client, "session", lambda context, settings, authenticated=True: fake)
    monkeypatch.setattr(client.time, "sleep", lambda seconds: None)
    image = tmp_path / "cirros.img"
    image.write_bytes(b"QFI\xfb" + bytes(5000))
    settings = resolve(
        None,
        {"username": "admin", "password": PASSWORD, "project_name": "admin", "auth_url": URL},
    )
    with image.open("rb") as handle:
        client.request({}, settings, "PUT", "/v2/images/1/file", service_type="image", data=handle)
    assert [body for body, _ in fake.sent] == [image.read_bytes(), image.read_bytes()]
