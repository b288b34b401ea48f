"""
Files downloaded once into a cache directory: where each one is kept, and a bounded download.

The one answer to "which file in the cache is this URL's": ``glance_image.present`` downloads
there, the clean twin ``glance.image.clean`` removes exactly that file, and
``openstack.repo`` keeps its checked RPMs there (all through :func:`locate`, from Python
and from Jinja: ``salt["download_cache.locate"](source, cache_dir)``). A URL whose file name
is not plain (a query string, a fragment, a trailing ``/``, no file name, ``.``/``..``, a
``%``-escape) is refused, never guessed: two such URLs could name one cache file, and an
empty name would name the directory itself.

No third-party library: it loads on a minion whose Salt has not installed its requirements
yet (Jinja renders with it before anything else runs).

CLI Example:

.. code-block:: bash

    salt cn43.internal download_cache.locate \\
        http://cdn.download.cirros-cloud.net/0.3.2/cirros-0.3.2-x86_64-disk.img \\
        /var/cache/hltcloud/images
"""

import contextlib
import logging
import os
import posixpath
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "download_cache"

URL_SCHEMES = ("http", "https", "ftp", "salt")
# A cache file's name: letters, digits, '.', '_', '+', '~', '-'; not starting with '.'.
FILE_NAME = re.compile(r"^[A-Za-z0-9_+~-][A-Za-z0-9._+~-]*$")
PART = ".part"
CHUNK = 1 << 16


def __virtual__():
    return __virtualname__


def _problem(source, cache_dir):
    """Why ``source`` has no file in ``cache_dir``, or None."""
    if not isinstance(cache_dir, str) or not os.path.isabs(cache_dir):
        return f"cache_dir '{cache_dir}' must be an absolute path"
    text = source if isinstance(source, str) else ""
    parts = urllib.parse.urlsplit(text)
    name = posixpath.basename(parts.path)
    # A '?' or '#' with nothing after it leaves urlsplit's query or fragment empty.
    refusals = (
        (parts.scheme not in URL_SCHEMES, "is not a URL (" + ", ".join(URL_SCHEMES) + ")"),
        (parts.query or "?" in text, "has a query string: point it at the file itself"),
        (parts.fragment or "#" in text, "has a fragment ('#...'): leave it out"),
        (parts.path.endswith("/"), "ends with '/': it names a directory, not a file"),
        (not name, "has no file name"),
        (
            not FILE_NAME.match(name) or name.endswith(PART),
            f"has the file name '{name}', not a plain one (letters, digits, '.', '_', '+', "
            f"'~', '-', not starting with '.' nor ending in '{PART}')",
        ),
    )
    for refused, why in refusals:
        if refused:
            return f"source '{source}' {why}"
    return None


def locate(source, cache_dir):
    """
    Where the file of the URL ``source`` is kept in ``cache_dir``:
    ``{"path": "<cache_dir>/<its file name>", "problem": None}``, or
    ``{"path": None, "problem": "<why not, one line>"}`` for a URL that has no plain file
    name (query string, fragment, trailing ``/``, no name). The path is always a file directly
    inside ``cache_dir``, never ``cache_dir`` itself.

    CLI Example:

    .. code-block:: bash

        salt cn43.internal download_cache.locate \\
            http://cdn.download.cirros-cloud.net/0.3.2/cirros-0.3.2-x86_64-disk.img \\
            /var/cache/hltcloud/images
    """
    problem = _problem(source, cache_dir)
    if problem:
        return {"path": None, "problem": problem}
    folder = os.path.normpath(cache_dir)
    path = os.path.join(folder, posixpath.basename(urllib.parse.urlsplit(source).path))
    if os.path.dirname(path) != folder:  # pragma: no cover - FILE_NAME rules it out
        return {"path": None, "problem": f"source '{source}' leaves cache_dir {folder}"}
    return {"path": path, "problem": None}


def _open(source, timeout):
    try:
        return urllib.request.urlopen(source, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise CommandExecutionError(f"cannot download {source}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        raise CommandExecutionError(f"cannot download {source}: {why}") from None


def _declared_length(response):
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _stream(source, response, handle, size, deadline_at):
    """Copy the body to ``handle``; stop past ``size`` bytes or at ``deadline_at``."""
    received = 0
    # read1: one socket read at most, so that the deadline is checked between reads.
    read = getattr(response, "read1", response.read)
    while True:
        if time.monotonic() > deadline_at:
            raise CommandExecutionError(
                f"cannot download {source}: not complete within the deadline "
                f"({received} of {size} bytes)"
            )
        block = read(CHUNK)
        if not block:
            break
        received += len(block)
        if received > size:
            raise CommandExecutionError(
                f"cannot download {source}: it sends more than the expected {size} bytes; stopped"
            )
        handle.write(block)
    if received != size:
        raise CommandExecutionError(
            f"cannot download {source}: {received} bytes, not the expected {size}"
        )


def fetch(source, dest, size, timeout=10, deadline=300):
    """
    Download the http, https or ftp URL ``source`` to ``dest``, expecting exactly ``size``
    bytes: a declared length other than ``size`` is refused before the body, the transfer
    stops as soon as it passes ``size``, and a shorter one fails. Each connect and read waits
    at most ``timeout`` seconds; the whole download ends after ``deadline`` seconds (checked
    between reads, so at the latest ``deadline + timeout``). The data goes to
    ``dest.part``, renamed to ``dest`` once complete; a failure leaves neither file.
    A ``salt://`` source comes from the master (``cp.get_url``) and its size is checked after.

    CLI Example:

    .. code-block:: bash

        salt cn43.internal download_cache.fetch \\
            http://cdn.download.cirros-cloud.net/0.3.2/cirros-0.3.2-x86_64-disk.img \\
            /var/cache/hltcloud/images/cirros-0.3.2-x86_64-disk.img 13167616
    """
    size, timeout, deadline = int(size), float(timeout), float(deadline)
    if size < 0 or timeout <= 0 or deadline <= 0:
        raise CommandExecutionError("size must be >= 0, timeout and deadline > 0")
    scheme = urllib.parse.urlsplit(source).scheme
    if scheme not in URL_SCHEMES:
        raise CommandExecutionError(
            f"cannot download {source}: not a URL (" + ", ".join(URL_SCHEMES) + ")"
        )
    part = dest + PART
    deadline_at = time.monotonic() + deadline
    try:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if scheme == "salt":
            if not __salt__["cp.get_url"](source, part):
                raise CommandExecutionError(f"cannot download {source}: nothing was fetched")
            got = os.path.getsize(part)
            if got != size:
                raise CommandExecutionError(
                    f"cannot download {source}: {got} bytes, not the expected {size}"
                )
        else:
            response = _open(source, timeout)
            with response, open(part, "wb") as handle:
                declared = _declared_length(response)
                if declared is not None and declared != size:
                    raise CommandExecutionError(
                        f"cannot download {source}: it declares {declared} bytes, not the "
                        f"expected {size}; nothing read"
                    )
                _stream(source, response, handle, size, deadline_at)
        os.replace(part, dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.remove(part)
        raise CommandExecutionError(f"cannot download {source}: {exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(part)
        raise
    log.info("download_cache: downloaded %s to %s (%s bytes)", source, dest, size)
    return dest
