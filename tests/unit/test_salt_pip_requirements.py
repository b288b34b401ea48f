"""
The Python packages the head's Salt installs into its own Python (salt_pip_requirements in
salt/parameters): every file resolves, with its dependencies, in pip's hash-checking mode, for
the Salt 3006.8 onedir the minions run (CPython 3.10, manylinux x86_64), and for CPython 3.11
(this machine's Salt 3008 leg). Downloads from PyPI.

How: ``pip download --only-binary=:all: --python-version 3.10 --platform manylinux2014_x86_64
--implementation cp --require-hashes --no-deps -r <file>`` (every line pinned, every hash
right, a wheel for that Python), then each downloaded wheel's Requires-Dist (markers evaluated
for that Python on Linux x86_64) must be met by the file's own pins or by what the onedir
ships. pip's resolver cannot do the second step itself: saltext-mysql requires salt, which is
the onedir's own and on PyPI only as a source archive (no wheel to download for a platform).
"""

import email.parser
import subprocess
import sys
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from _states.salt_python import _pins, _pip_error
from tests.support.salt_python import SALT, pins, requirement_files, write_old_keystone_pins

#: What the Salt 3006.8 onedir ships (salt v3006.8, requirements/static/pkg/py3.10/linux.txt,
#: read from the salt-3006.8 sdist), and salt itself. pip and setuptools come with the onedir's
#: Python at versions that file does not say (None: any version). The files pin none of these:
#: pip leaves them as Salt has them. (The 3008 leg's are newer; the pins' floors, such as
#: keystoneauth1's requests>=2.14.2, are far below both.)
ONEDIR = {
    "salt": "3006.8",
    "pip": None,
    "setuptools": None,
    "certifi": "2023.7.22",
    "cffi": "1.14.6",
    "charset-normalizer": "3.2.0",
    "cheroot": "8.5.2",
    "cherrypy": "18.6.1",
    "contextvars": "2.4",
    "cryptography": "42.0.5",
    "distro": "1.5.0",
    "idna": "3.7",
    "immutables": "0.15",
    "importlib-metadata": "6.0.0",
    "jaraco-classes": "3.2.1",
    "jaraco-collections": "3.4.0",
    "jaraco-functools": "2.0",
    "jaraco-text": "3.5.1",
    "jinja2": "3.1.3",
    "jmespath": "1.0.1",
    "looseversion": "1.0.2",
    "markupsafe": "2.1.2",
    "more-itertools": "5.0.0",
    "msgpack": "1.0.2",
    "packaging": "22.0",
    "portend": "2.4",
    "psutil": "5.8.0",
    "pycparser": "2.21",
    "pycryptodomex": "3.19.1",
    "pyopenssl": "24.0.0",
    "python-dateutil": "2.8.1",
    "python-gnupg": "0.4.8",
    "pytz": "2022.1",
    "pyyaml": "6.0.1",
    "pyzmq": "23.2.0",
    "requests": "2.31.0",
    "rpm-vercmp": "0.1.2",
    "setproctitle": "1.3.2",
    "six": "1.16.0",
    "tempora": "4.1.1",
    "timelib": "0.2.5",
    "urllib3": "1.26.18",
    "zc-lockfile": "1.4",
    "zipp": "3.6.0",
}

#: (python_version, full version for markers): the onedir's CPython and the 3008 leg's.
PYTHONS = [("3.10", "3.10.13"), ("3.11", "3.11.7")]
FILES = sorted(set(requirement_files().values()))


def download(path, python_version, dest):
    """pip download of every pin of ``path``, no dependencies, hash-checking mode."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            python_version,
            "--platform",
            "manylinux2014_x86_64",
            "--implementation",
            "cp",
            "--require-hashes",
            "--requirement",
            str(path),
            "--dest",
            str(dest),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode())


def environment(full_version):
    return {
        "python_version": ".".join(full_version.split(".")[:2]),
        "python_full_version": full_version,
        "implementation_name": "cpython",
        "implementation_version": full_version,
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "platform_release": "",
        "platform_version": "",
        "extra": "",
    }


def problems(path, python, dest):
    """What keeps ``path`` from installing on ``python`` (PYTHONS): one line each."""
    version, full = python
    done = download(path, version, dest)
    if done.returncode:
        return [f"pip download for CPython {version}: {_pip_error(done.stderr)}"]
    pinned = {canonicalize_name(pin.name): pin.version for pin in pins(path)}
    found = []
    wheels = sorted(dest.glob("*.whl"))
    got = {}
    for wheel in wheels:
        meta = metadata(wheel)
        got[canonicalize_name(meta["Name"])] = meta["Version"]
        for line in meta.get_all("Requires-Dist") or []:
            need = Requirement(line)
            if need.marker and not need.marker.evaluate(environment(full)):
                continue
            name = canonicalize_name(need.name)
            have = pinned.get(name, ONEDIR.get(name, "absent"))
            if have == "absent":
                found.append(f"{meta['Name']} needs {need}: neither pinned nor in the onedir")
            elif have is not None and not need.specifier.contains(Version(have), True):
                found.append(f"{meta['Name']} needs {need}: {name} is {have}")
    # The state's check compares the installed version strings to the pins: they must be the
    # distributions' own spelling (2023.7.22, not 2023.07.22).
    found += [
        f"{name}=={v}: the wheel says {got.get(name)}"
        for name, v in pinned.items()
        if got.get(name) != v
    ]
    return found


@pytest.mark.parametrize("python", PYTHONS, ids=lambda p: f"cp{p[0].replace('.', '')}")
@pytest.mark.parametrize("requirements", FILES)
def test_every_pin_installs_with_its_dependencies(requirements, python, tmp_path):
    assert problems(SALT / requirements, python, tmp_path) == []


def test_a_pin_that_needs_python_3_11_is_refused_for_the_onedir(tmp_path):
    # keystoneauth1 5.18.1 (requires Python >= 3.11): what salt/parameters pinned before.
    path = write_old_keystone_pins(tmp_path / "keystone.txt")
    (found,) = problems(path, PYTHONS[0], tmp_path / "wheels")
    assert found == (
        "pip download for CPython 3.10: ERROR: No matching distribution found for"
        " keystoneauth1==5.18.1 (Requires-Python >=3.11)"
    )
    # on 3.11 it downloads, and its dependencies are checked against the pins
    assert problems(path, PYTHONS[1], tmp_path / "wheels-3.11") == [
        "keystoneauth1 needs stevedore>=5.9.1: stevedore is 5.8.0"
    ]


def test_a_dependency_left_unpinned_is_named(tmp_path):
    path = tmp_path / "keystone.txt"
    kept = [
        pin
        for pin in pins(SALT / "parameters" / "keystone-salt-requirements.txt")
        if pin.name != "typing-extensions"
    ]
    path.write_text(
        "".join(
            f"{p.name}=={p.version} " + " ".join(f"--hash=sha256:{h}" for h in p.hashes) + "\n"
            for p in kept
        )
    )
    assert problems(path, PYTHONS[0], tmp_path / "wheels") == [
        "keystoneauth1 needs typing-extensions>=4.12: neither pinned nor in the onedir",
        "os-service-types needs typing-extensions>=4.1.0: neither pinned nor in the onedir",
    ]


def test_nothing_salts_own_python_ships_is_pinned():
    # pip leaves Salt's own packages (requests, urllib3, ...) as the onedir has them
    for requirements in FILES:
        for pin in pins(SALT / requirements):
            assert canonicalize_name(pin.name) not in ONEDIR, f"{requirements}: {pin.name}"


@pytest.mark.parametrize(
    "text",
    [
        "requests==2.31.0\n",  # no hash: pip would fetch whatever PyPI serves
        "requests>=2.31.0 --hash=sha256:" + "0" * 64 + "\n",  # not pinned
        "requests==2.31.0 --hash=md5:" + "0" * 32 + "\n",
        "# nothing\n",
    ],
)
def test_what_hash_checking_mode_would_refuse_is_refused_by_the_state(text):
    with pytest.raises(ValueError, match=r"^line 1 is not|^it pins no package"):
        _pins(text)


def test_the_test_venv_pins_the_same_versions_as_the_heads_files():
    # requirements.txt (.venv, the 3008 leg) repeats the head's pins, so that the tests that
    # apply the install states to .venv change nothing there: one version of each, everywhere
    venv = {}
    for line in (SALT.parent / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            venv[canonicalize_name(name)] = version.strip()
    for where, path in requirement_files().items():
        for pin in pins(SALT / path):
            assert venv.get(canonicalize_name(pin.name)) == pin.version, (where, pin)
