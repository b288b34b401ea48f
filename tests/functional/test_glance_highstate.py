"""
cn43's compiled highstate with RedHat grains, checked against the runbook's "Glance: the
image service": masterless `salt-call --id cn43.internal state.show_highstate` in a copy of
the checkout with its own secrets. Only compiling happens with those grains, no state runs.
"""

import json

import pytest
import yaml

from tests.functional.test_compute_highstate import args_of, salt_call
from tests.support.checkout import checkout_with_secrets

HEAD = "cn43.internal"
REDHAT = {"os_family": "RedHat"}
CONF_IDS = {
    "/etc/glance/glance-api.conf": "glance-config-api-file-managed",
    "/etc/glance/glance-registry.conf": "glance-config-registry-file-managed",
}


def runbook_glance_conf(head, glance_dbpass, glance_pass):
    """Both files' settings, as the runbook's openstack-config commands set them."""
    return {
        "database": {"connection": f"mysql://glance:{glance_dbpass}@localhost/glance"},
        "keystone_authtoken": {
            "auth_uri": f"http://{head}:5000",
            "auth_host": head,
            "auth_port": 35357,
            "auth_protocol": "http",
            "admin_tenant_name": "service",
            "admin_user": "glance",
            "admin_password": glance_pass,
        },
        "paste_deploy": {"flavor": "keystone"},
    }


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return checkout_with_secrets(tmp_path_factory.mktemp("glance-checkout") / "hlt-cloud")


@pytest.fixture(scope="module")
def secrets(checkout):
    return yaml.safe_load((checkout / "pillar" / "secrets.yaml").read_text())


def highstate(checkout, grains=REDHAT, *args):
    code, high = salt_call(checkout, HEAD, "state.show_highstate", *args, grains=grains)
    assert code == 0 and isinstance(high, dict), high
    return high


@pytest.fixture(scope="module")
def compiled(checkout):
    return highstate(checkout)


@pytest.mark.parametrize("path", sorted(CONF_IDS))
def test_each_glance_file_is_one_state_with_exactly_the_runbooks_settings(compiled, secrets, path):
    fun, args = args_of(compiled, CONF_IDS[path])
    assert fun == "openstack_ini.present"
    assert (args["name"], args["user"], args["group"], args["mode"]) == (
        path,
        "root",
        "glance",
        "0640",
    )
    assert args["sections"] == runbook_glance_conf(
        HEAD, secrets["glance_dbpass"], secrets["glance_pass"]
    )


def test_packages_are_the_runbooks_after_the_rdo_repository(compiled):
    fun, args = args_of(compiled, "glance-packages-installed")
    assert fun == "pkg.installed"
    assert args["pkgs"] == ["openstack-glance", "python-glanceclient"]
    assert {"sls": "openstack.repo"} in args["require"]


def test_db_sync_runs_as_glance_only_on_changes_after_config_and_database(compiled):
    fun, args = args_of(compiled, "glance-db-synced")
    assert fun == "cmd.run"
    assert (args["name"], args["runas"], args["shell"]) == (
        "glance-manage db_sync",
        "glance",
        "/bin/sh",
    )
    assert args["onchanges"] == [
        {"sls": "glance.package.install"},
        {"sls": "glance.config.file"},
        {"sls": "glance.db.database"},
    ]
    assert {"sls": "glance.config.file"} in args["require"]
    assert {"sls": "glance.db.database"} in args["require"]
    # the database states come from the mariadb formula's service_database("glance")
    db_states = [
        sid
        for sid, body in compiled.items()
        if not sid.startswith("__") and body["__sls__"] == "glance.db.database"
    ]
    assert db_states, "glance.db.database rendered no states"


def test_services_run_enabled_after_db_sync_and_watch_their_own_file(compiled):
    for daemon, service in (
        ("api", "openstack-glance-api"),
        ("registry", "openstack-glance-registry"),
    ):
        fun, args = args_of(compiled, f"glance-{daemon}-service-running")
        assert fun == "service.running"
        assert args["name"] == service
        assert args["enable"] is True
        assert args["require"] == [{"sls": "glance.db.sync"}]
        assert args["watch"] == [{"id": f"glance-config-{daemon}-file-managed"}]


def test_order_is_package_config_db_sync_services_image(compiled):
    """Definition order (Salt's `order`, what runs first without requisites) and requisites."""
    chain = [
        "glance-packages-installed",
        "glance-config-api-file-managed",
        "glance-config-registry-file-managed",
        "glance-db-synced",
        "glance-api-service-running",
        "glance-registry-service-running",
        "glance-image-cirros-present",
    ]
    position = [args_of(compiled, sid)[1]["order"] for sid in chain]
    assert position == sorted(position)
    for sid in chain[1:3]:
        assert args_of(compiled, sid)[1]["require"] == [{"sls": "glance.package.install"}]


def test_images_directory_is_the_default_and_not_written_to_the_config(compiled):
    fun, args = args_of(compiled, "glance-images-directory-managed")
    assert fun == "file.directory"
    assert (args["name"], args["user"], args["group"]) == (
        "/var/lib/glance/images",
        "glance",
        "glance",
    )
    sections = args_of(compiled, "glance-config-api-file-managed")[1]["sections"]
    assert "DEFAULT" not in sections


def test_another_images_directory_is_made_and_given_to_glance_api(checkout):
    lookup = {"hltcloud": {"lookup": {"glance": {"images": {"dir": "/srv/glance/images"}}}}}
    high = highstate(checkout, REDHAT, f"pillar={json.dumps(lookup)}")
    assert args_of(high, "glance-images-directory-managed")[1]["name"] == "/srv/glance/images"
    api = args_of(high, "glance-config-api-file-managed")[1]["sections"]
    assert api["DEFAULT"] == {"filesystem_store_datadir": "/srv/glance/images"}
    registry = args_of(high, "glance-config-registry-file-managed")[1]["sections"]
    assert "DEFAULT" not in registry


def test_cirros_is_downloaded_once_checked_and_registered_as_admin(compiled, secrets):
    assert not [
        sid
        for sid, body in compiled.items()
        if not sid.startswith("__") and body["__sls__"] == "glance.image" and "file" in body
    ]
    fun, image = args_of(compiled, "glance-image-cirros-present")
    assert fun == "glance_image.present"
    assert image["name"] == "CirrOS Test Image"
    assert image["source"] == (
        "http://cdn.download.cirros-cloud.net/0.3.2/cirros-0.3.2-x86_64-disk.img"
    )
    assert image["source_hash"] == "md5=64d7c1cd2b6f60c92c14662941cb7913"
    assert image["cache_dir"] == "/var/cache/hltcloud/images"
    # the download is bounded: the runbook's file size, a short timeout, a deadline
    assert (image["size"], image["timeout"], image["deadline"]) == (13167616, 10, 300)
    assert (image["disk_format"], image["container_format"], image["visibility"]) == (
        "qcow2",
        "bare",
        "public",
    )
    assert image["auth"] == {
        "auth_url": f"http://{HEAD}:35357/v3",
        "username": "admin",
        "password": secrets["admin_pass"],
        "project_name": "admin",
    }
    assert {"sls": "glance.service.running"} in image["require"]
    assert {"sls": "keystone.catalog"} in image["require"]


def test_glance_identity_comes_once_from_the_keystone_catalog(compiled):
    ids = [sid for sid in compiled if "glance" in sid and sid.startswith("keystone-")]
    assert sorted(ids) == [
        "keystone-endpoint-glance-admin-present",
        "keystone-endpoint-glance-internal-present",
        "keystone-endpoint-glance-public-present",
        "keystone-grant-glance-service-admin-present",
        "keystone-service-glance-present",
        "keystone-user-glance-present",
    ]
    assert {compiled[sid]["__sls__"] for sid in ids} == {"keystone.catalog"}


def test_missing_secret_fails_clearly_instead_of_writing_none(checkout):
    override = json.dumps({"secrets": {"glance_pass": ""}})
    high = highstate(checkout, REDHAT, f"pillar={override}")
    for sid in CONF_IDS.values():
        fun, args = args_of(high, sid)
        assert fun == "hltcloud.failed"
        assert "pillar secrets:glance_pass is missing on cn43.internal" in args["comment"]
    assert "None" not in json.dumps({sid: high[sid] for sid in CONF_IDS.values()})


def test_debian_test_host_has_no_registry(checkout):
    high = highstate(checkout, None)
    assert "glance-config-api-file-managed" in high
    assert "glance-config-registry-file-managed" not in high
    assert "glance-registry-service-running" not in high
