"""
Glance's image files in the backup (_modules/hltcloud_backup.py) against a real Glance 33
behind a real Keystone (this folder's conftest): images uploaded through the Image API, a
run copies the files of Glance's filesystem store with their md5, the copies match the
checksums Glance recorded (``GET /v2/images``), a file taken from the store is missed by
the check, and put back with docs/operations.md's ``install`` line it passes again.

The check logs in as the image states do (salt/glance/images.jinja: the admin user on
``cluster:head_fqdn``), here the loopback Keystone's admin.
"""

import os
import stat
import subprocess

import pytest

from tests.support.backup import backup_lookup, readme_command, use_pillar

pytestmark = pytest.mark.slow


@pytest.fixture
def images(loaders, glance, auth, qcow2):
    """Two active images: {id: md5}; deleted afterwards."""
    made = {}
    for size in ("1M", "2M"):
        path, md5, _ = qcow2(size)
        image = loaders.modules.glance_image.image_create(
            f"backup-test-{size}", "qcow2", "bare", auth=auth
        )
        loaders.modules.glance_image.image_upload(image["id"], path, auth=auth)
        made[image["id"]] = md5
    try:
        yield made
    finally:
        for image_id in made:
            loaders.modules.glance_image.image_delete(image_id, auth=auth)


@pytest.fixture
def backup_pillar(loaders, keystone, glance, tmp_path):
    """No database (the MariaDB side is test_backup.py's); the store is the test Glance's."""
    pillar = {
        "cluster": {"head_fqdn": keystone.host},
        "secrets": {"admin_pass": keystone.admin_password},
        "hltcloud": {
            "lookup": {
                "backup": backup_lookup(tmp_path, databases=[]),
                "glance": {"images": {"dir": str(glance.images_dir)}},
                "openstack": {"apis": {"identity": {"admin_port": keystone.port}}},
            }
        },
    }
    os.mkdir(pillar["hltcloud"]["lookup"]["backup"]["dir"], 0o700)
    use_pillar(loaders, pillar)
    return pillar


def test_a_run_copies_the_image_files_with_glances_checksums(loaders, images, backup_pillar):
    result = loaders.modules.hltcloud.backup()
    folder = os.path.join(result["run"], "images")
    assert result["images"]["md5"] == images
    for image_id in images:
        info = os.stat(os.path.join(folder, image_id))
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o600)
    proc = subprocess.run(
        ["md5sum", "-c", "MD5SUMS"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checked = loaders.modules.hltcloud_backup.check_images(folder)
    assert checked == {"ok": True, "checked": sorted(images), "missing": [], "mismatch": []}


def test_an_image_file_restored_with_the_readme_command_passes_the_check(
    loaders, glance, images, backup_pillar
):
    run = loaders.modules.hltcloud.backup()["run"]
    lost = sorted(images)[0]
    os.remove(glance.images_dir / lost)
    missed = loaders.modules.hltcloud_backup.check_images()
    assert (missed["ok"], missed["missing"]) == (False, [lost])

    command = (
        readme_command("install -o glance")
        .replace("-o glance -g glance", "-o root -g root")  # the test Glance runs as root
        .replace("/var/lib/glance/images/", f"{glance.images_dir}/")
    )
    proc = subprocess.run(
        ["sh", "-c", command],
        env={**os.environ, "RUN": run, "IMAGE": lost},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    checked = loaders.modules.hltcloud_backup.check_images()
    assert checked == {"ok": True, "checked": sorted(images), "missing": [], "mismatch": []}


def test_a_changed_image_file_is_a_mismatch(loaders, glance, images, backup_pillar):
    changed = sorted(images)[-1]
    with open(glance.images_dir / changed, "ab") as image:
        image.write(b"\0")
    checked = loaders.modules.hltcloud_backup.check_images()
    assert (checked["ok"], checked["mismatch"]) == (False, [changed])
