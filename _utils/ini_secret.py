"""
Which ini keys hold secrets, how their values are shown and their files closed: one place.

Keys named in ``secret_keys`` (``key`` or ``section/key``) and by default every key whose
name contains ``password``, ``passwd``, ``token`` or ``secret``, or is ``connection``,
``*_connection`` or ``transport_url``, show as ``***``; a file they are written into is
closed to others (:func:`file_mode`). The ``openstack_ini`` execution module reaches these as
``__utils__["ini_secret.<function>"]``; they are plain functions (no loader dunders), and
``tools/show.py`` masks ``make show``'s output by the same :func:`is_secret`.
"""

import stat

from salt.exceptions import SaltInvocationError

MASK = "***"
SECRET_WORDS = ("password", "passwd", "token", "secret")
SECRET_NAMES = ("connection", "transport_url")
SECRET_SUFFIXES = ("_connection",)


def is_secret(section, key, secret_keys=None):
    """
    Tell whether the value of ``section/key`` must be masked.
    """
    name = str(key).lower()
    if name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES):
        return True
    if any(word in name for word in SECRET_WORDS):
        return True
    if secret_keys:
        return key in secret_keys or f"{section}/{key}" in secret_keys
    return False


def mask(section, key, value, secret_keys=None):
    """
    Return ``value``, or ``***`` when ``section/key`` is a secret (``None`` stays ``None``).
    """
    if value is None or not is_secret(section, key, secret_keys):
        return value
    return MASK


def masker(secret_keys):
    """``mask`` with ``secret_keys`` bound: ``(section, key, value) -> shown value``."""
    return lambda section, key, value: mask(section, key, value, secret_keys)


def holds_secret(rendered, secret_keys):
    """Tell whether a ``{section: {key: text}}`` mapping sets a key whose value is masked."""
    return any(
        is_secret(section, key, secret_keys) for section, keys in rendered.items() for key in keys
    )


def file_mode(rendered, changes, st, mode, group, secret_keys):
    """
    The mode to give a file the settings ``rendered`` (``{section: {key: text}}``) go into,
    whose ``changes`` they make: ``mode`` when given or no secret is set. Else a new file
    (``st`` None) is ``0640`` with a ``group``, ``0600`` without; an existing one a secret is
    written into loses its bits for others (and for the group unless ``group`` is given).
    """
    if mode is not None or not holds_secret(rendered, secret_keys):
        return mode
    if st is None:
        return "0640" if group is not None else "0600"
    if any(is_secret(*name.split("/", 1), secret_keys) for name in changes):
        closed = 0o027 if group is not None else 0o077
        return f"{stat.S_IMODE(st.st_mode) & ~closed:04o}"
    return mode


def secret_list(secret_keys):
    """Check ``secret_keys`` (None, a name or a list of names); return a tuple of names."""
    if secret_keys is None:
        return ()
    if isinstance(secret_keys, str):
        return (secret_keys,)
    if not isinstance(secret_keys, (list, tuple, set)) or not all(
        isinstance(item, str) for item in secret_keys
    ):
        raise SaltInvocationError("secret_keys must be a list of 'key' or 'section/key' names")
    return tuple(secret_keys)
