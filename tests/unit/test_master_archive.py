"""
tools/master_archive.py (`make master-backup` / `make master-restore`) on real files: a master's
pki_dir with keys made by Salt, a checkout's secrets and inventory, the cache records; the
archive's mode, the refusals (an existing archive, secrets or keys that differ, members that
would write outside their place), and the modes a restore sets.
"""

import io
import json
import os
import stat
import tarfile

import pytest
import salt.config
import salt.crypt
import salt.utils.crypt

from tools import master_archive as archive

SECRETS = "nova_pass: 0123456789abcdef0123\n"
INVENTORY = "hltcloud_inventory:\n  domain: internal\n  nodes: {}\n"


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _keys(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        private, public = salt.crypt.gen_keys(2048)
        if name == "master":
            (folder / "master.pem").write_text(private)
            os.chmod(folder / "master.pem", 0o400)
            (folder / "master.pub").write_text(public)
        else:
            (folder / name).write_text(public)


def _master(root):
    """A checkout and a master configured with its pki_dir and cachedir under ``root``."""
    checkout = root / "checkout"
    (checkout / "pillar").mkdir(parents=True)
    (checkout / "etc" / "salt").mkdir(parents=True)
    (checkout / "etc" / "salt" / "master").write_text(
        f"root_dir: {root}\npki_dir: {root / 'pki'}\ncachedir: {root / 'cache'}\n"
    )
    return checkout


@pytest.fixture
def old(tmp_path):
    """The master to back up: secrets, inventory, its keys, two accepted, one pending, records."""
    checkout = _master(tmp_path / "old")
    (checkout / "pillar" / "secrets.yaml").write_text(SECRETS)
    (checkout / "etc" / "salt" / "cluster.conf").write_text(INVENTORY)
    (checkout / "pillar" / "demo-key.pub").write_text("ssh-rsa AAAA demo\n")
    pki = tmp_path / "old" / "pki"
    _keys(pki, "master")
    _keys(pki / "minions", "cn43.internal", "cn44.internal")
    _keys(pki / "minions_pre", "stranger")
    for empty in ("minions_rejected", "minions_denied"):
        (pki / empty).mkdir()
    records = tmp_path / "old" / "cache" / "hltcloud"
    records.mkdir(parents=True)
    (records / "status.json").write_text('{"cn44.internal": {"state": "configured"}}')
    (records / "rollout-cloud.json").write_text('{"batches": [12.5]}')
    (tmp_path / "old" / "cache" / "jobs").mkdir()
    (tmp_path / "old" / "cache" / "jobs" / "job.p").write_text("a job")
    return checkout


@pytest.fixture
def new(tmp_path):
    """A new checkout (its inventory as in git) and a master that never started."""
    checkout = _master(tmp_path / "new")
    (checkout / "etc" / "salt" / "cluster.conf").write_text(INVENTORY)
    return checkout


def _backup(checkout, target, force=False):
    return archive.backup(target, checkout=checkout, force=force)


def _restore(checkout, source, force=False):
    return archive.restore(source, checkout=checkout, force=force)


def _files(root):
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_backup_then_restore_gives_the_new_master_the_same_files_and_key(old, new, tmp_path):
    target = tmp_path / "master.tgz"
    _backup(old, target)
    done, finger = _restore(new, target)
    # the inventory is git's, as the old master's was
    assert dict(done).pop(new / "etc" / "salt" / "cluster.conf") == "unchanged"
    assert {what for path, what in done if path.name != "cluster.conf"} == {"restored"}
    assert _files(tmp_path / "new" / "pki") == _files(tmp_path / "old" / "pki")
    assert set(_files(tmp_path / "new" / "cache")) == {
        "hltcloud/status.json",
        "hltcloud/rollout-cloud.json",
    }
    assert _files(tmp_path / "new" / "cache") == {
        name: data
        for name, data in _files(tmp_path / "old" / "cache").items()
        if name.startswith("hltcloud/")
    }
    # Salt's job cache stays behind
    assert not (tmp_path / "new" / "cache" / "jobs").exists()
    assert (new / "pillar" / "secrets.yaml").read_text() == SECRETS
    assert (new / "pillar" / "demo-key.pub").read_text() == "ssh-rsa AAAA demo\n"
    # the fingerprint the nodes pinned on the old master
    assert finger == salt.utils.crypt.pem_finger(
        str(tmp_path / "old" / "pki" / "master.pub"), sum_type="sha256"
    )


def test_the_archive_is_0600_and_holds_no_job_cache(old, tmp_path):
    target = tmp_path / "master.tgz"
    umask = os.umask(0)
    try:
        _backup(old, target)
    finally:
        os.umask(umask)
    assert _mode(target) == 0o600
    with tarfile.open(target) as tar:
        names = tar.getnames()
    assert "hltcloud-master/checkout/pillar/secrets.yaml" in names
    assert "hltcloud-master/checkout/etc/salt/cluster.conf" in names
    assert "hltcloud-master/pki/minions/cn44.internal" in names
    assert "hltcloud-master/pki/minions_pre/stranger" in names
    assert "hltcloud-master/cache/status.json" in names
    assert not [name for name in names if "jobs" in name]
    # nothing but the archive in its folder (no temp file left)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.tgz", "old"]


def test_restore_sets_the_modes(old, new, tmp_path):
    target = tmp_path / "master.tgz"
    for path in (tmp_path / "old").rglob("*"):  # loose modes on the old master
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    _backup(old, target)
    _restore(new, target)
    pki, cache = tmp_path / "new" / "pki", tmp_path / "new" / "cache" / "hltcloud"
    assert _mode(new / "pillar" / "secrets.yaml") == 0o600
    assert _mode(new / "etc" / "salt" / "cluster.conf") == 0o644
    assert _mode(pki) == 0o700
    assert _mode(pki / "minions") == 0o700
    assert _mode(pki / "minions_denied") == 0o700
    assert _mode(pki / "master.pem") == 0o400
    assert _mode(pki / "master.pub") == 0o644
    assert _mode(pki / "minions" / "cn44.internal") == 0o644
    assert _mode(cache) == 0o700
    assert _mode(cache / "status.json") == 0o600


def test_a_second_restore_changes_nothing(old, new, tmp_path):
    target = tmp_path / "master.tgz"
    _backup(old, target)
    _restore(new, target)
    done, _ = _restore(new, target)
    assert {what for _, what in done} == {"unchanged"}


def test_backup_does_not_overwrite_an_archive_unless_forced(old, tmp_path):
    target = tmp_path / "master.tgz"
    target.write_text("an older archive")
    with pytest.raises(archive.ArchiveError, match="exists: not overwritten"):
        _backup(old, target)
    assert target.read_text() == "an older archive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.tgz", "old"]
    _backup(old, target, force=True)
    assert tarfile.is_tarfile(target)
    assert _mode(target) == 0o600


@pytest.mark.parametrize("missing", ["pillar/secrets.yaml", "master.pem"])
def test_backup_without_secrets_or_key_writes_nothing(old, tmp_path, missing):
    where = old if missing.startswith("pillar") else tmp_path / "old" / "pki"
    (where / missing).unlink()
    with pytest.raises(archive.ArchiveError, match="does not exist"):
        _backup(old, tmp_path / "master.tgz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


@pytest.mark.parametrize(
    "existing",
    ["pillar/secrets.yaml", "pki/master.pem", "pki/minions/cn44.internal"],
)
def test_restore_does_not_replace_secrets_or_keys_that_differ_unless_forced(
    old, new, tmp_path, existing
):
    target = tmp_path / "master.tgz"
    _backup(old, target)
    path = new / existing if existing.startswith("pillar") else tmp_path / "new" / existing
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("this master's own")
    with pytest.raises(archive.ArchiveError, match="differ"):
        _restore(new, target)
    assert path.read_text() == "this master's own"
    # nothing else written either
    assert not (tmp_path / "new" / "cache").exists()
    assert not (tmp_path / "new" / "pki" / "master.pub").exists()
    done, _ = _restore(new, target, force=True)
    assert (path, "replaced") in done
    assert path.read_bytes() != b"this master's own"


def test_restore_replaces_the_inventory_and_says_so(old, new, tmp_path):
    (old / "etc" / "salt" / "cluster.conf").write_text(INVENTORY + "# the site's nodes\n")
    target = tmp_path / "master.tgz"
    _backup(old, target)
    done, _ = _restore(new, target)
    assert (new / "etc" / "salt" / "cluster.conf", "replaced") in done
    assert (new / "etc" / "salt" / "cluster.conf").read_text().endswith("# the site's nodes\n")


def _crafted(path, bad):
    """A well-formed archive plus the member ``bad`` (a TarInfo and its data)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (
            ("MANIFEST.json", json.dumps({"format": archive.FORMAT}).encode()),
            ("checkout/pillar/secrets.yaml", SECRETS.encode()),
            ("pki/master.pem", b"private"),
            ("pki/master.pub", b"public"),
        ):
            info = tarfile.TarInfo(f"hltcloud-master/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info, data = bad
        tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def _member(name, kind=tarfile.REGTYPE, data=b"x", link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (_member("/etc/cron.d/evil"), "absolute"),
        (_member("hltcloud-master/pki/../../evil"), r"'\.\.'"),
        (_member("hltcloud-master/cache/../../evil"), r"'\.\.'"),
        (_member("../evil"), r"'\.\.'"),
        (_member("elsewhere/evil"), "not under"),
        (_member("hltcloud-master/etc/evil"), "not a place"),
        (_member("hltcloud-master/checkout/.git/hooks/post-checkout"), "not a file of"),
        (_member("hltcloud-master/pki/minions/evil", tarfile.SYMTYPE, link="/etc"), "link"),
        (_member("hltcloud-master/pki/minions/evil", tarfile.LNKTYPE, link="/etc/shadow"), "link"),
        (_member("hltcloud-master/cache/evil", tarfile.CHRTYPE), "device"),
        (_member("hltcloud-master/cache/evil", tarfile.FIFOTYPE), "device"),
        (_member("hltcloud-master/pki/master.pub"), "twice"),
    ],
    ids=[
        "absolute",
        "dotdot-pki",
        "dotdot-cache",
        "dotdot-top",
        "other-top",
        "unknown-place",
        "other-checkout-file",
        "symlink",
        "hardlink",
        "device",
        "fifo",
        "duplicate",
    ],
)
def test_restore_refuses_an_archive_with_a_member_outside_its_place(new, tmp_path, bad, reason):
    source = _crafted(tmp_path / "crafted.tgz", bad)
    with pytest.raises(archive.ArchiveError, match=reason):
        _restore(new, source)
    # nothing was written: not the good members, not the bad one
    assert not (new / "pillar" / "secrets.yaml").exists()
    assert not (tmp_path / "new" / "pki" / "master.pem").exists()
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "new" / "evil").exists()


def test_restore_refuses_what_is_not_a_master_archive(new, tmp_path):
    plain = tmp_path / "plain.tgz"
    with tarfile.open(plain, "w:gz") as tar:
        info = tarfile.TarInfo("hltcloud-master/checkout/pillar/secrets.yaml")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(archive.ArchiveError, match="MANIFEST"):
        _restore(new, plain)
    (tmp_path / "garbage.tgz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(archive.ArchiveError, match=r"not a readable tar\.gz"):
        _restore(new, tmp_path / "garbage.tgz")
    assert not (new / "pillar" / "secrets.yaml").exists()


def test_the_command_line_says_one_line_and_exits_1_on_a_refusal(old, tmp_path, capsys):
    target = tmp_path / "master.tgz"
    target.write_text("an older archive")
    argv = ["backup", "--to", str(target), "--checkout", str(old)]
    assert archive.main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("make master-backup: ")
    assert "nothing written" in err
    assert archive.main(["backup", "--to", "", "--checkout", str(old)]) == 2
    assert "ARCHIVE=" in capsys.readouterr().err


def _salt3008_layout(pki, master_id):
    """Salt 3007+'s key pair: ``<id>.pem``/``<id>.pub`` with master.pem/master.pub links."""
    for suffix in (".pem", ".pub"):
        (pki / f"master{suffix}").rename(pki / f"{master_id}{suffix}")
        (pki / f"master{suffix}").symlink_to(pki / f"{master_id}{suffix}")


def _master_opts(checkout):
    return salt.config.master_config(str(checkout / "etc" / "salt" / "master"))


def test_salt_3007_keys_named_for_the_master_id_are_kept_once_as_master_pem(old, tmp_path):
    pki = tmp_path / "old" / "pki"
    key = (pki / "master.pem").read_bytes()
    _salt3008_layout(pki, "cn43.internal_master")
    target = tmp_path / "master.tgz"
    _backup(old, target)
    with tarfile.open(target) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert members["hltcloud-master/pki/master.pem"].isfile()
        assert tar.extractfile(members["hltcloud-master/pki/master.pem"]).read() == key
    assert "hltcloud-master/pki/cn43.internal_master.pem" not in members


def test_a_salt_3007_master_that_made_its_own_key_reads_the_archives_after_a_forced_restore(
    old, new, tmp_path
):
    target = tmp_path / "master.tgz"
    _backup(old, target)
    # the new master started once: Salt made its own key pair, <id>.pem and the links
    salt.crypt.MasterKeys(_master_opts(new))
    own = tmp_path / "new" / "pki" / f"{_master_opts(new)['id'].removesuffix('_master')}.pem"
    assert own.is_file()
    with pytest.raises(archive.ArchiveError, match="differ"):
        _restore(new, target)
    done, _ = _restore(new, target, force=True)
    assert (own, "replaced") in done
    # what Salt reads as this master's key is now the old master's
    keys = salt.crypt.MasterKeys(_master_opts(new))
    old_pub = (tmp_path / "old" / "pki" / "master.pub").read_text()
    assert keys.get_pub_str().strip() == old_pub.strip()


def test_backup_to_a_filesystem_without_hard_links_still_refuses_to_overwrite(
    old, tmp_path, monkeypatch
):
    # A FAT/exFAT stick or some CIFS shares: os.link fails with EPERM.
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(archive.os, "link", no_links)
    target = tmp_path / "stick" / "master.tgz"
    target.parent.mkdir()
    _backup(old, target)
    assert tarfile.is_tarfile(target) and _mode(target) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["master.tgz"]
    with pytest.raises(archive.ArchiveError, match="exists: not overwritten"):
        _backup(old, target)


@pytest.mark.parametrize("manifest", [b"[1, 2]", b"not json"])
def test_restore_refuses_a_manifest_that_is_not_one(new, tmp_path, manifest):
    path = tmp_path / "odd.tgz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("hltcloud-master/MANIFEST.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    with pytest.raises(archive.ArchiveError, match="is not a manifest"):
        _restore(new, path)
