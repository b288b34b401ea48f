"""
The file reads and writes of the ``guarded`` states (_states/guarded.py), which call these
through ``__salt__`` and do no file I/O themselves. Absolute paths only; plain functions,
no check of their own (the states decide when to call them).

CLI Example:

.. code-block:: bash

    salt-call hltcloud_files.exists /etc/dhcp/dhclient-exit-hooks
"""

import os
import shutil
import tempfile

from salt.exceptions import SaltInvocationError

__virtualname__ = "hltcloud_files"


def __virtual__():
    return __virtualname__


def _absolute(*paths):
    for path in paths:
        if not isinstance(path, str) or not os.path.isabs(path):
            raise SaltInvocationError(f"not an absolute path: {path!r}")


def exists(path):
    """
    True when ``path`` is there (a dangling symlink counts).

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud_files.exists /etc/dhcp/dhclient-exit-hooks
    """
    _absolute(path)
    return os.path.lexists(path)


def read(path):
    """
    The bytes of the file ``path``, or None when there is no file.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud_files.read /etc/sysconfig/network-scripts/ifcfg-em1
    """
    _absolute(path)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def remove(path):
    """
    Remove the file ``path``; True when it is gone.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud_files.remove /etc/dhcp/dhclient-exit-hooks
    """
    _absolute(path)
    os.remove(path)
    return not os.path.lexists(path)


def copy(source, name):
    """
    Copy ``source`` to ``name``: parent directories made, mode, times, owner and group kept.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud_files.copy /etc/sysconfig/network-scripts/ifcfg-em1 /root/ifcfg-em1
    """
    _absolute(source, name)
    os.makedirs(os.path.dirname(name), exist_ok=True)
    shutil.copy2(source, name)
    stat = os.stat(source)
    os.chown(name, stat.st_uid, stat.st_gid)
    return True


def replace(path, data):
    """
    Give the existing file ``path`` the bytes ``data`` atomically: a temporary file in the same
    folder, written and synced, with the old file's mode, owner and group, renamed over it (an
    interrupted run or a full disk leaves the old file whole, never an empty one). Called from
    states (the data is bytes).

    .. code-block:: python

        __salt__["hltcloud_files.replace"]("/etc/sysconfig/network-scripts/ifcfg-em1", data)
    """
    _absolute(path)
    stat = os.stat(path)
    handle, temporary = tempfile.mkstemp(prefix=".hltcloud-", dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.st_mode & 0o7777)
        os.chown(temporary, stat.st_uid, stat.st_gid)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return True
