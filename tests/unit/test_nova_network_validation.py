"""nova_network's checks made before any call, and how an existing network is compared."""

from unittest.mock import MagicMock

import pytest

from _states import nova_network
from _utils import state_return

GOOD = {
    "name": "demo-net",
    "cidr": "203.0.113.24/29",
    "bridge": "br100",
    "bridge_interface": "em1",
    "multi_host": True,
    "gateway": None,
    "dns1": None,
    "dns2": None,
}


def problems(**changed):
    return nova_network.validate(**{**GOOD, **changed})


def test_runbooks_demo_network_is_valid():
    assert problems() == []


@pytest.mark.parametrize(
    ("changed", "words"),
    [
        ({"cidr": "203.0.113.300/29"}, "is not an IPv4 network"),
        ({"cidr": "203.0.113.25/29"}, "is not an IPv4 network"),  # host bits set
        ({"cidr": "203.0.113.24/31"}, "holds no host address besides the gateway"),
        ({"cidr": "203.0.113.24/32"}, "holds no host address besides the gateway"),
        ({"gateway": "203.0.113.40"}, "is not a host address of 203.0.113.24/29"),
        ({"gateway": "203.0.113.31"}, "is not a host address"),  # the broadcast address
        ({"gateway": "gw"}, "is not an IPv4 address"),
        ({"bridge": "a-bridge-name-of-16"}, "bridge 'a-bridge-name-of-16' is not a valid Linux"),
        ({"bridge": "br/100"}, "is not a valid Linux interface name"),
        ({"bridge_interface": "em 1"}, "bridge_interface 'em 1' is not a valid Linux"),
        ({"bridge_interface": ".."}, "is not a valid Linux interface name"),
        ({"multi_host": "True"}, "multi_host must be true or false, not 'True' (str)"),
        ({"multi_host": 1}, "multi_host must be true or false, not 1 (int)"),
        ({"dns1": "dns.example"}, "dns1 'dns.example' is not an IP address"),
        ({"name": ""}, "the label (name) must be a non-empty string"),
    ],
)
def test_invalid_argument_is_named(changed, words):
    found = problems(**changed)
    assert len(found) == 1, found
    assert words in found[0]


def test_slash_30_has_the_gateway_and_one_host():
    assert problems(cidr="203.0.113.24/30") == []


def test_fifteen_character_bridge_name_is_valid():
    assert problems(bridge="b" * 15) == []


def test_invalid_arguments_fail_before_any_call(monkeypatch):
    salt = MagicMock()
    monkeypatch.setattr(nova_network, "__salt__", salt, raising=False)
    monkeypatch.setattr(nova_network, "__opts__", {"test": False}, raising=False)
    monkeypatch.setattr(
        nova_network,
        "__utils__",
        {f"state_return.{n}": getattr(state_return, n) for n in ("start", "invalid", "present")},
        raising=False,
    )
    ret = nova_network.present(name="demo-net", cidr="203.0.113.24/29", multi_host="True")
    assert ret["result"] is False
    assert ret["comment"].startswith("Network 'demo-net': multi_host must be true or false")
    assert salt.mock_calls == []


@pytest.mark.parametrize(
    ("current", "wanted", "diff"),
    [
        ({"cidr": "203.0.113.24/29"}, {"cidr": "203.0.113.24/29"}, {}),
        ({"cidr": "203.0.113.24/29", "gateway": "203.0.113.25"}, {"gateway": None}, {}),
        ({"multi_host": True}, {"multi_host": False}, {"multi_host": (True, False)}),
        ({"bridge": "br100"}, {"bridge": "br101"}, {"bridge": ("br100", "br101")}),
        (
            {"cidr": "203.0.113.24/29"},
            {"cidr": "203.0.113.32/29"},
            {"cidr": ("203.0.113.24/29", "203.0.113.32/29")},
        ),
        ({"dns1": "8.8.8.8"}, {"dns1": "8.8.8.8"}, {}),
    ],
)
def test_only_given_fields_that_differ_are_conflicts(current, wanted, diff):
    assert nova_network.differences(current, wanted) == diff
