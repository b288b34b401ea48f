"""
The master's state that git does not hold, in one archive (``make master-backup``), and put
back on a new checkout (``make master-restore``): the master can be rebuilt and the nodes
answer it without a key accepted again.

The archive (a tar.gz, mode 0600, written through a temp file and a rename) holds:

- ``pillar/secrets.yaml`` of the checkout (``make secrets``'s file);
- ``etc/salt/cluster.conf`` of the checkout, the inventory as the site edited it;
- ``pillar/demo-key.pub``, the demo user's public key for the first VM, if it is there;
- the master's ``pki_dir``, all of it: its key pair ``master.pem``/``master.pub`` (the minions
  pinned its fingerprint and cached ``master.pub``) and the minions' keys, accepted
  (``minions/``), pending, rejected and denied;
- ``<cachedir>/hltcloud/``: the records the project's runners keep on the master (the rollout
  runner's batch times ``rollout-*.json``, ``hlt.status``'s last answers ``status.json``).

Not in it: Salt's job cache (``<cachedir>/jobs``, what ``salt-run hlt.last_highstates``
scans; ``hlt.status`` reads each node's own record), and what git holds.

The paths come from the master's configuration (``etc/salt/master`` of the checkout, read
as salt-master reads it: ``pki_dir`` and ``cachedir`` are Salt's defaults
``/etc/salt/pki/master`` and ``/var/cache/salt/master`` there). Run it as the master's user
(root on cn43), with the master stopped for a restore.

``backup`` refuses to overwrite an existing archive unless ``--force``. ``restore`` checks the
whole archive before it writes anything: every member a regular file or folder under a known
place, no absolute name, no ``..``, no link or device; it refuses to replace a secrets file
or a key that differs from the archive's unless ``--force`` (the inventory is replaced, and
said so), and sets the modes: secrets 0600, the pki folders 0700, private keys 0400, public
keys 0644, the cache records 0600 in 0700 folders. It ends with the master key's
fingerprint, the one the nodes pinned (``make master-finger``).

Usage::

    python -m tools.master_archive backup --to PATH [--force] [--checkout DIR] [--config FILE]
    python -m tools.master_archive restore --from PATH [--force] [--checkout DIR] [--config FILE]
"""

import argparse
import datetime
import io
import json
import os
import pathlib
import posixpath
import stat
import sys
import tarfile
import tempfile
import zlib

REPO = pathlib.Path(__file__).resolve().parent.parent
TOP = "hltcloud-master"
MANIFEST = "MANIFEST.json"
FORMAT = 1
# The checkout's files in the archive, by their path in the checkout, with their mode.
CHECKOUT_FILES = {
    "pillar/secrets.yaml": 0o600,
    "etc/salt/cluster.conf": 0o644,
    "pillar/demo-key.pub": 0o644,
}
SECRETS = "pillar/secrets.yaml"
INVENTORY = "etc/salt/cluster.conf"
CACHE_RECORDS = "hltcloud"
MASTER_KEYS = ("master.pem", "master.pub")
REQUIRED = (f"checkout/{SECRETS}", *(f"pki/{key}" for key in MASTER_KEYS))
DIR_MODE = 0o700


class ArchiveError(Exception):
    """The backup or the restore cannot go on; one line, nothing written."""


def master_dirs(checkout, config=None):
    """
    ``(pki_dir, cachedir, hash_type, key name)`` of the master ``config`` (default: the
    checkout's etc/salt/master) configures, as it reads them. Salt 3007+ keeps the master's
    key pair as ``<key name>.pem``/``.pub`` (its id without ``_master``, salt/crypt.py
    MasterKeys) with ``master.pem``/``master.pub`` links to them; 3006 as ``master.pem``/``.pub``.
    """
    import salt.config

    config = config or pathlib.Path(checkout) / "etc" / "salt" / "master"
    if not pathlib.Path(config).is_file():
        raise ArchiveError(f"{config}: no such master configuration")
    opts = salt.config.master_config(str(config))
    return (
        pathlib.Path(opts["pki_dir"]),
        pathlib.Path(opts["cachedir"]),
        opts["hash_type"],
        opts["id"].removesuffix("_master"),
    )


def _places(checkout, pki_dir, cachedir):
    """The archive's top folders and where each one lives on this host."""
    return {
        "checkout": pathlib.Path(checkout),
        "pki": pathlib.Path(pki_dir),
        "cache": pathlib.Path(cachedir) / CACHE_RECORDS,
    }


def _tree(root):
    """Relative POSIX paths of the folders and regular files under ``root``; links are skipped."""
    found, skipped = [], []
    for folder, dirs, files in os.walk(root):
        rel_folder = pathlib.Path(folder).relative_to(root)
        for name in sorted(dirs):
            path = pathlib.Path(folder, name)
            (skipped if path.is_symlink() else found).append((rel_folder / name).as_posix())
        dirs[:] = sorted(d for d in dirs if not pathlib.Path(folder, d).is_symlink())
        for name in sorted(files):
            mode = os.lstat(pathlib.Path(folder, name)).st_mode
            (found if stat.S_ISREG(mode) else skipped).append((rel_folder / name).as_posix())
    return found, skipped


def _add(tar, name, path=None, data=None):
    """Add a folder (``path`` a folder) or a file's bytes to ``tar`` as ``TOP/name``, root's."""
    info = tarfile.TarInfo(f"{TOP}/{name}")
    info.uid = info.gid = 0
    if data is None:
        st = os.stat(path)
        info.mtime = int(st.st_mtime)
        info.mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
            return
        data = pathlib.Path(path).read_bytes()
    else:
        info.mtime = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
        info.mode = 0o600
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _master_keys(pki_dir, found, links):
    """
    ``master.pem``/``master.pub`` as the files they are or link to (Salt 3007+'s
    ``<id>.pem``/``<id>.pub``, then left out): the key pair is kept once, under those names.
    """
    for key in MASTER_KEYS:
        if key not in links:
            continue
        links.remove(key)
        found.append(key)
        real = os.path.relpath(os.path.realpath(pki_dir / key), os.path.realpath(pki_dir))
        if real in found and real not in MASTER_KEYS:
            found.remove(real)
    return found, links


def collect(checkout, pki_dir, cachedir):
    """``[(archive name, path on this host)]`` of what a backup holds, and the links it skips."""
    places = _places(checkout, pki_dir, cachedir)
    secrets = places["checkout"] / SECRETS
    if not secrets.is_file():
        raise ArchiveError(
            f"{secrets} does not exist: this checkout has no secrets to back up (`make secrets`)"
        )
    for key in MASTER_KEYS:
        if not (places["pki"] / key).is_file():
            raise ArchiveError(
                f"{places['pki'] / key} does not exist: the master's keys are not there "
                "(the master has never started, or its pki_dir is elsewhere: --config)"
            )
    members = [
        (f"checkout/{rel}", places["checkout"] / rel)
        for rel in CHECKOUT_FILES
        if (places["checkout"] / rel).is_file()
    ]
    skipped = []
    for top in ("pki", "cache"):
        if not places[top].is_dir():
            continue
        members.append((top, places[top]))
        found, links = _tree(places[top])
        if top == "pki":
            found, links = _master_keys(places[top], found, links)
        members += [(f"{top}/{rel}", places[top] / rel) for rel in found]
        skipped += [places[top] / rel for rel in links]
    return members, skipped


def backup(target, checkout=REPO, config=None, force=False):
    """Write the archive to ``target`` (0600); return ``(members, skipped)``."""
    pki_dir, cachedir, _, _ = master_dirs(checkout, config)
    target = pathlib.Path(target)
    if not target.parent.is_dir():
        raise ArchiveError(f"{target.parent}: no such folder for the archive")
    if (target.exists() or target.is_symlink()) and not force:
        raise ArchiveError(f"{target} exists: not overwritten (FORCE=1 / --force replaces it)")
    members, skipped = collect(checkout, pki_dir, cachedir)
    manifest = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "pki_dir": str(pki_dir),
        "cachedir": str(cachedir),
    }
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w:gz") as tar:
                _add(tar, MANIFEST, data=json.dumps(manifest, indent=1).encode())
                for name, path in members:
                    _add(tar, name, path)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails, instead of replacing, if it appeared meanwhile
            except FileExistsError:
                raise ArchiveError(
                    f"{target} exists: not overwritten (FORCE=1 / --force replaces it)"
                ) from None
            except OSError:
                # No hard links there (a FAT/exFAT stick, some CIFS shares): the target was
                # checked above, a rename takes its place.
                if os.path.lexists(target):
                    raise ArchiveError(
                        f"{target} exists: not overwritten (FORCE=1 / --force replaces it)"
                    ) from None
                os.rename(tmp, target)
            else:
                os.unlink(tmp)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return members, skipped


def _destination(name, places):
    """``(place, relative path)`` a member's name maps to, or raise ArchiveError."""
    refuse = f"member {name!r}"
    if not name or "\\" in name or "\0" in name or name.startswith("/"):
        raise ArchiveError(f"{refuse}: an absolute or unusual name")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ArchiveError(f"{refuse}: '..', '.' or an empty part in its name")
    if parts[0] != TOP:
        raise ArchiveError(f"{refuse}: not under {TOP}/")
    rest = parts[1:]
    if rest in ([], [MANIFEST]):
        return None, None
    if rest[0] == "checkout":
        rel = posixpath.join(*rest[1:]) if len(rest) > 1 else ""
        if (
            rel
            and rel not in CHECKOUT_FILES
            and not any(known.startswith(f"{rel}/") for known in CHECKOUT_FILES)
        ):
            raise ArchiveError(f"{refuse}: not a file of the checkout this archive keeps")
        return "checkout", rel
    if rest[0] in places:
        return rest[0], posixpath.join(*rest[1:]) if len(rest) > 1 else ""
    raise ArchiveError(f"{refuse}: not a place this archive restores")


def check(tar, places):
    """
    Every member of ``tar`` checked before anything is written: ``[(member, place, rel)]`` of
    its files and folders, and the manifest. Raise ArchiveError on the first bad member.
    """
    planned, seen, manifest = [], set(), None
    for member in tar.getmembers():
        place, rel = _destination(member.name.rstrip("/") or member.name, places)
        if not (member.isfile() or member.isdir()):
            raise ArchiveError(f"member {member.name!r}: a link or device, not a file or folder")
        if member.name in seen:
            raise ArchiveError(f"member {member.name!r}: in the archive twice")
        seen.add(member.name)
        if member.name == f"{TOP}/{MANIFEST}":
            manifest = member
        elif place is not None:
            planned.append((member, place, rel))
    if manifest is None or not manifest.isfile():
        raise ArchiveError(f"no {TOP}/{MANIFEST}: not an archive of `make master-backup`")
    try:
        data = json.loads(tar.extractfile(manifest).read() or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ArchiveError(f"{TOP}/{MANIFEST} is not a manifest of `make master-backup`")
    if data.get("format") != FORMAT:
        raise ArchiveError(f"format {data.get('format')!r}, this tool reads {FORMAT}")
    names = {f"{place}/{rel}" for member, place, rel in planned if member.isfile()}
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ArchiveError(f"{', '.join(missing)} missing from the archive")
    return planned


def _mode(place, rel, archived):
    """A restored file's mode (``archived``: its mode in the archive)."""
    if place == "checkout":
        return CHECKOUT_FILES[rel]
    if place == "pki":  # private keys 0400, public ones at most 0644
        return 0o400 if rel.endswith(".pem") else (archived & 0o644) | 0o400
    return 0o600


def _write(path, data, mode):
    """Write ``data`` to ``path`` with ``mode`` through a temp file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def _read(source, places):
    """The checked plan of ``source`` with each file's bytes: ``[(member, place, rel, data)]``."""
    try:
        with tarfile.open(source, mode="r:gz") as tar:
            return [
                (member, place, rel, tar.extractfile(member).read() if member.isfile() else None)
                for member, place, rel in check(tar, places)
            ]
    except (OSError, EOFError, zlib.error, tarfile.TarError, ValueError) as exc:
        raise ArchiveError(f"{source}: not a readable tar.gz ({exc})") from None


def _targets(plan, places, master_id):
    """
    The folders and ``[(path, mode, data)]`` the plan writes. A Salt 3007+ master that
    started here reads its key from ``<id>.pem``/``<id>.pub``: the archive's key goes there
    too.
    """
    folders, files = [], []
    for member, place, rel, data in plan:
        path = places[place] / rel if rel else places[place]
        if member.isdir():
            if place != "checkout":
                folders.append(path)
            continue
        files.append((path, _mode(place, rel, member.mode), data))
        own = f"{master_id}{os.path.splitext(rel)[1]}"
        if place == "pki" and rel in MASTER_KEYS and own not in MASTER_KEYS:
            if os.path.lexists(places["pki"] / own):
                files.append((places["pki"] / own, _mode(place, own, member.mode), data))
    return folders, files


def _apply(folders, files):
    """Make the folders (0700) and write the files that differ; ``[(path, what happened)]``."""
    for folder in folders:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    done = []
    for path, mode, data in files:
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        if path.is_file() and path.read_bytes() == data:
            if stat.S_IMODE(path.stat().st_mode) != mode:
                os.chmod(path, mode)
            done.append((path, "unchanged"))
            continue
        what = "replaced" if path.is_file() else "restored"
        _write(path, data, mode)
        done.append((path, what))
    return done


def restore(source, checkout=REPO, config=None, force=False):
    """
    Put the archive ``source`` back; return ``([(path, what happened)], master key's
    fingerprint)``. Nothing is written unless the whole archive checks out and no secret
    or key differs (unless ``force``).
    """
    pki_dir, cachedir, hash_type, master_id = master_dirs(checkout, config)
    places = _places(checkout, pki_dir, cachedir)
    folders, files = _targets(_read(source, places), places, master_id)
    # Secrets and keys are never replaced unasked; the inventory and the records are.
    guarded = (places["pki"], places["checkout"] / SECRETS)
    clashes = []
    for path, _, data in files:
        if os.path.lexists(path) and not path.is_file():
            raise ArchiveError(f"{path} exists and is not a file: not replaced")
        if path.is_file() and path.read_bytes() != data and not force:
            if path == guarded[1] or guarded[0] in path.parents:
                clashes.append(str(path))
    if clashes:
        raise ArchiveError(
            f"{', '.join(clashes)}: exist(s) and differ(s) from the archive's, not replaced "
            "(a master that started here made its own key: stop it; FORCE=1 / --force)"
        )
    done = _apply(folders, files)
    import salt.utils.crypt

    finger = salt.utils.crypt.pem_finger(str(places["pki"] / "master.pub"), sum_type=hash_type)
    return done, finger


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0].strip())
    sub = parser.add_subparsers(dest="command", required=True)
    for command, flag, text in (
        ("backup", "--to", "where to write the archive (a new file)"),
        ("restore", "--from", "the archive to put back"),
    ):
        one = sub.add_parser(command)
        one.add_argument(flag, dest="archive", required=True, help=text)
        one.add_argument("--force", action="store_true")
        one.add_argument("--checkout", default=str(REPO), help="the checkout (default: this one)")
        one.add_argument("--config", help="the master's config (default: etc/salt/master)")
    args = parser.parse_args(argv)
    prog = f"make master-{args.command}"
    if not args.archive:
        print(f"{prog}: give the archive's path: {prog} ARCHIVE=/path/master.tgz", file=sys.stderr)
        return 2
    try:
        if args.command == "backup":
            members, skipped = backup(args.archive, args.checkout, args.config, args.force)
            for path in skipped:
                print(f"{prog}: skipped {path} (not a regular file or folder)", file=sys.stderr)
            keys = sum(1 for name, _ in members if name.startswith("pki/minions/"))
            print(
                f"{args.archive}: {len(members)} entries (secrets, inventory, the master's "
                f"keys, {keys} accepted minion key(s), the cache records), mode 0600; "
                "keep it off this host, it holds the secrets"
            )
            return 0
        done, finger = restore(args.archive, args.checkout, args.config, args.force)
    except ArchiveError as exc:
        print(f"{prog}: {exc}; nothing written", file=sys.stderr)
        return 1
    for path, what in done:
        print(f"{path}: {what}")
    print(f"master key {finger}: the nodes' master_finger must be this (make master-finger)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
