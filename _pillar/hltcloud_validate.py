"""
Validate the inventory and a minion's pillar on the master, before any state renders.

An ext_pillar (``etc/salt/master``: ``ext_pillar: [{hltcloud_validate: {}}]``): it runs
after the pillar SLS files, receives the pillar they compiled for the minion, and checks
it and the inventory with the one schema of ``_modules/hltcloud.py``. Each problem becomes
a line of the pillar's ``_errors``, so Salt refuses every state run of that minion with
just those lines (never a Jinja traceback, never a secret's value) and nothing changes.
"""

import logging

log = logging.getLogger(__name__)

__virtualname__ = "hltcloud_validate"


def __virtual__():
    return __virtualname__


def ext_pillar(minion_id, pillar, *args, **kwargs):  # pylint: disable=unused-argument
    """Return ``{"_errors": [...]}`` when the data is unsound, else nothing."""
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
    if not problems:
        return {}
    for problem in problems:
        log.error("hltcloud_validate: %s: %s", minion_id, problem)
    earlier = (pillar or {}).get("_errors") or []
    return {"_errors": list(earlier) + [p for p in problems if p not in earlier]}
