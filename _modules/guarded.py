"""
The file reads and writes of the ``guarded`` states (_states/guarded.py): a state calls
these through ``__salt__`` and does no file I/O itself. Each takes absolute paths only.

CLI Example:

.. code-block:: bash

    salt-call guarded.exists /etc/dhcp/dhclient-exit-hooks
"""

import os
import shutil

from salt.exceptions import SaltInvocationError

__virtualname__ = "guarded"


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

        salt-call guarded.exists /etc/dhcp/dhclient-exit-hooks
    """
    _absolute(path)
    return os.path.lexists(path)


def read(path):
    """
    The bytes of the file ``path``, or None when there is no file.

    CLI Example:

    .. code-block:: bash

        salt-call guarded.read /etc/sysconfig/network-scripts/ifcfg-em1
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

        salt-call guarded.remove /etc/dhcp/dhclient-exit-hooks
    """
    _absolute(path)
    os.remove(path)
    return not os.path.lexists(path)


def copy(source, name):
    """
    Copy ``source`` to ``name``: parent directories made, mode, times, owner and group kept.

    CLI Example:

    .. code-block:: bash

        salt-call guarded.copy /etc/sysconfig/network-scripts/ifcfg-em1 /root/ifcfg-em1
    """
    _absolute(source, name)
    os.makedirs(os.path.dirname(name), exist_ok=True)
    shutil.copy2(source, name)
    stat = os.stat(source)
    os.chown(name, stat.st_uid, stat.st_gid)
    return True


def write(path, data):
    """
    Write the bytes ``data`` over the existing file ``path`` (it keeps its mode and owner).

    CLI Example (from Python; the data is bytes):

    .. code-block:: python

        __salt__["guarded.write"]("/etc/sysconfig/network-scripts/ifcfg-em1", b"DEVICE=em1\\n")
    """
    _absolute(path)
    with open(path, "wb") as handle:
        handle.write(data)
    return True
