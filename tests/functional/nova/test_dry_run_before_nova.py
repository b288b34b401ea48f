"""
The first dry run of a head (`salt-run state.orchestrate orch.cloud test=True` on a new
cluster): its nova-api is not running yet, so the demo network and the first VM cannot be
asked for. Each renders one state saying what would be done (result None), as the
Keystone catalog does, instead of failing on a Nova that is not there; a real run, a
running nova-api or another Keystone than the head's own keep the real states.

Rendered through the real loaders (state.show_sls, state.sls in test mode); the nova-api
service is the init-script double of tests/support/firewall.py. Nothing
here talks to Keystone or Nova.
"""

import copy
import os
import pathlib
import subprocess

import pytest
import yaml

from tests.conftest import REPO
from tests.support.firewall import InitScript
from tests.support.localcluster import inventory
from tests.support.nova import PUBLIC_KEY

# sls, the state that stands for it, its real state module, what it says, its auth pillar
CASES = [
    ("nova.flat_network", "nova-flat-network-present", "nova_network", "network demo-net", "nova"),
    (
        "smoke.first_vm",
        "smoke-first-vm-server-present",
        "nova_server",
        "server demo-inst1",
        "smoke",
    ),
]


@pytest.fixture
def nova_api(tmp_path):
    """
    nova-api as the boot-service double of tests/support/firewall.py (InitScript):
    ``status`` answers "running" after ``start``, "not running" before and after ``stop``.
    """
    if os.geteuid() != 0:
        pytest.skip("writes an init script to /etc/init.d: needs root")
    if pathlib.Path("/run/systemd/system").is_dir():
        pytest.skip("systemd would not see a new /etc/init.d script without daemon-reload")
    service = InitScript(f"hlt-test-nova-api-{os.getpid()}", "true", tmp_path).install()
    yield service
    service.remove()


def set_running(service, running):
    subprocess.run([str(service.script), "start" if running else "stop"], check=True)


def head_pillar(api_service, auth_url=None, auth_of=None):
    """
    The head's pillar for both files. Keystone's URL is the computed one, except that
    ``auth_url`` is given in the ``auth_of`` file's credentials (``nova`` or ``smoke``).
    """
    cluster = inventory()
    flat_network = yaml.safe_load((REPO / "pillar" / "flat_network.yaml").read_text())
    # auth_url None, not left out: a pillar override is merged into earlier runs' pillar
    auth = {"username": "admin", "password": "secret", "project_name": "admin", "auth_url": None}
    nova, smoke = copy.deepcopy(auth), dict(auth, username="demo")
    if auth_of:
        {"nova": nova, "smoke": smoke}[auth_of]["auth_url"] = auth_url
    return {
        "cluster": {"head_fqdn": "cn43.internal", "interfaces": cluster["interfaces"]},
        "flat_network": flat_network,
        "nova": {"auth": nova},
        "smoke": {"first_vm": {"auth": smoke, "public_key": PUBLIC_KEY}},
        "hltcloud": {"lookup": {"nova": {"controller": {"services": {"api": api_service}}}}},
    }


def rendered(loaders, sls, pillar, test):
    """``{state id: state function}`` of ``sls`` as Salt compiles it."""
    high = loaders.modules.state.show_sls(sls, pillar=pillar, test=test)
    assert isinstance(high, dict), high
    return {
        sid: next(
            f"{k}.{f}"
            for k, v in body.items()
            if not k.startswith("__")
            for f in v
            if isinstance(f, str)
        )
        for sid, body in high.items()
    }


@pytest.mark.parametrize(("sls", "sid", "_module", "what", "other"), CASES)
def test_dry_run_before_nova_api_runs_is_one_state_saying_what_would_be_done(
    loaders, nova_api, sls, sid, _module, what, other
):
    # the other file's credentials naming another Keystone do not matter here
    other = {"nova": "smoke", "smoke": "nova"}[other]
    pillar = head_pillar(nova_api.name, "http://127.0.0.1:5000/v3", auth_of=other)
    results = list(loaders.modules.state.sls(sls, pillar=pillar, test=True))
    assert [(r.id, r.result) for r in results] == [(sid, None)]
    assert what in results[0].comment
    assert f"({nova_api.name} is not running yet: checked once it runs)" in results[0].comment


@pytest.mark.parametrize(("sls", "sid", "module", "_what", "own_auth"), CASES)
@pytest.mark.parametrize(
    ("test", "running", "auth_url"),
    [
        (False, False, None),  # a real run asks Nova (and waits for it)
        (True, True, None),  # nova-api runs: the dry run asks it
        (True, False, "http://127.0.0.1:5000/v3"),  # not the head's own Keystone
    ],
    ids=["real-run", "nova-api-running", "other-keystone"],
)
def test_otherwise_the_real_states_are_rendered(
    loaders, nova_api, sls, sid, module, _what, own_auth, test, running, auth_url
):
    set_running(nova_api, running)
    # another Keystone: given in this file's own credentials only
    pillar = head_pillar(nova_api.name, auth_url, auth_of=own_auth if auth_url else None)
    states = rendered(loaders, sls, pillar, test)
    assert states[sid] == f"{module}.present"
