"""
The first state of every highstate (``salt/validate.sls``): the inventory, this node's
entry and its pillar pass the one schema of ``_modules/hltcloud.py``, or the run stops
(``failhard``) before anything changes, with one line per problem.
"""

__virtualname__ = "hltcloud_validate"


def __virtual__():
    if "hltcloud.validate" not in __salt__:
        return (False, "hltcloud_validate: the hltcloud execution module is not loaded")
    return __virtualname__


def checked(name):
    """
    Fail when the cluster's data is unsound; changes nothing either way.

    .. code-block:: yaml

        hltcloud-data-validated:
          hltcloud_validate.checked:
            - failhard: true
            - order: 1
    """
    ret = {"name": name, "changes": {}, "result": True, "comment": ""}
    report = __salt__["hltcloud.validate"]()
    if report["errors"]:
        ret["result"] = False
        ret["comment"] = "\n".join(report["errors"])
    else:
        ret["comment"] = "The inventory, this node's entry and its pillar are valid."
    return ret
