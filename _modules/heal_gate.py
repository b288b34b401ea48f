"""
One heal in flight per node, on the master: the reactor's dedupe for the bridge_gateway
beacon. A node whose gateway address is missing fires its beacon every ``repeat`` seconds (5)
until the address is back; without this gate every one of those events became one more
``selfheal.heal`` job published to it while the first heal was still running (the node
skipped them under its lock and cool-down, but the master published, and the node started,
one job per node per event: when the beacon fired every second, 40 jobs a second in a
40-node switch flap). reactor/
bridge_gateway.sls publishes a heal only when :func:`claim` says so: the first event of a
node, then none for that node for ``hold`` seconds (master option ``hltcloud_heal_hold``,
default 15: the node's heal timeout, 10 s, and a margin); if the address is still missing
after that, the next beacon event claims again and the node's own cool-down and back-off
decide whether it restarts.

The mark is the modification time of one empty file per node under the master's cachedir
(``hltcloud/heal-gate/<minion id>``): one ``stat`` per event, one write per heal sent. The
reactor renders one event at a time, so two events never claim at once.

CLI Example (on the master, what the reactor calls):

.. code-block:: bash

    salt-call --local heal_gate.claim cn44.internal hold=15
"""

import os
import re
import time

from salt.exceptions import SaltInvocationError

__virtualname__ = "heal_gate"
DEFAULT_HOLD = 15
GATE_DIR = ("hltcloud", "heal-gate")
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")


def __virtual__():
    return __virtualname__


def _mark(minion_id):
    if not isinstance(minion_id, str) or not SAFE_ID.match(minion_id):
        raise SaltInvocationError(f"heal_gate: {minion_id!r} is not a minion id")
    return os.path.join(__opts__["cachedir"], *GATE_DIR, minion_id)


def claim(minion_id, hold=None):
    """
    Return True when no heal was sent to ``minion_id`` in the last ``hold`` seconds (then
    mark one sent now); False while one is held.

    CLI Example:

    .. code-block:: bash

        salt-call --local heal_gate.claim cn44.internal hold=15
    """
    hold = float(DEFAULT_HOLD if hold is None else hold)
    path = _mark(minion_id)
    now = time.time()
    try:
        since = now - os.stat(path).st_mtime
    except FileNotFoundError:
        since = None
    if since is not None and 0 <= since < hold:
        return False
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "a", encoding="ascii"):
        pass
    os.utime(path, (now, now))
    return True
