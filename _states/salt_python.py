"""
Python packages in a Python that runs Salt, from a requirements file that pins every package
it installs with its sha256 hashes (pip's hash-checking mode).

.. code-block:: yaml

    keystone-salt-python-packages-installed:
      salt_python.installed:
        - name: salt://parameters/keystone-salt-requirements.txt
        - bin_env: /opt/saltstack/salt/bin/python3.10
        - reload_modules: true

Already right when every ``name==version`` of the file is installed in ``bin_env`` (names
compared PEP 503-normalized): result True, no changes, under test=True too. Otherwise a dry
run lists the pins it would install (result None); a real run runs Salt's ``pip.install``
with the file (``<bin_env> -m pip install --requirement <file>``: hash-checking mode, what
pip leaves alone is whatever Salt's Python already holds and the file does not pin), then
looks again. Salt's own ``pip.installed`` with a requirements file says "will be processed"
(result None) in every dry run and may count changes on every run; its failure is pip's
whole output. Here a failure is one line: what could not be read or installed, and pip's
last error.
"""

import json
import re

from salt.exceptions import CommandExecutionError

__virtualname__ = "salt_python"

#: Prints {name: version} of every distribution the Python sees, as JSON.
_LIST = (
    "import importlib.metadata as m, json; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()"
    " if d.metadata['Name']}))"
)


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_VERSION = re.compile(r"[0-9][A-Za-z0-9.+!-]*")


def __virtual__():
    if "pip.install" in __salt__:
        return __virtualname__
    return (False, "salt_python: Salt's pip execution module is not loaded")


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(text):
    """
    [(name, version, (sha256, ...))] of a hash-checking requirements file, a requirement a
    line (``\\`` continuations joined); ValueError for any line that is not
    ``name==version --hash=sha256:<64 hex> ...``, or for a file that pins nothing.
    """
    pins = []
    for number, line in enumerate(re.sub(r"\\\n", " ", text).splitlines(), 1):
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *options = line.split()
        name, sep, version = spec.partition("==")
        hashes = [re.fullmatch(r"--hash=sha256:([0-9a-f]{64})", o) for o in options]
        pinned = sep and _NAME.fullmatch(name) and _VERSION.fullmatch(version)
        if not (pinned and hashes and all(hashes)):
            raise ValueError(f"line {number} is not 'name==version --hash=sha256:...': {spec}")
        pins.append((name, version, tuple(h[1] for h in hashes)))
    if not pins:
        raise ValueError("it pins no package")
    return pins


def _installed(python):
    """{normalized name: version} in ``python``; CommandExecutionError when it cannot run."""
    run = __salt__["cmd.run_all"]([python, "-c", _LIST], python_shell=False, ignore_retcode=True)
    if run["retcode"] != 0:
        lines = f"{run.get('stderr') or ''}\n{run.get('stdout') or ''}".strip().splitlines()
        last = (lines or ["no output"])[-1]
        raise CommandExecutionError(f"{python} cannot list its packages: {last}")
    return {_norm(name): version for name, version in json.loads(run["stdout"]).items()}


def _wanted(name):
    """The pins of the requirements file ``name``; CommandExecutionError, one line, if none."""
    text = __salt__["cp.get_file_str"](name, saltenv=__env__)
    if not text:
        raise CommandExecutionError(f"{name} cannot be read: nothing installed")
    try:
        return _pins(text)
    except ValueError as err:
        raise CommandExecutionError(
            f"{name}: {err} (pip's hash-checking mode needs every pin hashed)"
        ) from None


def _pip_install(name, bin_env):
    """pip install --requirement ``name`` into ``bin_env``; CommandExecutionError, one line."""
    out = __salt__["pip.install"](requirements=name, bin_env=bin_env, saltenv=__env__)
    if isinstance(out, dict) and out.get("retcode") == 0:
        return
    if isinstance(out, dict):
        text = f"{out.get('stderr') or ''}\n{out.get('stdout') or ''}"
    else:
        text = str(out)
    raise CommandExecutionError(f"pip could not install {name} into {bin_env}: {_pip_error(text)}")


def _pip_error(text):
    """
    The line of pip's output that says why: its last ERROR but the "ResolutionImpossible"
    pointer to the docs (the line before says which pins conflict), with the Requires-Python
    of a version that was not found.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [
        line
        for line in lines
        if line.startswith("ERROR") and not line.startswith("ERROR: ResolutionImpossible")
    ]
    last = (errors or lines or ["no output"])[-1]
    missing = re.search(r"No matching distribution found for \S+==(\S+)", last)
    why = missing and re.search(rf"[;:] {re.escape(missing[1])} (Requires-Python [^;\n]+)", text)
    return f"{last} ({why[1].strip()})" if why else last


def installed(name, bin_env):
    """
    Every package that the requirements file ``name`` (a ``salt://`` URL or a path) pins is
    installed in ``bin_env`` (the Python that runs Salt: grain ``pythonexecutable``) at that
    version.
    """
    ret = {"name": name, "result": False, "changes": {}, "comment": ""}
    try:
        pins = _wanted(name)
        before = _installed(bin_env)
        missing = {n: v for n, v, _ in pins if before.get(_norm(n)) != v}
        if not missing:
            ret["result"] = True
            ret["comment"] = f"the {len(pins)} packages {name} pins are installed in {bin_env}"
            return ret
        changes = {n: {"old": before.get(_norm(n)), "new": v} for n, v in missing.items()}
        listed = ", ".join(f"{n}=={v}" for n, v in missing.items())
        if __opts__["test"]:
            ret["result"] = None
            ret["changes"] = changes
            ret["comment"] = f"would install {listed} into {bin_env} from {name}"
            return ret
        _pip_install(name, bin_env)
        after = _installed(bin_env)
    except CommandExecutionError as err:
        ret["comment"] = str(err)
        return ret
    ret["changes"] = {n: c for n, c in changes.items() if after.get(_norm(n)) == c["new"]}
    still = [f"{n}=={v}" for n, v, _ in pins if after.get(_norm(n)) != v]
    if still:
        ret["comment"] = f"pip ran, yet {bin_env} still lacks {', '.join(still)} ({name})"
    else:
        ret["result"] = True
        ret["comment"] = f"installed {listed} into {bin_env} from {name}"
    return ret
