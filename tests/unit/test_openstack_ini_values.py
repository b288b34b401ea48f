"""The ini pieces in _utils, values side: rendering, comparison, masking, validation, modes."""

import pytest
from salt.exceptions import SaltInvocationError

from _utils import ini_document as mod
from _utils import ini_file, ini_secret


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("keystone", "keystone"),
        ("", ""),
        (35357, "35357"),
        (1.5, "1.5"),
        (True, "True"),
        (False, "False"),
        (["a", "b"], "a,b"),
        (("ec2", "osapi_compute", 8775), "ec2,osapi_compute,8775"),
        ([], ""),
        ({"x": 1, "y": True}, "x:1,y:True"),
        ("mysql://nova:pw@cn43.internal/nova", "mysql://nova:pw@cn43.internal/nova"),
    ],
)
def test_render_value_writes_what_oslo_reads(value, text):
    assert mod.render_value(value) == text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "openstack_ini.absent"),
        ("line1\nline2", "newline"),
        ("line1\rline2", "newline"),
        (" padded", "whitespace"),
        ("padded\t", "whitespace"),
        (["a,b", "c"], "list item contains ','"),
        ([["nested"]], "unsupported value type list"),
        (object(), "unsupported value type object"),
        ({"k:x": "v"}, "contains ',' or ':'"),
    ],
)
def test_render_value_refuses_what_cannot_round_trip(value, message):
    with pytest.raises(SaltInvocationError, match=message):
        mod.render_value(value, "database/connection")


def test_render_value_error_names_the_setting_not_the_value():
    with pytest.raises(SaltInvocationError) as excinfo:
        mod.render_value("s3cret\nmore", "keystone_authtoken/admin_password")
    assert "keystone_authtoken/admin_password" in str(excinfo.value)
    assert "s3cret" not in str(excinfo.value)


@pytest.mark.parametrize(
    ("value", "current", "same"),
    [
        ("keystone", "keystone", True),
        ("keystone", "  keystone ", True),
        ("keystone", "Keystone", False),
        (35357, "35357", True),
        (35357, "35358", False),
        (True, "True", True),
        (True, "true", True),
        (True, "1", True),
        (True, "yes", True),
        (True, "False", False),
        (False, "false", True),
        (False, "off", True),
        (False, "True", False),
        ("True", "true", False),
        (["a", "b"], "a,b", True),
        (["a", "b"], "a, b", True),
        (["a", "b"], "b,a", False),
        ([], "", True),
        ("x", None, False),
    ],
)
def test_value_matches_compares_as_oslo_reads(value, current, same):
    assert mod.value_matches(value, current) is same


@pytest.mark.parametrize(
    ("section", "key", "secret"),
    [
        ("keystone_authtoken", "admin_password", True),
        ("DEFAULT", "rabbit_password", True),
        ("DEFAULT", "qpid_password", True),
        ("DEFAULT", "admin_token", True),
        ("keystone_authtoken", "ADMIN_PASSWORD", True),
        ("database", "connection", True),
        ("database", "slave_connection", True),
        ("DEFAULT", "transport_url", True),
        ("DEFAULT", "metadata_proxy_shared_secret", True),
        ("database", "connection_debug", False),
        ("keystone_authtoken", "auth_host", False),
        ("keystone_authtoken", "admin_user", False),
        ("DEFAULT", "my_ip", False),
    ],
)
def test_is_secret_by_default_names(section, key, secret):
    assert ini_secret.is_secret(section, key) is secret


def test_is_secret_by_secret_keys_key_or_section_slash_key():
    assert ini_secret.is_secret("keystone_authtoken", "auth_uri", ["auth_uri"])
    assert ini_secret.is_secret("keystone_authtoken", "auth_uri", ["keystone_authtoken/auth_uri"])
    assert not ini_secret.is_secret("DEFAULT", "auth_uri", ["keystone_authtoken/auth_uri"])


def test_mask_hides_secrets_and_keeps_absence():
    assert ini_secret.mask("keystone_authtoken", "admin_password", "s3cret") == "***"
    assert ini_secret.mask("keystone_authtoken", "admin_password", None) is None
    assert ini_secret.mask("keystone_authtoken", "admin_user", "glance") == "glance"


@pytest.mark.parametrize(
    "section", ["", "data]base", "data\nbase", "data\rbase", " database", 5, None]
)
def test_validate_section_refuses_what_cannot_be_a_header(section):
    with pytest.raises(SaltInvocationError, match="section name"):
        mod.validate_section(section)


@pytest.mark.parametrize(
    "key", ["", "  ", "a=b", "a:b", "a\nb", "a\rb", " key", "#key", ";key", "[key", 3]
)
def test_validate_key_refuses_what_cannot_be_a_key(key):
    with pytest.raises(SaltInvocationError, match="key"):
        mod.validate_key("DEFAULT", key)


def test_validate_present_renders_every_value():
    sections = {"DEFAULT": {"debug": True, "workers": 4}, "paste_deploy": {"flavor": "keystone"}}
    assert mod.validate_present(sections) == {
        "DEFAULT": {"debug": "True", "workers": "4"},
        "paste_deploy": {"flavor": "keystone"},
    }


@pytest.mark.parametrize("sections", [None, ["DEFAULT"], {"DEFAULT": ["debug"]}])
def test_validate_present_refuses_non_mappings(sections):
    with pytest.raises(SaltInvocationError, match="mapping"):
        mod.validate_present(sections)


def test_validate_absent_accepts_a_single_key_name():
    assert mod.validate_absent({"DEFAULT": "verbose", "database": ("a", "b")}) == {
        "DEFAULT": ["verbose"],
        "database": ["a", "b"],
    }


@pytest.mark.parametrize("sections", [None, {"DEFAULT": {"verbose": 1}}, {"DEFAULT": 5}])
def test_validate_absent_refuses_non_lists(sections):
    with pytest.raises(SaltInvocationError):
        mod.validate_absent(sections)


@pytest.mark.parametrize(
    ("mode", "text"),
    [("0640", "0640"), ("640", "0640"), (640, "0640"), ("0o640", "0640"), ("00644", "0644")],
)
def test_normalize_mode_reads_modes_like_file_managed(mode, text):
    assert ini_file.normalize_mode(mode) == text


@pytest.mark.parametrize("mode", ["rw-r-----", "0999", "12345", "abc"])
def test_normalize_mode_refuses_non_octal(mode):
    with pytest.raises(SaltInvocationError, match="octal"):
        ini_file.normalize_mode(mode)
