"""
The accounts of one MySQL / MariaDB user name, kept at a list of hosts only: every account of
that name at any other host is dropped, whichever hosts the server holds (a fixed list of
``mysql_user.absent`` states misses an account under a host name it does not know, such as the
one the node had when the server was installed).

.. code-block:: yaml

    mariadb-anonymous-accounts-absent:
      mysql_accounts.confined:
        - name: ""
        - hosts: []
        - connection_default_file: /root/.my.cnf

    mariadb-remote-root-accounts-absent:
      mysql_accounts.confined:
        - name: root
        - hosts: [localhost, 127.0.0.1, "::1"]
        - connection_default_file: /root/.my.cnf

And ``login``: a user's password opens a session (orch.rotate's check of a new database
password), read-only, through ``mysql_login.check``.

Reads the accounts with saltext-mysql's ``mysql.user_list`` and drops each one outside
``hosts`` with ``mysql.user_remove`` (``DROP USER``, which takes its privileges too), then reads
them again. Already right: result True, no changes, under test=True too; a dry run names the
accounts it would drop (result None). Host names compare case-blind, as the server's do.
The ``connection_*`` arguments are those of the ``mysql_*`` states; they appear in no comment
or change (the server's errors name the account, never its password).
"""

from salt.exceptions import CommandExecutionError

__virtualname__ = "mysql_accounts"


def __virtual__():
    if "mysql.user_list" in __salt__ and "mysql.user_remove" in __salt__:
        return __virtualname__
    return (False, "mysql_accounts: Salt's mysql execution module (saltext-mysql) is not loaded")


def _account(user, host):
    return f"'{user}'@'{host}'"


def _text(value):
    """A column as str: the module's connection may hand back bytes (use_unicode off)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _mysql_error():
    """
    The mysql module's last error (it keeps it in __context__ instead of raising); a
    ``(format, *args)`` tuple, as its user_remove leaves one, formatted.
    """
    err = __context__.pop("mysql.error", None)
    if isinstance(err, tuple) and err and isinstance(err[0], str):
        try:
            return err[0] % err[1:]
        except (TypeError, ValueError):
            return " ".join(str(part) for part in err)
    return str(err) if err else None


def _hosts(name, connection, again=""):
    """The sorted hosts of every account of user ``name``; CommandExecutionError, one line."""
    _mysql_error()
    rows = __salt__["mysql.user_list"](**connection)
    err = _mysql_error()
    if err or not rows:
        # mysql.user is never empty (the connecting account is in it): it could not be read
        who = _who(name)
        raise CommandExecutionError(
            f"the accounts of {who} could not be read{again}: {err or 'mysql.user read no rows'}"
        )
    return sorted(_text(row["Host"]) for row in rows if _text(row["User"]) == name)


def _who(name):
    return "anonymous" if name == "" else name


def _connection(name, hosts, kwargs):
    """The connection_* arguments, once the input is valid; CommandExecutionError if not."""
    if not isinstance(name, str):
        raise CommandExecutionError(f"name must be a user name (a string), not {name!r}")
    if isinstance(hosts, str) or not all(isinstance(h, str) and h for h in hosts):
        raise CommandExecutionError(
            f"hosts of {_who(name)} must be a list of host names, not {hosts!r}"
        )
    unknown = sorted(k for k in kwargs if not k.startswith(("connection_", "__")))
    if unknown:
        raise CommandExecutionError(
            f"unknown arguments: {', '.join(unknown)} (only connection_* ones)"
        )
    return {k: v for k, v in kwargs.items() if k.startswith("connection_")}


def confined(name, hosts=(), **kwargs):
    """
    Every account of user ``name`` (``""``: the anonymous accounts) is at one of ``hosts``;
    the others are dropped. ``hosts`` empty: no account of that name is left.
    ``connection_*``: how to reach the server, as in saltext-mysql's states.
    """
    ret = {"name": name, "result": False, "changes": {}, "comment": ""}
    try:
        connection = _connection(name, hosts, kwargs)
        keep = {h.lower() for h in hosts}
        kept = f" (kept: {', '.join(hosts)})" if hosts else ""
        before = _hosts(name, connection)
        extra = [h for h in before if h.lower() not in keep]
        if not extra:
            ret["result"] = True
            ret["comment"] = f"no {_who(name)} account" + (
                f" outside {', '.join(hosts)}" if hosts else ""
            )
            return ret
        dropped = ", ".join(_account(name, h) for h in extra)
        if __opts__["test"]:
            ret["result"] = None
            ret["changes"] = {"old": before, "new": [h for h in before if h.lower() in keep]}
            ret["comment"] = f"would drop {dropped}{kept}"
            return ret
        errors = []
        for host in extra:
            if not __salt__["mysql.user_remove"](name, host, **connection):
                errors.append(f"{_account(name, host)}: {_mysql_error() or 'not dropped'}")
        after = _hosts(name, connection, " again")
    except CommandExecutionError as err:
        ret["comment"] = str(err)
        return ret
    if after != before:
        ret["changes"] = {"old": before, "new": after}
    left = [h for h in after if h.lower() not in keep]
    if left:
        why = "; ".join(errors) or "no error from the server"
        ret["comment"] = (
            f"{', '.join(_account(name, h) for h in left)} still there after DROP USER ({why})"
        )
        return ret
    ret["result"] = True
    ret["comment"] = f"dropped {dropped}{kept}"
    return ret


def login(name, password, unix_socket=None, host=None, port=3306):
    """
    Check that user ``name`` logs in with ``password`` over ``unix_socket`` (or TCP to
    ``host``:``port``); change nothing. Under ``test=True`` a refused login is result None (the
    steps before it may not have run yet). orch.rotate's last step for a database password.

    .. code-block:: yaml

        rotate-keystone-database-login-checked:
          mysql_accounts.login:
            - name: keystone
            - password: <secrets:keystone_dbpass>
            - unix_socket: /var/lib/mysql/mysql.sock
    """
    ret = {"name": name, "changes": {}, "result": True, "comment": ""}
    if "mysql_login.check" not in __salt__:
        ret.update(result=False, comment="mysql_login: PyMySQL is not installed")
        return ret
    answer = __salt__["mysql_login.check"](
        name, password, unix_socket=unix_socket, host=host, port=port
    )
    where = unix_socket or f"{host}:{port}"
    if answer["ok"]:
        ret["comment"] = (
            f"user '{name}' logs in with its password over {where} as {answer['account']}"
        )
        return ret
    ret["result"] = None if __opts__["test"] else False
    ret["comment"] = f"user '{name}' cannot log in with its password: {answer['error']}"
    return ret
