"""
What salt/orch/rotate.sls compiles to on the master (`salt-run state.orchestrate_show_sls`,
no daemons): for each kind of secret the steps in the order that keeps the cloud working, each
on exactly the nodes whose role carries the secret (pillar/secrets/catalog.yaml), and one
failing step instead of a run for an unknown, missing or refused secret.
"""

import itertools
import json

import pytest
import yaml

from tests.conftest import REPO
from tests.functional.test_compute_highstate import REDHAT, checkout, salt_call  # noqa: F401
from tests.functional.test_orch_render import compiled, config_dir  # noqa: F401 (fixture)

HEAD = ["cn43.internal"]
COMPUTES = ["cn44.internal", "cn45.internal", "cn46.internal", "cn47.internal"]
CATALOG = yaml.safe_load((REPO / "pillar" / "secrets" / "catalog.yaml").read_text())
PLAN = yaml.safe_load((REPO / "salt" / "rotate" / "plan.yaml").read_text())


def rotate(config_dir, secret, nodes=None):
    pillar = {"rotate": {"secret": secret}} if secret is not None else None
    return compiled(config_dir, pillar, nodes, sls="orch.rotate")


def chain(steps):
    """[(id, targets, sls)] of the salt.state steps, checking each requires the one before."""
    ordered = [(sid, s) for sid, s in steps.items() if s["fun"] == "salt.state"]
    for (before, _), (_, step) in itertools.pairwise(ordered):
        assert step["require"] == [{"salt": before}]
    assert "require" not in ordered[0][1]
    return [(sid, s["tgt"], s["sls"]) for sid, s in ordered]


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        (
            "keystone_dbpass",
            [
                ("account-changed", HEAD, ["rotate.account"]),
                ("config-head-written", HEAD, ["keystone.config.file"]),
                ("services-head-restarted", HEAD, ["rotate.restarted"]),
                ("verified", HEAD, ["rotate.verified"]),
            ],
        ),
        (
            "nova_dbpass",
            [
                ("account-changed", HEAD, ["rotate.account"]),
                ("config-head-written", HEAD, ["nova.config.file"]),
                ("config-compute-written", COMPUTES, ["nova.config.file"]),
                ("services-head-restarted", HEAD, ["rotate.restarted"]),
                ("services-compute-restarted", COMPUTES, ["rotate.restarted"]),
                ("verified", HEAD, ["rotate.verified"]),
            ],
        ),
        (
            "glance_pass",
            [
                ("account-changed", HEAD, ["rotate.account"]),
                ("config-head-written", HEAD, ["glance.config.file"]),
                ("services-head-restarted", HEAD, ["rotate.restarted"]),
                ("verified", HEAD, ["rotate.verified"]),
            ],
        ),
        (
            "admin_pass",
            [
                ("account-changed", HEAD, ["rotate.account"]),
                ("config-head-written", HEAD, ["client.config.file"]),
                ("verified", HEAD, ["rotate.verified"]),
            ],
        ),
        (
            "mysql_root_password",
            [
                ("account-changed", HEAD, ["rotate.account"]),
                ("verified", HEAD, ["rotate.verified"]),
            ],
        ),
    ],
    ids=["database", "database-on-computes", "keystone", "keystone-no-service", "mariadb-root"],
)
def test_steps_go_account_config_restart_check_on_the_nodes_of_the_secrets_roles(
    config_dir,
    secret,
    expected,
):
    steps = rotate(config_dir, secret)
    assert chain(steps) == [(f"rotate-{secret}-{step}", t, sls) for step, t, sls in expected]
    for step in steps.values():
        if step["fun"] == "salt.state":
            assert step["tgt_type"] == "list" and step["expect_minions"] is True
            assert step["pillar"] == {"rotate": {"secret": secret}}
    stopped = steps[f"rotate-{secret}-stopped"]
    assert list(steps)[-1] == f"rotate-{secret}-stopped"
    assert stopped["fun"] == "hltcloud.stopped"
    assert stopped["onfail"] == [{"salt": sid} for sid, _, _ in chain(steps)]
    assert stopped["steps"] == [sid for sid, _, _ in chain(steps)]
    assert len(stopped["done"]) == len(stopped["steps"])
    assert f'orch.rotate pillar=\'{{"rotate": {{"secret": "{secret}"}}}}\'' in stopped["finish"]
    assert "pillar/secrets.yaml.previous" in stopped["rollback"]


def test_a_secret_of_the_head_alone_touches_no_compute_node(config_dir):
    for secret, spec in CATALOG.items():
        if spec["roles"] == ["head"] and "refused" not in PLAN[secret]:
            targets = {t for _, tgt, _ in chain(rotate(config_dir, secret)) for t in tgt}
            assert targets == set(HEAD), secret


def test_the_plan_covers_every_secret_of_the_catalog_and_only_its_roles():
    assert set(PLAN) == set(CATALOG)
    for secret, spec in PLAN.items():
        for key in ("config", "restart"):
            assert set(spec.get(key) or {}) <= set(CATALOG[secret]["roles"]), (secret, key)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("nova_passwd", 'pillar rotate:secret is "nova_passwd"; the secrets are admin_pass, '),
        (None, "pillar rotate:secret is null; the secrets are "),
        ("admin_token", "admin_token is not rotated by orch.rotate"),
    ],
    ids=["unknown", "missing", "refused"],
)
def test_unknown_missing_or_refused_secret_is_one_failing_step(
    config_dir,
    secret,
    message,
):
    steps = rotate(config_dir, secret)
    assert list(steps) == ["rotate-described"]
    step = steps["rotate-described"]
    assert step["fun"] == "hltcloud.failed"
    assert message in step["comment"]
    if secret != "admin_token":
        for name in CATALOG:
            assert name in step["comment"]


def show_step(checkout, node, sls, secret, grains):
    """The highstate data of one step's SLS on ``node`` (masterless, Fedora 19 grains)."""
    pillar = json.dumps({"rotate": {"secret": secret}})
    code, high = salt_call(
        checkout, node, "state.show_sls", sls, f"pillar={pillar}", grains={**REDHAT, **grains}
    )
    assert code == 0 and isinstance(high, dict), high
    return high


@pytest.mark.parametrize(
    ("node", "grains", "restarted"),
    [
        (
            "cn43.internal",
            {"role": "head"},
            [
                "openstack-nova-api",
                "openstack-nova-cert",
                "openstack-nova-conductor",
                "openstack-nova-consoleauth",
                "openstack-nova-novncproxy",
                "openstack-nova-scheduler",
            ],
        ),
        (
            "cn44.internal",
            {"role": "compute"},
            [
                "openstack-nova-compute",
                "openstack-nova-metadata-api",
                "openstack-nova-network",
            ],
        ),
        ("cn44.internal", {"role": "compute", "hltcloud_drained": True}, []),
    ],
    ids=["head", "compute", "compute-drained"],
)
def test_restart_step_restarts_each_service_reading_nova_conf_unless_drained(
    checkout,
    node,
    grains,
    restarted,
):
    high = show_step(checkout, node, "rotate.restarted", "nova_dbpass", grains)
    names = sorted(
        next(a["name"] for a in body["service"] if isinstance(a, dict) and "name" in a)
        for body in high.values()
        if "service" in body
    )
    assert names == restarted
    for sid, body in high.items():
        if "service" in body:
            assert "running" in body["service"]
            (watch,) = [a["watch"] for a in body["service"] if isinstance(a, dict) and "watch" in a]
            assert watch == [{"test": sid.replace("-restarted", "-restart-requested")}]
    if not restarted:
        (note,) = [body["test"] for body in high.values()]
        assert "drained by the kill switch" in json.dumps(note)


def test_steps_of_an_unknown_secret_on_a_node_fail_and_change_nothing(checkout):
    for sls in ("rotate.account", "rotate.restarted", "rotate.verified"):
        high = show_step(checkout, "cn43.internal", sls, "nova_passwd", {"role": "head"})
        (body,) = high.values()
        assert "failed" in body["hltcloud"]
        (comment,) = [
            a["comment"] for a in body["hltcloud"] if isinstance(a, dict) and "comment" in a
        ]
        assert 'pillar rotate:secret is "nova_passwd", not one of admin_pass,' in comment


def test_a_nova_database_user_override_moves_the_rotation_account_and_its_check(checkout):
    # parameters nova:db:user is the database user nova.conf and the grant use; the
    # rotation's account and login check follow it (plan.yaml names the service, not
    # the user: before, an override left orch.rotate setting the password of user nova).
    lookup = {"hltcloud": {"lookup": {"nova": {"db": {"user": "nova_ops"}}}}}
    for sls, fun in (("rotate.account", "mysql_user"), ("rotate.verified", "mysql_accounts")):
        pillar = json.dumps({"rotate": {"secret": "nova_dbpass"}, **lookup})
        code, high = salt_call(
            checkout,
            "cn43.internal",
            "state.show_sls",
            sls,
            f"pillar={pillar}",
            grains={**REDHAT, "role": "head"},
        )
        assert code == 0 and isinstance(high, dict), high
        names = {
            a["name"]
            for body in high.values()
            if fun in body
            for a in body[fun]
            if isinstance(a, dict) and "name" in a
        }
        assert names == {"nova_ops"}, (sls, high)
