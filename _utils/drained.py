"""
The kill switch's lasting mark, read one way everywhere: its grain's name and what its value
means. compute.killswitch sets the grain (``grains.present``, so ``grains.setval``: written
to the minion's grains file, ``/etc/salt/grains``); compute.resume removes it.

One meaning, Salt's ``to_bool`` (the Jinja filter; this module calls the same function), the
same on Salt 3006.8 and 3008:

- drained: True, ``"true"``, ``"yes"``, ``"1"`` (any case), an integer above 0;
- not drained: absent, None, False, ``""``, ``"false"``, ``"no"``, ``"0"``, 0, and every
  other string (``"on"``, ``"drained"``, ``" true"``) or scalar (a float: 1.0).

Readers: ``selfheal.drain_mark`` (compute/drained.jinja, so every state; ``selfheal.heal``,
``selfheal.status``, the ``bridge_gateway`` beacon) and ``hltcloud.report`` (so
``salt-run hlt.status``). Reached as ``__utils__["drained.<function>"]``.
"""

import logging
import os

import salt.utils.jinja
import yaml

log = logging.getLogger(__name__)

GRAIN = "hltcloud_drained"


def means_drained(value):
    """True when ``value``, the grain's value, marks the node drained (see the module)."""
    return salt.utils.jinja.to_bool(value)


def drained(grains):
    """True when ``grains`` (a grains dict) mark the node drained."""
    return means_drained((grains or {}).get(GRAIN))


def grains_file(opts):
    """The grains file ``grains.setval`` writes: ``grains`` beside the minion's config file
    (or in its config directory)."""
    conf_file = opts.get("conf_file") or ""
    if os.path.isdir(conf_file):
        return os.path.join(conf_file, "grains")
    return os.path.join(os.path.dirname(conf_file), "grains")


def current(opts, grains):
    """
    The mark as it is now: the value in the grains file when the file holds the grain (a
    kill switch that ran after this process loaded its grains wrote it there), else the
    one in ``grains`` (a grain removed from the file but still in stale ``grains`` counts:
    the safe side). Returns ``{"grain", "value", "drained"}``.
    """
    value = (grains or {}).get(GRAIN)
    path = grains_file(opts)
    try:
        with open(path, "rb") as handle:
            stored = yaml.safe_load(handle)  # as Salt's own reader does (grains/extra.py)
    except FileNotFoundError:
        stored = None
    except (OSError, yaml.YAMLError) as exc:
        log.warning("drained: cannot read %s (%s); using the loaded grains", path, exc)
        stored = None
    if isinstance(stored, dict) and GRAIN in stored:
        value = stored[GRAIN]
    return {"grain": GRAIN, "value": value, "drained": means_drained(value)}
