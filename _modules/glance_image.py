"""
Glance Image API v2: list, create, upload, update and delete images.

The I/O of the ``glance_image`` state module. Only the calls both Icehouse's Glance and
today's serve: ``GET /v2/images?name=...``, ``POST /v2/images``, ``PUT /v2/images/{id}/file``
(``application/octet-stream``), ``PATCH /v2/images/{id}`` (JSON patch, v2.1 media type) and
``DELETE /v2/images/{id}``.

:depends: keystoneauth1, through the shared OpenStack client ``_utils/openstack_client.py``

Authentication
--------------
Password auth: the token must carry the catalog, where the image endpoint is found
(service type ``image``). Settings come from the ``glance:auth`` block of pillar or minion
config, overridden key by key by the ``auth`` argument every function takes; the keys are
those of the shared client (``auth_url``, ``username``, ``password``, ``project_name``,
``region_name``, ``interface``, ``retry_timeout``, ``timeout``, ``verify``):

.. code-block:: yaml

    glance:
      auth:
        auth_url: http://cn43.internal:35357/v3
        username: admin
        password: <ADMIN_PASS>
        project_name: admin

Failures are ``CommandExecutionError`` messages free of passwords and tokens: Glance or
Keystone not answering is retried for ``retry_timeout`` seconds (default 60) before giving up
(in a ``test=True`` run: asked once, as nothing would start them meanwhile).
"""

import hashlib
import json
import logging
import os
import urllib.parse

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "glance_image"

SERVICE_TYPE = "image"
CONFIG_KEY = "glance:auth"
HASH_TYPES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
CHUNK = 1 << 20


def __virtual__():
    # keystoneauth1 is imported by the shared client alone, which says when it is missing.
    return __utils__["openstack_client.virtual"](__virtualname__)


def _client(fun):
    return __utils__[f"openstack_client.{fun}"]


def _settings(auth):
    config = None
    if "config.get" in __salt__:
        config = __salt__["config.get"](CONFIG_KEY, {}) or None
    return _client("resolve")(config, auth, where=CONFIG_KEY, dry_run=__opts__.get("test"))


def _request(settings, method, path, **kwargs):
    return _client("request")(
        __context__, settings, method, path, service_type=SERVICE_TYPE, **kwargs
    )


def image_list(name=None, auth=None):
    """
    List the images the credentials see, all of them or those called ``name`` (Glance
    allows several images of one name). Follows Glance's ``next`` links.

    CLI Example:

    .. code-block:: bash

        salt cn43 glance_image.image_list
        salt cn43 glance_image.image_list name='CirrOS Test Image'
    """
    settings = _settings(auth)
    path = "/v2/images"
    if name is not None:
        path += "?" + urllib.parse.urlencode({"name": name})
    images = _client("get_all")(__context__, settings, path, "images", service_type=SERVICE_TYPE)
    if name is not None:
        images = [image for image in images if image.get("name") == name]
    return images


def image_get(image_id, auth=None):
    """
    Return one image by id.

    CLI Example:

    .. code-block:: bash

        salt cn43 glance_image.image_get 6a1b...
    """
    settings = _settings(auth)
    return _request(settings, "GET", "/v2/images/" + urllib.parse.quote(image_id)).json()


def image_create(name, disk_format, container_format, visibility="private", auth=None):
    """
    Create an image record (status ``queued``, no data yet) and return it.

    CLI Example:

    .. code-block:: bash

        salt cn43 glance_image.image_create 'CirrOS Test Image' qcow2 bare visibility=public
    """
    settings = _settings(auth)
    body = {
        "name": name,
        "disk_format": disk_format,
        "container_format": container_format,
        "visibility": visibility,
    }
    created = _request(settings, "POST", "/v2/images", body=body, expect=(201,)).json()
    log.info("glance_image: created image '%s' (id %s)", name, created.get("id"))
    return created


def image_upload(image_id, path, auth=None):
    """
    Upload the file at ``path`` as the data of a ``queued`` image.

    CLI Example:

    .. code-block:: bash

        salt cn43 glance_image.image_upload 6a1b... /var/cache/hltcloud/images/cirros.img
    """
    settings = _settings(auth)
    try:
        handle = open(path, "rb")  # pylint: disable=consider-using-with
    except OSError as exc:
        raise CommandExecutionError(f"cannot read image file {path}: {exc.strerror}") from None
    with handle:
        _request(
            settings,
            "PUT",
            f"/v2/images/{urllib.parse.quote(image_id)}/file",
            data=handle,
            headers={"Content-Type": "application/octet-stream"},
            expect=(204,),
        )
    log.info("glance_image: uploaded %s into image %s", path, image_id)
    return True


def image_update(image_id, auth=None, **fields):
    """
    Replace top-level fields of an image (e.g. ``visibility``) and return it.

    CLI Example:

    .. code-block:: bash

        salt cn43 glance_image.image_update 6a1b... visibility=public
    """
    settings = _settings(auth)
    patch = [
        {"op": "replace", "path": "/" + key, "value": value}
        for key, value in sorted(fields.items())
        if not key.startswith("__")
    ]
    return _request(
        settings,
        "PATCH",
        "/v2/images/" + urllib.parse.quote(image_id),
        data=json.dumps(patch),
        headers={"Content-Type": PATCH_TYPE},
        expect=(200,),
    ).json()


def image_delete(image_id, auth=None):
    """
    Delete an image and its data.

    CLI Example:

    .. code-block:: bash

        salt cn43 glance_image.image_delete 6a1b...
    """
    settings = _settings(auth)
    _request(settings, "DELETE", "/v2/images/" + urllib.parse.quote(image_id), expect=(204,))
    log.info("glance_image: deleted image %s", image_id)
    return True


def file_hashes(path, *hash_types, missing_ok=False):
    """
    The hex digests of the file at ``path``, one pass: ``{hash_type: digest}``
    (default: md5, what Glance reports as an image's ``checksum``); with ``missing_ok``,
    None when there is no file at ``path``.

    CLI Example:

    .. code-block:: bash

        salt cn43 glance_image.file_hashes /var/cache/hltcloud/images/cirros.img md5 sha256
    """
    hash_types = tuple(dict.fromkeys(hash_types or ("md5",)))
    unknown = [t for t in hash_types if t not in HASH_TYPES]
    if unknown:
        raise CommandExecutionError(
            "unknown hash type(s) {}: use one of {}".format(
                ", ".join(unknown), ", ".join(HASH_TYPES)
            )
        )
    if missing_ok and not os.path.isfile(path):
        return None
    digests = {t: hashlib.new(t) for t in hash_types}
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                for digest in digests.values():
                    digest.update(block)
    except OSError as exc:
        raise CommandExecutionError(f"cannot read image file {path}: {exc.strerror}") from None
    return {t: d.hexdigest() for t, d in digests.items()}


def file_remove(path):
    """
    Remove the image file at ``path`` (a download that is not the wanted image); True
    when it was there.

    CLI Example:

    .. code-block:: bash

        salt cn43 glance_image.file_remove /var/cache/hltcloud/images/cirros.img
    """
    try:
        os.remove(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CommandExecutionError(f"cannot remove image file {path}: {exc.strerror}") from None
    return True
