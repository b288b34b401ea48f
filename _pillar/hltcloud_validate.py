"""
Validate the inventory and a minion's pillar on the master, before any state renders.

An ext_pillar (``etc/salt/master``: ``ext_pillar: [{hltcloud_validate: {}}]``): it runs
after the pillar SLS files, receives the pillar they compiled for the minion, and checks
it and the inventory with the one schema of ``_modules/hltcloud.py``. Each problem becomes
a line of the pillar's ``_errors``, so Salt refuses every state run of that minion with
just those lines (never a Jinja traceback, never a secret's value) and nothing changes.

A minion whose id is not an inventory node's (``hltcloud.node_name``) keeps nothing of its
pillar (``secrets``, ``keystone``, ``nova``... all carry secrets), whatever put it there:
pillar/top.sls gives it nothing, and this is the second lock on the same door.
"""

import logging

log = logging.getLogger(__name__)

__virtualname__ = "hltcloud_validate"


def __virtual__():
    return __virtualname__


def ext_pillar(minion_id, pillar, *args, **kwargs):  # pylint: disable=unused-argument
    """
    Return ``{"_errors": [...]}`` when the data is unsound, ``{key: None}`` for every key of
    the pillar (merged over it: the values are gone) for an id outside the inventory, else
    nothing.
    """
    if "hltcloud.check" not in __salt__:
        problems = [
            "hltcloud_validate: the hltcloud execution module is not loaded on the master "
            "(etc/salt/master needs module_dirs: [_modules])"
        ]
    else:
        data = {k: v for k, v in (pillar or {}).items() if k != "_errors"}
        problems = __salt__["hltcloud.check"](
            __opts__.get("hltcloud_inventory"), data, minion_id, __grains__
        )
    inventory = __opts__.get("hltcloud_inventory")
    # without the module (a problem said above) every id counts as an outsider: fail closed
    outsider = "hltcloud.node_name" not in __salt__ or (
        __salt__["hltcloud.node_name"](inventory, minion_id) is None
    )
    dropped = {key: None for key in (pillar or {}) if key != "_errors"} if outsider else {}
    if any(value is not None for value in (pillar or {}).values()) and dropped:
        log.error("hltcloud_validate: %s is not an inventory node: its pillar dropped", minion_id)
    if not problems:
        return dropped
    for problem in problems:
        log.error("hltcloud_validate: %s: %s", minion_id, problem)
    earlier = (pillar or {}).get("_errors") or []
    return {**dropped, "_errors": list(earlier) + [p for p in problems if p not in earlier]}
