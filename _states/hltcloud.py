"""
The stand-in states of ``salt/macros.jinja`` (``failed()`` and ``pending()``), and ``ready``
for the sound branch of the same ID, with the same answer on Salt 3006.8 (the nodes'
onedir) and 3008.

Salt's ``test.configurable_test_state`` cannot stand in for them on both: 3006.8 reports
``result: False`` as True in test mode, and refuses ``allow_test_mode_failure`` (3007.0) with
"Passed invalid arguments", which stops the whole state run instead of failing one state.
"""

__virtualname__ = "hltcloud"


def __virtual__():
    return __virtualname__


def ready(name, comment=""):
    """
    Succeed and change nothing: the sound branch of an ID that has a ``failed`` or ``pending``
    branch and that another SLS extends (``extend:`` names the state module, so every branch
    of such an ID must be an ``hltcloud`` state).

    .. code-block:: yaml

        keystone-catalog-ready:
          hltcloud.ready:
            - name: Keystone at http://cn43.internal:35357/v3
    """
    return {"name": name, "changes": {}, "result": True, "comment": comment or name}


def failed(name, comment):
    """
    Fail, change nothing and say why: the same in a real run and under ``test=True``. What a
    formula renders instead of its real states when its data is unusable; the other states
    of the run go on (and those that require this one fail with it).

    .. code-block:: yaml

        nova-config-file-managed:
          hltcloud.failed:
            - name: /etc/nova/nova.conf
            - comment: "nova.conf not written: pillar secrets:nova_pass is missing on cn44"
    """
    return {"name": name, "changes": {}, "result": False, "comment": comment}


def pending(name, comment):
    """
    Stand, in a dry run, for states that cannot be checked yet (their server is not running):
    result None with what would be done. A formula renders it only under ``test=True``; a real
    run that gets it anyway fails, as it would have done nothing of what it says.

    .. code-block:: yaml

        keystone-catalog-ready:
          hltcloud.pending:
            - name: the catalog would be converged
            - comment: the catalog would be converged (keystone is not running yet)
    """
    if __opts__["test"]:
        return {"name": name, "changes": {"would": comment}, "result": None, "comment": comment}
    return {
        "name": name,
        "changes": {},
        "result": False,
        "comment": f"Not applied: this state stands in for others only in a dry run: {comment}",
    }
