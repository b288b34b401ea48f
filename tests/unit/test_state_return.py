"""The one shape of the OpenStack states' returns (_utils/state_return.py)."""

from salt.exceptions import CommandExecutionError

from _utils import openstack_client, state_return


def test_a_service_not_up_in_a_dry_run_is_what_would_be_done_once_it_is():
    down = openstack_client.OpenStackUnavailable("Nova at http://x is not answering", "Nova")
    ret = state_return.error(state_return.start("n"), down, True, "Network 'n'", prefix=True)
    assert ret["result"] is None
    assert ret["comment"].startswith("Network 'n' would be created once Nova is up (not checked:")


def test_the_same_in_a_real_run_fails():
    down = openstack_client.OpenStackUnavailable("Glance at http://x is not answering", "Glance")
    ret = state_return.error(state_return.start("n"), down, False, "image 'n'", prefix=True)
    assert (ret["result"], ret["comment"]) == (False, f"image 'n': {down}")


def test_a_refusal_fails_a_dry_run_too():
    refused = openstack_client.OpenStackAuthError("Keystone at http://x refused (HTTP 401)")
    for exc in (refused, CommandExecutionError("no such role")):
        ret = state_return.error(state_return.start("n"), exc, True, "Role 'n'")
        assert (ret["result"], ret["comment"]) == (False, str(exc))


def test_secrets_named_by_the_state_never_reach_the_comment():
    exc = CommandExecutionError("user glance: password s3cr3t-pw refused")
    ret = state_return.error(state_return.start("glance"), exc, False, secrets=("s3cr3t-pw",))
    assert ret["comment"] == "user glance: password *** refused"


def test_a_dry_run_asks_once():
    config = {"auth_url": "http://127.0.0.1:1/v3", "token": "t0k3n", "retry_timeout": 60}
    assert openstack_client.resolve(config)["retry_timeout"] == 60
    assert openstack_client.resolve(config, dry_run=True)["retry_timeout"] == 0
