"""
The self-heal's publisher on the master: ``heal_gate.dispatch`` publishes the heals the
reactor queued (reactor/bridge_gateway.sls, ``heal_gate.enqueue``, _utils/heal_queue.py),
one ``selfheal.heal`` job to the list of every id queued, again until the queue is empty.

The reactor starts it as a runner reaction, so it runs in the reactor's worker pool
(``reactor_worker_threads``, ``reactor_worker_hwm`` in etc/salt/master), not in the loop that
renders the events: while it publishes, the next events are rendered and queued, and the
next publish takes them all. An id is published only when it is exactly an inventory compute
node's (as the reactor checked it); a publish that fails ends its nodes' holds, so their
beacons' next events queue them again.

CLI Example (by hand it publishes whatever is queued, unless a dispatcher runs):

.. code-block:: bash

    salt-run heal_gate.dispatch
"""

import logging

import salt.client

log = logging.getLogger(__name__)

__virtualname__ = "heal_gate"


def __virtual__():
    return __virtualname__


def _compute_check():
    """Whether an id is exactly an inventory compute node's, as a plain function: the
    dispatcher, a ``__utils__`` function, calls it in the utils loader's context, where
    this module's ``__opts__`` and ``__utils__`` are not the ones it reads."""
    inventory = __opts__.get("hltcloud_inventory") or {}
    node_name = __utils__["hltcloud_ids.node_name"]

    def compute(minion_id):
        name = node_name(inventory, minion_id)
        return bool(name) and inventory["nodes"][name].get("role") == "compute"

    return compute


def dispatch(led=False):
    """
    Publish the queued heals, one job per batch; the ids published, failed and dropped.
    ``led``: the caller already is the dispatcher (the reactor's event that became it);
    otherwise this call becomes it, or does nothing while another one runs.

    CLI Example:

    .. code-block:: bash

        salt-run heal_gate.dispatch
    """
    cachedir = __opts__["cachedir"]
    if not led and not __utils__["heal_queue.lead"](cachedir):
        return {"comment": "a heal dispatcher is running: it publishes what is queued"}
    clients = []  # made at the first publish: an error there still releases the dispatcher

    def publish(ids):
        if not clients:
            clients.append(salt.client.get_local_client(mopts=__opts__))
        try:
            jid = clients[0].cmd_async(ids, "selfheal.heal", tgt_type="list")
        except Exception as exc:  # pylint: disable=broad-except
            log.error("heal_gate: the heal of %s was not published: %s", ", ".join(ids), exc)
            return False
        if not jid:
            log.error("heal_gate: the heal of %s was not published", ", ".join(ids))
            return False
        log.info("heal_gate: heal of %d node(s) published as job %s", len(ids), jid)
        return True

    try:
        return __utils__["heal_queue.dispatch"](cachedir, publish, allowed=_compute_check())
    finally:
        for client in clients:
            client.destroy()
