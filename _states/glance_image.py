"""
Glance images, idempotent by name and checksum (Image API v2).

.. code-block:: yaml

    glance-image-cirros-present:
      glance_image.present:
        - name: CirrOS Test Image
        - source: http://cdn.download.cirros-cloud.net/0.3.2/cirros-0.3.2-x86_64-disk.img
        - source_hash: md5=64d7c1cd2b6f60c92c14662941cb7913
        - size: 13167616
        - cache_dir: /var/cache/hltcloud/images
        - disk_format: qcow2
        - container_format: bare
        - visibility: public
        - auth:
            auth_url: http://cn43.internal:35357/v3
            username: admin
            password: {{ pillar['secrets']['admin_pass'] | json }}
            project_name: admin

A URL source is downloaded once into ``cache_dir`` (the file ``download_cache.locate``
names, which the clean twin removes), bounded (``size`` enforced while streaming, a short
``timeout``, an overall ``deadline``: ``download_cache.fetch``), and checked against
``source_hash`` before anything is uploaded.
An image of that name whose checksum (Glance's md5 of the data) is the source file's is
left alone (its visibility is corrected in place); none is created and uploaded; one
created earlier whose upload never finished (``queued``) gets the data. An image of that
name with other data is never replaced nor doubled: the state fails and says how to
proceed. Glance images are immutable once active.

An upload that fails is followed by a read of the image's status: an image this run
created is deleted unless it is still ``queued`` (then the next run uploads into it). An
image ``saving`` without a checksum that Glance has not updated for ``stale_after``
seconds is an upload that died (Glance killed while writing): it is deleted and created
again; a younger one fails the state (an upload may be under way).

Credentials and retries: see the ``glance_image`` execution module. In test mode Glance is
asked once, without waiting for it (the module's rule for every dry run): when it does not
answer (a head node whose Glance is not installed yet) the state says it would be created
once Glance is up, and that it could not check (``_utils/state_return.py``).
"""

import datetime
import functools
import logging
import os
import re
import time
import urllib.parse

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "glance_image"

# What Icehouse's Glance accepts and today's still does.
DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vmdk", "raw", "qcow2", "vdi", "iso")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf")
VISIBILITIES = ("public", "private")
HASH_LENGTHS = {32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}
BUSY = ("saving", "importing", "uploading")
URL_SCHEMES = ("http", "https", "ftp", "salt")
SHOWN = (
    "id",
    "name",
    "status",
    "checksum",
    "size",
    "disk_format",
    "container_format",
    "visibility",
)


def __virtual__():
    for needed in ("glance_image.image_list", "download_cache.locate"):
        if needed not in __salt__:
            return (False, f"glance_image: the execution function {needed} is not available")
    return __virtualname__


def shown(image):
    """The fields of ``image`` a state shows (no locations, no URLs)."""
    return {key: image.get(key) for key in SHOWN if key in image}


def _failed(ret, comment):
    return __utils__["state_return.fail"](ret, comment)


def _would(ret, changes, comment):
    return __utils__["state_return.would"](ret, changes, comment)


def parse_source_hash(source_hash):
    """``(hash_type, hex digest)`` from ``md5=<hex>``, ``sha256=<hex>``... or a bare digest."""
    text = str(source_hash or "").strip().lower()
    hash_type, _, digest = text.rpartition("=")
    if not re.fullmatch(r"[0-9a-f]+", digest or ""):
        raise ValueError(f"source_hash '{source_hash}' is not a hex digest")
    if not hash_type:
        hash_type = HASH_LENGTHS.get(len(digest))
        if hash_type is None:
            raise ValueError(f"source_hash '{source_hash}': no hash type has that length")
    elif hash_type not in HASH_LENGTHS.values():
        raise ValueError(f"source_hash '{source_hash}': unknown hash type '{hash_type}'")
    if HASH_LENGTHS.get(len(digest)) != hash_type:
        raise ValueError(f"source_hash '{source_hash}' is not a {hash_type} digest")
    return hash_type, digest


def _is_url(source):
    return urllib.parse.urlsplit(source).scheme in URL_SCHEMES


def _validate(name, source, source_hash, disk_format, container_format, visibility, size=None):
    """A problem with the arguments, or None."""
    if not name or not isinstance(name, str):
        return "name must be a non-empty string"
    if not isinstance(source, str) or not (os.path.isabs(source) or _is_url(source)):
        return (
            f"source of image '{name}' must be a URL ("
            + ", ".join(URL_SCHEMES)
            + ") or the absolute path of the image file"
        )
    if _is_url(source) and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        return (
            f"image '{name}': size (the file's bytes, a whole number) is required for a URL "
            f"source, not '{size}': the download stops past it"
        )
    try:
        parse_source_hash(source_hash)
    except ValueError as exc:
        return f"image '{name}': {exc}"
    for label, value, allowed in (
        ("disk_format", disk_format, DISK_FORMATS),
        ("container_format", container_format, CONTAINER_FORMATS),
        ("visibility", visibility, VISIBILITIES),
    ):
        if value not in allowed:
            return "{} of image '{}' must be one of {}, not '{}'".format(
                label, name, ", ".join(allowed), value
            )
    return None


def _source_md5(name, source, source_hash):
    """
    The md5 of the image data: ``(md5 or None, problem or None)``. The file is checked
    against ``source_hash``. A missing file gives the md5 of ``source_hash`` when it is
    one (None otherwise) and the problem.
    """
    hash_type, digest = parse_source_hash(source_hash)
    hashes = __salt__["glance_image.file_hashes"](source, "md5", hash_type, missing_ok=True)
    if hashes is None:
        known = digest if hash_type == "md5" else None
        return known, f"image file {source} does not exist"
    if hashes[hash_type] != digest:
        return None, (
            f"image file {source} has {hash_type} {hashes[hash_type]}, not the source_hash "
            f"{digest}: it is not the wanted image; remove it so that it is downloaded again"
        )
    return hashes["md5"], None


def _local_data(name, source, source_hash, path, download):
    """
    ``(path, md5, problem, note)`` of the image data. A URL ``source`` is downloaded to
    ``path`` (``download``: size, timeout, deadline) unless a file with the right hash is
    there already (in test mode it is not downloaded: the problem says so and the md5 is
    source_hash's when it is one).
    """
    if not _is_url(source):
        md5, problem = _source_md5(name, source, source_hash)
        return source, md5, problem, ""
    md5, problem = _source_md5(name, path, source_hash)
    if problem is None:
        return path, md5, None, ""
    if __opts__["test"]:
        return path, md5, f"{source} would be downloaded into {path}", ""
    __salt__["download_cache.fetch"](source, path, **download)
    md5, problem = _source_md5(name, path, source_hash)
    if problem:
        __salt__["glance_image.file_remove"](path)
        hash_type, digest = parse_source_hash(source_hash)
        problem = (
            f"{source} downloaded but its {hash_type} is not the source_hash {digest}: "
            "file removed; check the URL and source_hash"
        )
    return path, md5, problem, f" ({source} downloaded into {path})"


def _wanted(name, checksum, disk_format, container_format, visibility):
    wanted = {
        "name": name,
        "disk_format": disk_format,
        "container_format": container_format,
        "visibility": visibility,
        "status": "active",
    }
    if checksum:
        wanted["checksum"] = checksum
    return wanted


def _conflict(name, image, source, checksum):
    return (
        f"Glance already has an image named '{name}' (id {image['id']}, checksum "
        f"{image.get('checksum')}) whose data is not {source} (md5 {checksum}). Images "
        "cannot be changed once uploaded, and a second image of the same name would be "
        "ambiguous, so nothing was done. To replace it, delete it (`glance image-delete "
        f"{image['id']}` or state glance_image.absent) and run the state again; to keep "
        "it, point source and source_hash at the data it holds."
    )


def _age(image, field="updated_at"):
    """Seconds since Glance's ``field`` time of ``image`` (``updated_at``, UTC), or None."""
    # Icehouse writes created_at and updated_at as timeutils.isotime(), %Y-%m-%dT%H:%M:%SZ
    # (glance/api/v2/images.py:576 at 2014.1.5); today's Glance the same.
    try:
        when = datetime.datetime.fromisoformat(str(image[field]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return (datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()


# Seconds Glance's clock and this node's may differ by (NTP keeps them closer).
CLOCK_SLACK = 5


def _made_after_lost(name, wanted, exc, started, auth):
    """
    The image a create whose answer was lost (``exc``: it may have been applied) made:
    looked up among the images of ``name`` Glance made since the call started (its
    ``created_at``), never created a second time; none, several or other formats fail.
    """
    found = __salt__["glance_image.image_list"](name=name, auth=auth)
    window = time.monotonic() - started + CLOCK_SLACK
    fresh = [i for i in found if (_age(i, "created_at") or float("inf")) <= window]
    why = None
    formats = ("disk_format", "container_format")
    if len(fresh) == 1 and any(fresh[0].get(k) != wanted[k] for k in formats):
        why = "formats differ from the ones sent"
    return __utils__["openstack_client.taken_after_lost"](
        exc, "Glance", f"an image named '{name}' made by this call", fresh, why
    )


def _stale(image, stale_after):
    """
    ``(stale, age)``: whether ``image`` is an upload that died: ``saving`` without a
    checksum and not updated for ``stale_after`` seconds. Glance marks an image ``saving``
    before it writes the data (glance/api/v2/image_data.py:66-69 at 2014.1.5); a Glance
    killed while writing leaves it so, with a partial file, and refuses a new upload (HTTP
    409, saving to saving); deleting it is allowed (glance/domain/__init__.py:101).
    Glance does not touch ``updated_at`` while it writes, so an upload still under way
    after ``stale_after`` seconds looks the same: set it above the longest upload's time.
    """
    if image.get("status") != "saving" or image.get("checksum"):
        return False, None
    age = _age(image)
    return age is not None and age >= stale_after, age


def _next_run(image, stale_after):
    """What the next run does with ``image`` (None: its status could not be read)."""
    status = (image or {}).get("status")
    if status == "queued":
        return "the next run uploads the data into it"
    if status is None or status == "saving":
        known = "" if status else "if it is queued the next run uploads the data into it; "
        return (
            f"{known}once Glance has not updated it for stale_after ({stale_after:g}s), "
            "the next run deletes it and creates it again"
        )
    return f"delete it (`glance image-delete {image['id']}`) and run the state again"


def _after_failure(ret, name, image, exc, created, auth, stale_after):
    """
    The upload into ``image`` failed (``exc``): read its status; an image this run
    ``created`` that is not ``queued`` (it holds part of the data, or nothing usable) is
    deleted. The comment says what happened and what the next run does.
    """
    what = f"image '{name}' (id {image['id']}): the upload failed: {str(exc).rstrip('.')}."
    try:
        now = __salt__["glance_image.image_get"](image["id"], auth=auth)
    except CommandExecutionError as again:
        return _failed(
            ret,
            f"{what} Its status could not be read ({again}), so it was kept; "
            + _next_run(None, stale_after),
        )
    status = now.get("status")
    if not created or status == "queued":
        if created:
            ret["changes"] = {"old": None, "new": shown(now)}
        return _failed(ret, f"{what} Glance reports it {status}: {_next_run(now, stale_after)}")
    try:
        __salt__["glance_image.image_delete"](image["id"], auth=auth)
    except CommandExecutionError as again:
        ret["changes"] = {"old": None, "new": shown(now)}
        return _failed(
            ret,
            f"{what} Glance reports it {status}; deleting it failed ({again}): "
            + _next_run(now, stale_after),
        )
    return _failed(
        ret,
        f"{what} Glance reported it {status} (no complete data), so this run deleted it: "
        "the next run creates it again",
    )


def _upload_and_check(ret, name, image, source, checksum, auth, old, stale_after, created=False):
    """Upload ``source`` into the queued ``image`` and check the result."""
    try:
        __salt__["glance_image.image_upload"](image["id"], source, auth=auth)
    except CommandExecutionError as exc:
        landed = None
        if __utils__["openstack_client.maybe_applied"](exc):
            # The answer was lost: the data may be stored. Look before anything else.
            try:
                landed = __salt__["glance_image.image_get"](image["id"], auth=auth)
            except CommandExecutionError:
                landed = None
        if not landed or (landed.get("status"), landed.get("checksum")) != ("active", checksum):
            return _after_failure(ret, name, image, exc, created, auth, stale_after)
        log.warning("image '%s': %s; Glance holds the data: taken as uploaded", name, exc)
    after = __salt__["glance_image.image_get"](image["id"], auth=auth)
    ret["changes"] = {"old": old, "new": shown(after)}
    if after.get("status") != "active" or after.get("checksum") != checksum:
        return _failed(
            ret,
            f"image '{name}' (id {image['id']}) was uploaded but Glance reports status "
            f"{after.get('status')} and checksum {after.get('checksum')}, not active with "
            f"{checksum}",
        )
    return ret


def _create(ret, name, source, checksum, wanted, auth, stale_after):
    if __opts__["test"]:
        new = dict(wanted)
        if checksum is None:
            new["checksum"] = f"(md5 of {source}, not downloaded yet)"
        return _would(
            ret,
            {"old": None, "new": new},
            f"Image '{name}' would be created and {source} uploaded into it",
        )
    started = time.monotonic()
    try:
        created = __salt__["glance_image.image_create"](
            name,
            wanted["disk_format"],
            wanted["container_format"],
            visibility=wanted["visibility"],
            auth=auth,
        )
    except CommandExecutionError as exc:
        if not __utils__["openstack_client.maybe_applied"](exc):
            raise
        created = _made_after_lost(name, wanted, exc, started, auth)
    ret = _upload_and_check(
        ret, name, created, source, checksum, auth, None, stale_after, created=True
    )
    if ret["result"] is not False:
        ret["comment"] = f"Image '{name}' created (id {created['id']}) and {source} uploaded"
    return ret


def _fill_queued(ret, name, image, source, checksum, auth, stale_after):
    old = shown(image)
    if __opts__["test"]:
        return _would(
            ret,
            {"old": old, "new": {"status": "active", "checksum": checksum}},
            f"Image '{name}' (id {image['id']}) has no data yet (queued): "
            f"{source} would be uploaded into it",
        )
    ret = _upload_and_check(ret, name, image, source, checksum, auth, old, stale_after)
    if ret["result"] is not False:
        ret["comment"] = f"Image '{name}' (id {image['id']}) had no data: {source} uploaded"
    return ret


def _converge_active(ret, name, image, visibility, auth):
    """The image holds the right data: only its visibility can still be corrected."""
    if image.get("visibility") == visibility:
        ret["comment"] = (
            f"Image '{name}' (id {image['id']}) is already active with checksum "
            f"{image.get('checksum')}"
        )
        return ret
    changes = {"old": {"visibility": image.get("visibility")}, "new": {"visibility": visibility}}
    if __opts__["test"]:
        return _would(ret, changes, f"Image '{name}' (id {image['id']}) would be made {visibility}")
    updated = __salt__["glance_image.image_update"](image["id"], visibility=visibility, auth=auth)
    ret["changes"] = {"old": changes["old"], "new": {"visibility": updated.get("visibility")}}
    if updated.get("visibility") != visibility:
        return _failed(ret, f"Glance did not make image '{name}' {visibility}")
    ret["comment"] = f"Image '{name}' (id {image['id']}) made {visibility}"
    return ret


def _formats_differ(image, disk_format, container_format):
    return [
        f"{field} {image.get(field)} (wanted {value})"
        for field, value in (("disk_format", disk_format), ("container_format", container_format))
        if image.get(field) != value
    ]


def _without_data(ret, name, found, source, problem, wanted, auth, stale_after):
    """The file is missing or wrong: fail, or in a dry run say what is not known yet."""
    if not __opts__["test"]:
        return _failed(ret, problem)
    if not found:
        return _create(ret, name, source, None, wanted, auth, stale_after)
    return _would(ret, {}, f"{problem}; image '{name}' (id {found[0]['id']}) not compared yet")


def _replace_stale(ret, name, image, age, source, checksum, wanted, auth, stale_after):
    """Delete the dead upload ``image`` and create the image again."""
    old = shown(image)
    what = (
        f"image '{name}' (id {image['id']}) is saving without data, last updated {age:.0f}s "
        f"ago (stale_after {stale_after:g}s): an upload that died"
    )
    if __opts__["test"]:
        return _would(
            ret,
            {"old": old, "new": dict(wanted)},
            f"{what}; it would be deleted, and the image created again and {source} "
            "uploaded into it",
        )
    __salt__["glance_image.image_delete"](image["id"], auth=auth)
    ret = _create(ret, name, source, checksum, wanted, auth, stale_after)
    ret["changes"] = {"old": old, "new": ret["changes"].get("new")}
    ret["comment"] = f"{what}: deleted. {ret['comment']}"
    return ret


def _not_ready(image, status, age, stale_after):
    """Why an image neither queued nor active is left alone."""
    if status == "saving" and not image.get("checksum"):
        if age is None:
            return (
                f"it is saving and its updated_at ({image.get('updated_at')}) cannot be read: "
                f"if no upload is under way, delete it (`glance image-delete {image['id']}`) "
                "and run the state again"
            )
        return (
            f"it is saving, last updated {age:.0f}s ago: an upload may be under way. Once "
            f"it has not been updated for stale_after ({stale_after:g}s), a run deletes it "
            "and creates it again"
        )
    if status in BUSY:
        return "another upload is under way; run the state again once it is active"
    return f"delete it (`glance image-delete {image['id']}`) and run the state again"


def _existing(ret, name, image, source, checksum, wanted, auth, stale_after):
    """The one image called ``name``: fill it, keep it, replace a dead upload, or say why not."""
    status = image.get("status")
    if status == "queued":
        return _fill_queued(ret, name, image, source, checksum, auth, stale_after)
    stale, age = _stale(image, stale_after)
    if stale:
        return _replace_stale(ret, name, image, age, source, checksum, wanted, auth, stale_after)
    if status != "active":
        why = _not_ready(image, status, age, stale_after)
        return _failed(ret, f"image '{name}' (id {image['id']}) is {status}: {why}")
    if image.get("checksum") != checksum:
        return _failed(ret, _conflict(name, image, source, checksum))
    differ = _formats_differ(image, wanted["disk_format"], wanted["container_format"])
    if differ:
        return _failed(
            ret,
            f"image '{name}' (id {image['id']}) holds the right data but has "
            + ", ".join(differ)
            + ": formats cannot change once uploaded; delete it and run the state again",
        )
    return _converge_active(ret, name, image, wanted["visibility"], auth)


def _decide(ret, name, found, source, checksum, problem, wanted, auth, stale_after):
    """Compare the images named ``name`` with the wanted one, and act."""
    if len(found) > 1:
        ids = ", ".join(sorted(i["id"] for i in found))
        return _failed(
            ret,
            f"{len(found)} images are named '{name}' ({ids}): delete all but the right one "
            "(`glance image-delete <id>`) so that the name means one image",
        )
    # In a dry run a missing file whose md5 is the source_hash still compares.
    if problem and (not __opts__["test"] or checksum is None):
        return _without_data(ret, name, found, source, problem, wanted, auth, stale_after)
    if not found:
        return _create(ret, name, source, checksum, wanted, auth, stale_after)
    return _existing(ret, name, found[0], source, checksum, wanted, auth, stale_after)


def present(
    name,
    source,
    source_hash,
    disk_format="qcow2",
    container_format="bare",
    visibility="public",
    cache_dir=None,
    size=None,
    timeout=10,
    deadline=300,
    stale_after=3600,
    auth=None,
):
    """
    Ensure one image called ``name`` holds the data of ``source``.

    name
        The image's name (what ``glance image-list`` shows); one image per name.
    source
        A URL (http, https, ftp, salt) or the absolute path of the image file on the
        minion. A URL is downloaded once into ``cache_dir`` (not in test mode).
    source_hash
        The file's digest, ``<type>=<hex>`` (``md5=...``, ``sha256=...``) or bare hex; the
        file is checked against it before anything is uploaded.
    cache_dir
        Where downloaded files are kept (default: ``glance_images`` in the minion's
        cachedir); a file there with the right hash is not downloaded again. The file's
        name is the URL's (``download_cache.locate``): a URL with a query string, a
        fragment, a trailing ``/`` or no file name is refused.
    size
        The file's size in bytes, required for a URL source: the download stops as soon
        as it passes it and fails when it ends short.
    timeout
        Seconds each connect and read of the download may wait (default 10).
    deadline
        Seconds the whole download may take (default 300).
    stale_after
        Seconds after which an image of that name that is ``saving`` without a checksum,
        and that Glance has not updated since (its ``updated_at``), is an upload that died
        (Glance killed while writing it): it is deleted and the image created again
        (default 3600). A younger one fails the state: an upload may be under way.
    disk_format
        ``qcow2`` (default), ``raw``, ``vmdk``, ``vdi``, ``iso``, ``vhd``, ``ami``...
    container_format
        ``bare`` (default), ``ovf``, ``ami``...
    visibility
        ``public`` (default, the runbook's ``--is-public true``) or ``private``.
    auth
        Credentials overriding ``glance:auth`` (password auth; see the execution module).
    """
    ret = __utils__["state_return.start"](name)
    problem = _validate(name, source, source_hash, disk_format, container_format, visibility, size)
    path = None
    if problem is None and _is_url(source):
        cache_dir = cache_dir or os.path.join(__opts__["cachedir"], "glance_images")
        cached = __salt__["download_cache.locate"](source, cache_dir)
        path, problem = cached["path"], cached["problem"] and f"image '{name}': {cached['problem']}"
    seconds = isinstance(stale_after, (int, float)) and not isinstance(stale_after, bool)
    if problem is None and not (seconds and stale_after >= 0):
        problem = f"image '{name}': stale_after must be a number of seconds, not '{stale_after}'"
    if problem:
        return _failed(ret, problem)
    download = {"size": size, "timeout": timeout, "deadline": deadline}
    try:
        source, checksum, problem, note = _local_data(name, source, source_hash, path, download)
        wanted = _wanted(name, checksum, disk_format, container_format, visibility)
        try:
            found = __salt__["glance_image.image_list"](name=name, auth=auth)
        except CommandExecutionError as exc:
            # Only a Glance (or Keystone) that does not answer yet is "not checked";
            # refused credentials or an API error fail the dry run as they fail a real one.
            if not __opts__["test"]:
                raise
            verb = f"created and uploaded (md5 {checksum or 'unknown'})"
            return __utils__["state_return.error"](
                ret, exc, True, f"image '{name}'", verb, prefix=True
            )
        ret = _decide(ret, name, found, source, checksum, problem, wanted, auth, stale_after)
        ret["comment"] += note
        return ret
    except CommandExecutionError as exc:
        return _failed(ret, f"image '{name}': {exc}")


def absent(name, auth=None):
    """
    Ensure no image is called ``name`` (every image of that name is deleted).

    name
        The image's name.
    auth
        Credentials overriding ``glance:auth``.
    """
    ret = __utils__["state_return.start"](name)
    return __utils__["state_return.absent"](
        ret,
        f"Image '{name}'",
        lambda: __salt__["glance_image.image_list"](name=name, auth=auth),
        functools.partial(__salt__["glance_image.image_delete"], auth=auth),
        __opts__["test"],
        fields=("name", "id", "checksum"),
    )
