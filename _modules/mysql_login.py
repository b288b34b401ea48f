"""
Whether a MySQL / MariaDB account's password opens a session: what orch.rotate's last step
(salt/rotate/verified.sls, the ``mysql_accounts.login`` state) asks after a database password
changed. Connects with PyMySQL (the driver Salt's mysql modules use on the head) with exactly the
arguments given: no option file and no ``mysql.*`` minion option is read, so root's credentials
file cannot stand in for the password being checked. The password appears in no answer or log;
the server's errors name the account only.
"""

try:
    import pymysql

    HAS_PYMYSQL = True
except ImportError:  # pragma: no cover - the head installs it (mariadb-salt-requirements.txt)
    HAS_PYMYSQL = False

__virtualname__ = "mysql_login"


def __virtual__():
    if HAS_PYMYSQL:
        return __virtualname__
    return (False, "mysql_login: PyMySQL is not installed in the Python that runs Salt")


def check(user, password, unix_socket=None, host=None, port=3306, timeout=10):
    """
    Log in as ``user`` with ``password`` over ``unix_socket`` (or TCP to ``host``:``port``),
    run ``SELECT CURRENT_USER()`` and log out. Return ``{"ok": True, "account": "user@host"}``
    (the account the server matched) or ``{"ok": False, "error": "<the server's message>"}``.

    CLI Example:

    .. code-block:: bash

        salt cn43.internal mysql_login.check keystone <password> \\
            unix_socket=/var/lib/mysql/mysql.sock
    """
    where = unix_socket or f"{host}:{port}"
    try:
        conn = pymysql.connect(
            user=user,
            password=password,
            unix_socket=unix_socket,
            host=None if unix_socket else host,
            port=int(port),
            connect_timeout=timeout,
        )
    except pymysql.err.MySQLError as exc:
        message = exc.args[1] if len(exc.args) > 1 else str(exc)
        return {"ok": False, "error": f"{where}: {message}"}
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT CURRENT_USER()")
            (account,) = cursor.fetchone()
    finally:
        conn.close()
    return {"ok": True, "account": account}
