"""
The backup's copy of Glance's store (_modules/hltcloud_backup.py ``_copy_images``) takes
only regular files, as they were when opened: the store is the glance user's, who can swap
a scanned file for a link to a root-only file or for a fifo before the copy opens it.
"""

import hashlib
import importlib.util
import os

import pytest

from tests.support.localcluster import REPO


@pytest.fixture
def backup():
    spec = importlib.util.spec_from_file_location(
        "backup_mod", REPO / "_modules/hltcloud_backup.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Swapped:
    """A scanned entry that was a regular file; by the time it is opened, it is not."""

    def __init__(self, path):
        self.path, self.name = str(path), path.name

    def is_file(self, follow_symlinks=True):  # the scan saw a file
        return True


def test_a_file_swapped_for_a_link_or_a_fifo_after_the_scan_is_not_copied(
    backup, tmp_path, monkeypatch
):
    store, target = tmp_path / "store", tmp_path / "images"
    store.mkdir()
    (store / "good").write_bytes(b"qcow2 data")
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret")
    (store / "linked").symlink_to(secret)
    os.mkfifo(store / "fifo")
    entries = [Swapped(store / name) for name in ("fifo", "good", "linked")]
    monkeypatch.setattr(backup.os, "scandir", lambda path: iter(entries))

    copied = backup._copy_images(str(store), str(target), 0o600)  # pylint: disable=protected-access

    assert copied["md5"] == {"good": hashlib.md5(b"qcow2 data").hexdigest()}
    assert sorted(os.listdir(target)) == ["MD5SUMS", "good"]
    assert "secret" not in (target / "MD5SUMS").read_text()
