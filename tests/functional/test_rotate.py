"""
orch.rotate's steps on the real MariaDB and Keystone of this machine (the head of
tests/functional/test_head_keystone.py: the keystone formula's keystone.conf and database, the
catalog converged on the Keystone served from that file). A secret is rotated as on the master:
a new value in the pillar, then the steps of ``salt-run state.orchestrate orch.rotate`` in the
order the master compiles them (``state.orchestrate_show_sls``, tests/functional/
test_orch_render.py's master config), each step's SLS applied to this minion with the step's
pillar. The orchestration itself needs a master and a minion per node; here the head's steps
run through Salt's state system in-process, one after the other, as the orchestration's
``require`` chain runs them.

Keystone is served by the test (``keystone:service: null``), so the restart step says the
service is run by other means; the test then restarts its Keystone, as ``service.running``
would restart openstack-keystone. Glance's files are written under a temp dir
(``glance:pkgs: []``, its daemons' services null: no Glance runs; its file is what is checked).
"""

import configparser
import copy
import secrets

import pytest

from tests.functional.test_head_keystone import (  # noqa: F401 (fixtures)
    apply,
    head_run,
    keystone_dir,
    pillar,
    served,
    states_root,
)
from tests.functional.test_orch_render import compiled, config_dir  # noqa: F401 (fixture)
from tests.support.checkout import head_minion_opts
from tests.support.mariadb import mariadb_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minion_opts(tmp_path_factory, states_root):
    # the head: its role picks what restarts
    return head_minion_opts(tmp_path_factory.mktemp("rotate-minion"), states_root, role="head")


@pytest.fixture(scope="module")
def cloud(served, loaders, pillar, mariadb_server, tmp_path_factory):
    """The head converged with the first values: keystone.conf, database, catalog, Glance's
    files. Yields the pillar the rotations change (secrets and the keystone catalog)."""
    files = tmp_path_factory.mktemp("rotate-glance")
    current = copy.deepcopy(pillar)
    lookup = current["hltcloud"]["lookup"]
    lookup["mariadb"]["port"] = mariadb_server.port
    lookup["glance"] = {
        "pkgs": [],
        "daemons": {"api": {"conf": str(files / "glance-api.conf"), "service": None}},
        "conf": {"user": "root", "group": "root"},
        "images": {"dir": str(files / "images"), "user": "root", "group": "root"},
    }
    results = apply(loaders, current, "hltcloud_test.keystone_all")
    assert [(r.id, r.comment) for r in results if r.result is not True] == []
    results = apply(loaders, current, "glance.config.file")
    assert [(r.id, r.comment) for r in results if r.result is not True] == []
    return current


def rotated(current, secret):
    """``current`` with a new value of ``secret``, where pillar/keystone.sls puts it too."""
    new = copy.deepcopy(current)
    value = secrets.token_hex(10)
    new["secrets"][secret] = value
    catalog = new["keystone"]
    if secret == "glance_pass":
        catalog["services"]["glance"]["user"]["password"] = value
    return new, value


def orchestration_steps(config_dir, secret):
    """[(id, sls, pillar)] of the head's steps, in the order orch.rotate runs them."""
    steps = compiled(config_dir, {"rotate": {"secret": secret}}, sls="orch.rotate")
    ordered = [(sid, s) for sid, s in steps.items() if s["fun"] == "salt.state"]
    assert ordered and all(s["tgt"] == ["cn43.internal"] for _, s in ordered)
    return [(sid, s["sls"], s["pillar"]) for sid, s in ordered]


def run_steps(loaders, steps, new, on_restart=None):
    """Apply each step's SLS with its pillar; stop at the first failing one, as the
    orchestration's require chain does. Returns {step id: its state results}."""
    done = {}
    for sid, sls, step_pillar in steps:
        results = apply(loaders, {**new, **step_pillar}, ",".join(sls))
        done[sid] = results
        assert [(r.id, r.comment) for r in results if r.result is not True] == [], sid
        if sid.endswith("-restarted") and on_restart:
            on_restart()
    return done


def login(server, user, password):
    try:
        server.query("SELECT 1", user=user, password=password, tcp=True)
    except Exception as exc:  # the server's refusal, SQLError
        return str(exc)
    return True


def test_database_password_rotation_changes_user_file_and_keystone_still_serves(
    cloud,
    loaders,
    config_dir,
    mariadb_server,
    served,
):
    old = cloud["secrets"]["keystone_dbpass"]
    new, value = rotated(cloud, "keystone_dbpass")
    steps = orchestration_steps(config_dir, "keystone_dbpass")
    assert [sid for sid, _, _ in steps] == [
        "rotate-keystone_dbpass-account-changed",
        "rotate-keystone_dbpass-config-head-written",
        "rotate-keystone_dbpass-services-head-restarted",
        "rotate-keystone_dbpass-verified",
    ]

    def restart():
        # what service.running's restart does to openstack-keystone: it reads keystone.conf again
        served.stop()
        served.start()

    done = run_steps(loaders, steps, new, on_restart=restart)
    changed = {sid: {r.id for r in results if r.changes} for sid, results in done.items()}
    assert changed["rotate-keystone_dbpass-account-changed"] == {
        "mariadb-user-keystone-localhost-present",
        "mariadb-user-keystone-any-present",
    }
    assert changed["rotate-keystone_dbpass-config-head-written"] == {"keystone-config-file-managed"}
    restart_step = done["rotate-keystone_dbpass-services-head-restarted"]
    assert [r.id for r in restart_step] == ["rotate-keystone-service-restarted"]
    assert "keystone:service is null" in restart_step[0].name
    verified = {r.id: r.comment for r in done["rotate-keystone_dbpass-verified"]}
    assert set(verified) == {
        "rotate-database-login-socket-checked",
        "rotate-database-login-tcp-checked",
        "rotate-token-admin-checked",
    }
    assert "user 'admin' got a token" in verified["rotate-token-admin-checked"]

    assert login(mariadb_server, "keystone", value) is True
    assert "Access denied" in login(mariadb_server, "keystone", old)
    ini = configparser.RawConfigParser()
    ini.read(cloud["hltcloud"]["lookup"]["keystone"]["conf"]["path"])
    assert f"keystone:{value}@127.0.0.1:" in ini.get("database", "connection")
    ks = loaders.modules.keystone_v3
    auth = cloud["keystone"]["auth"]
    assert ks.token_check("admin", cloud["secrets"]["admin_pass"], auth=auth)["valid"]

    # the same steps again (finishing an already finished rotation) change nothing (on a
    # node whose Keystone has a unit, step 3 would restart it again, and only that)
    again = run_steps(loaders, steps, new, on_restart=restart)
    assert [(sid, r.id) for sid, results in again.items() for r in results if r.changes] == []
    cloud.update(new)


def test_keystone_password_rotation_changes_user_and_glance_conf_old_one_fails(
    cloud,
    loaders,
    config_dir,
):
    old = cloud["secrets"]["glance_pass"]
    new, value = rotated(cloud, "glance_pass")
    steps = orchestration_steps(config_dir, "glance_pass")
    done = run_steps(loaders, steps, new)
    changed = {sid: {r.id for r in results if r.changes} for sid, results in done.items()}
    assert changed["rotate-glance_pass-account-changed"] == {"keystone-user-glance-present"}
    assert changed["rotate-glance_pass-config-head-written"] == {"glance-config-api-file-managed"}
    verified = {r.id: r.comment for r in done["rotate-glance_pass-verified"]}
    assert (
        "user 'glance' got a token for project 'service'" in verified["rotate-token-glance-checked"]
    )

    ini = configparser.RawConfigParser()
    ini.read(new["hltcloud"]["lookup"]["glance"]["daemons"]["api"]["conf"])
    assert ini.get("keystone_authtoken", "admin_password") == value
    ks = loaders.modules.keystone_v3
    auth = cloud["keystone"]["auth"]
    assert ks.token_check("glance", value, project="service", auth=auth)["valid"]
    assert not ks.token_check("glance", old, project="service", auth=auth)["valid"]
    cloud.update(new)
