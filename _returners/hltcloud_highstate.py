"""
Returner: the node keeps its own last highstate (``_utils/highstate_record.py``), so that
``salt-run hlt.status`` reads it from ``hltcloud.report`` instead of scanning the master's
job cache.

Every node runs it after each of its jobs: etc/salt/minion names it as the minion's default
``return`` (for ``salt-call`` too). Jobs that are not a real highstate return at once.

CLI Example:

.. code-block:: bash

    salt cn44.internal state.apply --return hltcloud_highstate
"""

import logging

import salt.loader

log = logging.getLogger(__name__)

__virtualname__ = "hltcloud_highstate"

FUNCTIONS = ("state.highstate", "state.apply")


def __virtual__():
    return __virtualname__


def returner(ret):
    """Keep ``ret`` as the node's last highstate when it is one (see the module)."""
    if ret.get("fun") not in FUNCTIONS:
        return
    utils = salt.loader.utils(__opts__, whitelist=["highstate_record"])
    try:
        utils["highstate_record.record"](__opts__, ret)
    except OSError as exc:
        log.error("Could not keep the last highstate of job %s: %s", ret.get("jid"), exc)
