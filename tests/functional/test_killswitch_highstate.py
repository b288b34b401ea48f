"""
The lasting kill switch, compiled for a RedHat compute node (masterless `salt-call
state.show_sls` in a copy of the checkout, static grains as in test_compute_highstate.py):
compute.killswitch stops and disables the three services and sets the drained grain; while the
grain is true, `compute` (and so the startup highstate) renders the services' `clean` twins;
compute.resume removes the grain and starts them again. Runbook, "Recipes: Kill Switch".
"""

import pytest

from tests.functional.test_compute_highstate import (  # noqa: F401  (the checkout fixture)
    args_of,
    checkout,
    node_grains,
    salt_call,
)

NODE = "cn44.internal"
GRAIN = "hltcloud_drained"
# The runbook's kill switch, by the RedHat names.
KILLED = {"openstack-nova-compute", "openstack-nova-network", "openstack-nova-metadata-api"}
SUPPORT = {"libvirtd", "dbus"}


def compile_sls(checkout, sls, **grains):
    code, high = salt_call(
        checkout, NODE, "state.show_sls", sls, grains={**node_grains(NODE), **grains}
    )
    assert code == 0 and isinstance(high, dict), high
    return high


def services(high):
    """{service name: (function, enable)} of every service state in ``high``."""
    found = {}
    for state_id, body in high.items():
        if "service" in body:
            fun, args = args_of(high, state_id)
            found[args["name"]] = (fun, args.get("enable"))
    return found


@pytest.fixture(scope="module")
def killswitch(checkout):
    return compile_sls(checkout, "compute.killswitch")


def test_killswitch_stops_and_disables_the_three_services(killswitch):
    assert services(killswitch) == dict.fromkeys(KILLED, ("service.dead", False))


def test_killswitch_sets_the_drained_grain_before_anything_else(killswitch):
    fun, args = args_of(killswitch, "compute-killswitch-drained-grain-present")
    assert fun == "grains.present"
    assert (args["name"], args["value"], args["order"]) == (GRAIN, True, 1)


@pytest.mark.parametrize("drained", [True, "true"], ids=["bool", "string"])
def test_drained_node_compute_keeps_the_services_stopped_and_disabled(checkout, drained):
    high = compile_sls(checkout, "compute", **{GRAIN: drained})
    found = services(high)
    assert {name: found[name] for name in KILLED} == dict.fromkeys(KILLED, ("service.dead", False))
    # libvirtd and dbus stay: running guests and the node's other services use them.
    assert {name: found[name] for name in SUPPORT} == dict.fromkeys(
        SUPPORT, ("service.running", True)
    )
    assert not [sid for sid in high if sid.startswith("nova-") and sid.endswith("-service-running")]
    # The mark is visible in the compiled highstate.
    for state_id in ("nova-compute-service-drained", "nova-network-service-drained"):
        fun, args = args_of(high, state_id)
        assert fun == "test.succeed_without_changes"
        assert GRAIN in args["name"] and "compute.resume" in args["name"]


@pytest.mark.parametrize(
    "grains", [{}, {GRAIN: False}, {GRAIN: "false"}], ids=["absent", "false", "string-false"]
)
def test_undrained_node_compute_runs_and_enables_the_services(checkout, grains):
    high = compile_sls(checkout, "compute", **grains)
    found = services(high)
    assert {name: found[name] for name in KILLED | SUPPORT} == dict.fromkeys(
        KILLED | SUPPORT, ("service.running", True)
    )
    assert not [sid for sid in high if sid.endswith("-drained")]


def test_resume_removes_the_grain_then_starts_and_enables_the_services(checkout):
    # Compiled while the node is still drained: resume must not render the clean twins.
    high = compile_sls(checkout, "compute.resume", **{GRAIN: True})
    fun, args = args_of(high, "compute-resume-drained-grain-absent")
    assert fun == "grains.absent"
    assert (args["name"], args["destructive"]) == (GRAIN, True)
    assert services(high) == dict.fromkeys(KILLED, ("service.running", True))
    for state_id, body in high.items():
        if "service" in body:
            assert {"grains": "compute-resume-drained-grain-absent"} in args_of(high, state_id)[1][
                "require"
            ]
