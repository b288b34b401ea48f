"""
The reactor's side of the self-heal on the master: which beacon events queue a heal, and
whether to start the dispatcher that publishes them (``_utils/heal_queue.py``).

A node whose gateway address is missing fires its beacon every ``repeat`` seconds (5) until
the address is back, and a switch flap takes it from every node at once. reactor/
bridge_gateway.sls calls :func:`enqueue` for an inventory compute node's event:

- the node's first event queues its heal, then none for ``hold`` seconds (master option
  ``hltcloud_heal_hold``, default 15: the node's heal timeout, 10 s, and a margin); if the
  address is still missing after that, the next event queues again and the node's own
  cool-down and back-off decide whether it restarts;
- when no dispatcher runs, the event starts one: the reaction ``runner.heal_gate.dispatch``
  (_runners/heal_gate.py), which runs in the reactor's worker pool and publishes everything
  queued as one ``selfheal.heal`` job to that list of ids, until the queue is empty.

Salt's reactor publishes a ``local`` reaction in its own loop, one event at a time, waiting
for the master's answer: in a 40-node flap on two cores that was 150 to 200 ms a publish, the
40th node's heal some 6 s after the first, and 40 publishes each received and decrypted by
all 40 minions. Here the loop only renders: one ``stat`` and, per heal, two small writes.

CLI Example (the reactor calls it on the master; by hand, with the master's cachedir):

.. code-block:: bash

    salt-run salt.cmd heal_gate.enqueue cn44.internal hold=15
"""

from salt.exceptions import SaltInvocationError

__virtualname__ = "heal_gate"


def __virtual__():
    return __virtualname__


def enqueue(minion_id, hold=None):
    """
    Queue a heal of ``minion_id`` unless one is held (for ``hold`` seconds after the last
    one queued); True when the caller must start the dispatcher (none runs), else False.

    CLI Example:

    .. code-block:: bash

        salt-run salt.cmd heal_gate.enqueue cn44.internal hold=15
    """
    try:
        return __utils__["heal_queue.enqueue"](__opts__["cachedir"], minion_id, hold)
    except ValueError as exc:
        raise SaltInvocationError(f"heal_gate: {exc}") from None
