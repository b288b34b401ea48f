"""
Backups of the head's databases and of Glance's image files (state ``backup``; issue 23).

One run (:func:`run`, also ``hltcloud.backup``) makes one folder in the backup folder,
named for the UTC time it started::

    <backup:dir>/20261207T023000Z/keystone.sql     mysqldump --single-transaction --routines
                                 /glance.sql       --events --databases <name>: one file per
                                 /nova.sql         database, with its CREATE DATABASE and USE
                                 /images/<id>      the files of Glance's filesystem store
                                 /images/MD5SUMS   their md5 (Glance's ``checksum``), md5sum -c

Everything is root's: the folder 0700, every file 0600 (parameters ``backup``). A run is
built in ``.<name>.partial`` and renamed when complete, so a folder without the dot is a
whole run; afterwards only the last ``backup:keep`` runs stay. Before anything is written
the run estimates its size (the databases' size in information_schema or the last run's
dumps, whichever is larger, plus the image files) and refuses, in one line, when it would
leave less than ``backup:min_free_bytes`` free on the backup folder's file system.

Every setting comes from salt://map.jinja rendered for this node (parameters ``backup``,
the databases of the formulas ``backup:databases`` lists, MariaDB root's client file
``mariadb:root:defaults_file``, Glance's store ``glance:images:dir``): there is no second
copy of them here. The dump gets root's credentials from that client file, never from its
command line.

CLI Example:

.. code-block:: bash

    salt cn43.internal hltcloud.backup
    salt cn43.internal hltcloud_backup.check_images
"""

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import stat
import subprocess
import time

from salt.exceptions import CommandExecutionError, SaltException

log = logging.getLogger(__name__)

__virtualname__ = "hltcloud_backup"

SETTINGS_TEMPLATE = """\
{%- from "map.jinja" import hltcloud with context %}
{%- set names = [] %}
{%- for formula in hltcloud.backup.databases %}
{%-   do names.append(hltcloud[formula].db.name) %}
{%- endfor %}
{{ {"backup": hltcloud.backup, "databases": names,
    "defaults_file": hltcloud.mariadb.root.defaults_file,
    "client": hltcloud.mariadb.client,
    "images_dir": hltcloud.glance.images.dir} | json }}
"""
AUTH_TEMPLATE = """\
{%- from "glance/images.jinja" import glance_images with context %}
{{ {"auth": glance_images.auth, "errors": glance_images.errors} | json }}
"""
RUN_NAME = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?$")
PARTIAL = re.compile(r"^\.\d{8}T\d{6}Z(?:-\d+)?\.partial$")
DATABASE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
IMAGES = "images"
MANIFEST = "MD5SUMS"
CHUNK = 1 << 20


def __virtual__():
    return __virtualname__


def _render(template):
    try:
        data = __salt__["slsutil.renderer"](string=template, default_renderer="jinja|json")
    except SaltException as exc:
        raise CommandExecutionError(
            f"cannot read the backup settings from map.jinja: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise CommandExecutionError("map.jinja gives no backup settings")
    return data


def settings():
    """
    The settings a run uses, from salt://map.jinja for this node: ``backup`` (folder, modes,
    keep, min_free_bytes, dump command), the database names, root's client file and
    Glance's store folder.

    CLI Example:

    .. code-block:: bash

        salt cn43.internal hltcloud_backup.settings
    """
    data = _render(SETTINGS_TEMPLATE)
    backup = data["backup"]
    problems = []
    if not isinstance(backup.get("keep"), int) or isinstance(backup["keep"], bool):
        problems.append("backup:keep must be a whole number")
    elif backup["keep"] < 1:
        problems.append("backup:keep must be at least 1")
    if not isinstance(backup.get("min_free_bytes"), int) or backup["min_free_bytes"] < 0:
        problems.append("backup:min_free_bytes must be a whole number of bytes")
    for name in data["databases"]:
        if not isinstance(name, str) or not DATABASE_NAME.match(name):
            problems.append(f"database name {name!r} (backup:databases) is not a plain name")
    if not str(backup.get("dir") or "").startswith("/"):
        problems.append("backup:dir must be an absolute path")
    if problems:
        raise CommandExecutionError("; ".join(problems))
    return data


# -- the backup folder and its runs ---------------------------------------------------------------


def _check_folder(path, mode):
    """The backup folder must be root's own folder with no bits for others (dumps hold hashes)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise CommandExecutionError(
            f"backup folder {path} does not exist: apply the state backup first "
            "(salt cn43.internal state.apply backup)"
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise CommandExecutionError(f"backup folder {path} is not a folder (or is a symlink)")
    if info.st_uid != 0 or stat.S_IMODE(info.st_mode) & ~mode:
        raise CommandExecutionError(
            f"backup folder {path} must be root's with mode {mode:04o}: it is uid "
            f"{info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o}"
        )


def _runs(folder):
    """The complete runs in ``folder``, oldest first."""
    found = []
    for entry in os.scandir(folder):
        match = RUN_NAME.match(entry.name)
        if match and entry.is_dir(follow_symlinks=False):
            found.append(((match.group(1), int(match.group(2) or 0)), entry.path))
    return [path for _, path in sorted(found)]


def list_runs():
    """
    The complete runs in the backup folder, oldest first.

    CLI Example:

    .. code-block:: bash

        salt cn43.internal hltcloud_backup.list_runs
    """
    return _runs(settings()["backup"]["dir"])


def _file_sizes(folder):
    total = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
    return total


def _database_size(data):
    """The databases' size by information_schema (None when the server does not say)."""
    if not data["databases"]:
        return 0
    names = ", ".join(f"'{name}'" for name in data["databases"])
    sql = (
        "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.TABLES "
        f"WHERE table_schema IN ({names})"
    )
    proc = subprocess.run(
        [data["client"], f"--defaults-file={data['defaults_file']}", "-N", "-B", "-e", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return int(proc.stdout.strip()) if proc.returncode == 0 else None
    except ValueError:
        return None


def _estimate(data, previous):
    by_schema = _database_size(data) or 0
    by_last_run = 0
    if previous:
        by_last_run = sum(
            os.path.getsize(os.path.join(previous, f"{name}.sql"))
            for name in data["databases"]
            if os.path.isfile(os.path.join(previous, f"{name}.sql"))
        )
    images = _file_sizes(data["images_dir"]) if data["backup"].get("images") else 0
    return max(by_schema, by_last_run) + images


def _new_run_name(folder):
    """The UTC start time; a run in the same second as runs already there gets the next -<n>,
    so a new run's name sorts after every kept one (pruning keeps the newest)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    taken = [
        int(match.group(2) or 1)
        for match in map(
            RUN_NAME.match, (n.strip(".").removesuffix(".partial") for n in os.listdir(folder))
        )
        if match and match.group(1) == stamp
    ]
    return f"{stamp}-{max(taken) + 1}" if taken else stamp


def _create(path, mode):
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)


def _dump(data, name, target, mode):
    backup = data["backup"]
    command = [
        backup["dump"]["cmd"],
        f"--defaults-file={data['defaults_file']}",
        *backup["dump"]["options"],
        "--databases",
        name,
    ]
    tmp = target + ".tmp"
    fd = _create(tmp, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            proc = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, check=False)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise CommandExecutionError(f"cannot dump database {name}: {exc}") from None
    if proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise CommandExecutionError(f"dump of database {name} failed: {why[-1]}")
    os.rename(tmp, target)
    return os.path.getsize(target)


def _copy_images(source, target, mode):
    """Copy every regular file of Glance's store, with its md5; write the MD5SUMS manifest."""
    os.mkdir(target, 0o700)
    sums = {}
    total = 0
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        if not entry.is_file(follow_symlinks=False):
            continue
        # The store is the glance user's: a file swapped for a link (to /etc/shadow) or a
        # fifo or device since the scan is not followed, and a file that grows is copied
        # as far as it was long when opened (the free-space check counted that much).
        try:
            src_fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            log.warning("hltcloud_backup: %s skipped: %s", entry.path, exc.strerror)
            continue
        with os.fdopen(src_fd, "rb") as src:
            st = os.fstat(src.fileno())
            if not stat.S_ISREG(st.st_mode):
                log.warning("hltcloud_backup: %s skipped: not a regular file", entry.path)
                continue
            digest = hashlib.md5()
            left = st.st_size
            fd = _create(os.path.join(target, entry.name), mode)
            with os.fdopen(fd, "wb") as dst:
                while left > 0:
                    block = src.read(min(CHUNK, left))
                    if not block:
                        break
                    digest.update(block)
                    dst.write(block)
                    left -= len(block)
                    total += len(block)
        sums[entry.name] = digest.hexdigest()
    fd = _create(os.path.join(target, MANIFEST), mode)
    with os.fdopen(fd, "w", encoding="utf-8") as manifest:
        manifest.writelines(f"{md5}  {name}\n" for name, md5 in sums.items())
    return {"count": len(sums), "bytes": total, "md5": sums}


def _prune(folder, keep):
    """Remove all but the last ``keep`` runs and any partial run left by a crash."""
    removed = []
    for entry in os.scandir(folder):
        if PARTIAL.match(entry.name) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
            removed.append(entry.path)
    runs = _runs(folder)
    for path in runs[: max(len(runs) - keep, 0)]:
        shutil.rmtree(path)
        removed.append(path)
    return removed


def run():
    """
    Take one backup now: dump each database to its own file, copy Glance's image files with
    their md5, keep the last ``backup:keep`` runs. Refuses, writing nothing, when the run
    would leave less than ``backup:min_free_bytes`` free. What the cron job of the state
    ``backup`` runs (as ``hltcloud.backup``).

    CLI Example:

    .. code-block:: bash

        salt cn43.internal hltcloud_backup.run
    """
    data = settings()
    backup = data["backup"]
    folder = backup["dir"]
    dir_mode = int(str(backup["dir_mode"]), 8)
    file_mode = int(str(backup["file_mode"]), 8)
    _check_folder(folder, dir_mode)
    lock = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CommandExecutionError(
                f"another backup is running in {folder}: try again once it ends"
            ) from None
        runs = _runs(folder)
        needed = _estimate(data, runs[-1] if runs else None)
        fs = os.statvfs(folder)
        free = fs.f_bavail * fs.f_frsize
        if free - needed < backup["min_free_bytes"]:
            raise CommandExecutionError(
                f"backup refused: it needs about {needed} bytes and {folder} has {free} free, "
                f"which would leave less than backup:min_free_bytes ({backup['min_free_bytes']})"
            )
        return _take(data, folder, dir_mode, file_mode, needed)
    finally:
        os.close(lock)


def _take(data, folder, dir_mode, file_mode, needed):
    backup = data["backup"]
    name = _new_run_name(folder)
    partial = os.path.join(folder, f".{name}.partial")
    os.mkdir(partial, dir_mode)
    try:
        databases = {}
        for db in data["databases"]:
            size = _dump(data, db, os.path.join(partial, f"{db}.sql"), file_mode)
            databases[db] = {"file": f"{db}.sql", "bytes": size}
        images = None
        if backup.get("images"):
            if os.path.isdir(data["images_dir"]):
                images = _copy_images(data["images_dir"], os.path.join(partial, IMAGES), file_mode)
            else:
                log.warning("hltcloud_backup: no image store at %s", data["images_dir"])
        final = os.path.join(folder, name)
        os.rename(partial, final)
    except OSError as exc:  # a full disk, a store that went away: one line, nothing kept
        shutil.rmtree(partial, ignore_errors=True)
        where = f" ({exc.filename})" if exc.filename else ""
        raise CommandExecutionError(f"backup failed: {exc.strerror}{where}") from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    pruned = _prune(folder, backup["keep"])
    log.info("hltcloud_backup: took %s, removed %s", final, pruned)
    fs = os.statvfs(folder)
    return {
        "run": final,
        "databases": databases,
        "images": images,
        "estimated_bytes": needed,
        "free_bytes": fs.f_bavail * fs.f_frsize,
        "pruned": pruned,
    }


# -- the restore check ---------------------------------------------------------------------------


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def check_images(directory=None, auth=None):
    """
    Compare the image files in ``directory`` (default: Glance's store, ``glance:images:dir``;
    or a run's ``images`` folder) with the checksum Glance recorded for every active image
    (``GET /v2/images``, md5). ``{"ok", "checked", "missing", "mismatch"}``: ``ok`` when every
    active image's file is there with Glance's md5. ``auth``: the glance_image modules'
    (default: the admin user's, as the image states log in).

    CLI Example:

    .. code-block:: bash

        salt cn43.internal hltcloud_backup.check_images
        salt cn43.internal hltcloud_backup.check_images \\
            /var/backups/hltcloud/20261207T023000Z/images
    """
    if directory is None:
        directory = settings()["images_dir"]
    if auth is None:
        found = _render(AUTH_TEMPLATE)
        if found["errors"]:
            raise CommandExecutionError("; ".join(found["errors"]))
        auth = found["auth"]
    images = __salt__["glance_image.image_list"](auth=auth)
    checked, missing, mismatch = [], [], []
    for image in sorted(images, key=lambda i: i["id"]):
        if image.get("status") != "active" or not image.get("checksum"):
            continue
        path = os.path.join(directory, image["id"])
        if not os.path.isfile(path):
            missing.append(image["id"])
        elif _md5(path) != image["checksum"]:
            mismatch.append(image["id"])
        else:
            checked.append(image["id"])
    return {
        "ok": not missing and not mismatch,
        "checked": checked,
        "missing": missing,
        "mismatch": mismatch,
    }
