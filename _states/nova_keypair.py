"""
Nova keypairs from a public key (the runbook's ``nova keypair-add --pub-key demo-key.pub
demo-key``), matched by name.

.. code-block:: yaml

    nova-keypair-demo-key-present:
      nova_keypair.present:
        - name: demo-key
        - public_key: ssh-rsa AAAA... demo@cn43

A keypair belongs to the user of the credentials (``nova:auth`` or ``auth``). Nova cannot
change the key of a keypair: a different key under the same name fails the state and says
what to do.
"""

__virtualname__ = "nova_keypair"


def __virtual__():
    if "nova_compute.keypair_list" in __salt__:
        return __virtualname__
    return (False, "nova_keypair: the nova_compute execution module is not available")


def _key_material(public_key):
    """The key type and data of an OpenSSH public key line (the comment does not count)."""
    parts = str(public_key or "").split()
    return tuple(parts[:2])


def present(name, public_key, auth=None):
    """
    Ensure the keypair ``name`` exists with ``public_key``.

    name
        The keypair's name (``--key-name`` of ``nova boot``).
    public_key
        One OpenSSH public key line (``ssh-rsa AAAA... comment``).
    auth
        Credentials overriding ``nova:auth`` (the keypair's owner).
    """
    utils = __utils__
    ret = utils["state_return.start"](name)
    label = f"Keypair '{name}'"
    problems = []
    if not isinstance(name, str) or not name.strip():
        problems.append("the name must be a non-empty string")
    if len(_key_material(public_key)) != 2 or not _key_material(public_key)[0].startswith(
        ("ssh-", "ecdsa-")
    ):
        problems.append("public_key must be one OpenSSH public key line (ssh-rsa AAAA... comment)")
    if problems:
        return utils["state_return.invalid"](ret, label, problems)

    def conflict(current):
        if _key_material(current.get("public_key")) == _key_material(public_key):
            return None
        return (
            f"exists with another public key (fingerprint {current.get('fingerprint')}); Nova "
            "cannot change a keypair's key. Delete it (`nova keypair-delete "
            f"{name}` or nova_keypair.absent) and apply again, or use another name"
        )

    def create():
        made = __salt__["nova_compute.keypair_create"](name, public_key.strip(), auth=auth)
        shown = {"name": name, "fingerprint": made.get("fingerprint")}
        return shown, True, f"{label} created (fingerprint {shown['fingerprint']})"

    return utils["state_return.present"](
        ret,
        label,
        lambda: __salt__["nova_compute.keypair_get"](name, auth=auth),
        create,
        __opts__["test"],
        {"name": name},
        conflict=conflict,
    )


def absent(name, auth=None):
    """
    Ensure the keypair ``name`` does not exist.

    name
        The keypair's name.
    auth
        Credentials overriding ``nova:auth``.
    """
    utils = __utils__
    ret = utils["state_return.start"](name)

    def find():
        keypair = __salt__["nova_compute.keypair_get"](name, auth=auth)
        return [keypair] if keypair else []

    def delete(keypair):
        __salt__["nova_compute.keypair_delete"](keypair["name"], auth=auth)

    return utils["state_return.absent_each"](
        ret, f"Keypair '{name}'", find, delete, __opts__["test"], fields=("name", "fingerprint")
    )
