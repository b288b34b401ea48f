"""openstack_ini execution and state modules through Salt's loaders, on real files."""

import builtins
import configparser
import contextlib
import ctypes
import grp
import logging
import os
import pathlib
import pwd
import shutil
import stat

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.conftest import require_service
from tests.support import runbook

FILES = pathlib.Path(__file__).resolve().parent / "files"

GLANCE_DBPASS = "9f3c1a7e2b4d6c8e0a1b"
GLANCE_PASS = "5e7a9c1b3d5f7a9c1e3b"
NOVA_DBPASS = "0d2f4b6a8c1e3a5c7e9b"
NOVA_PASS = "7c9e1a3b5d7f9b1d3f5a"
THIS_IP = "10.162.32.43"


def glance_settings():
    """The runbook's Glance settings for one file: database, keystone_authtoken, paste_deploy."""
    return {
        "database": {"connection": f"mysql://glance:{GLANCE_DBPASS}@localhost/glance"},
        "keystone_authtoken": {
            "auth_uri": "http://cn43.internal:5000",
            "auth_host": "cn43.internal",
            "auth_port": 35357,
            "auth_protocol": "http",
            "admin_tenant_name": "service",
            "admin_user": "glance",
            "admin_password": GLANCE_PASS,
        },
        "paste_deploy": {"flavor": "keystone"},
    }


def nova_settings():
    """The runbook's nova.conf settings of a compute node (compute service + nova-network)."""
    return runbook.nova_conf(THIS_IP, "cn43.internal", NOVA_DBPASS, NOVA_PASS)


def stock(tmp_path, name, as_name=None):
    path = tmp_path / (as_name or name.replace(".stock", ""))
    shutil.copyfile(FILES / name, path)
    os.chmod(path, 0o644)
    return path


def backdate(path):
    """Move mtime an hour back, so any later write shows even within one clock tick."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 3600 * 10**9))


def snapshot(path):
    """Everything a write, rename, chmod or chown would change."""
    st = os.stat(path)
    return (
        pathlib.Path(path).read_bytes(),
        st.st_ino,
        st.st_mtime_ns,
        stat.S_IMODE(st.st_mode),
        st.st_uid,
        st.st_gid,
    )


def read_back(path):
    """Read a file with Python's own ini parser, independently of the module under test."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(path)
    return parser


@pytest.fixture
def nobody():
    """An unprivileged user and group that exist on Debian and RHEL."""
    user = pwd.getpwnam("nobody")
    group = grp.getgrgid(user.pw_gid)
    return user, group


# -- behaviour on stock files ------------------------------------------------------------------


def test_stock_nova_conf_keeps_comments_order_and_unmanaged_keys(loaders, tmp_path):
    path = stock(tmp_path, "nova.conf.stock")
    before = path.read_text().splitlines()
    settings = nova_settings()

    ret = loaders.states.openstack_ini.present(name=str(path), sections=settings)

    assert ret.result is True, ret.comment
    after = path.read_text().splitlines()
    # Every comment, blank line and header is still there, in the same order.
    kept = [line for line in before if not line or line[0] in "#[;"]
    remaining = iter(after)
    assert all(line in remaining for line in kept)
    # The only stock lines gone are the live ones the runbook changes (rpc_backend).
    assert [line for line in before if line not in after] == [
        "rpc_backend = nova.openstack.common.rpc.impl_qpid"
    ]
    # The live key sits right under its commented-out default, which stays.
    index = after.index("#connection=<None>")
    assert after[index + 1] == f"connection = mysql://nova:{NOVA_DBPASS}@cn43.internal/nova"
    assert after[after.index("#virt_type=kvm") + 1] == "virt_type = qemu"
    # The changed live key keeps its place in the packaged block.
    assert after[before.index("rpc_backend = nova.openstack.common.rpc.impl_qpid")] == (
        "rpc_backend = qpid"
    )
    # Another parser reads what we meant, and the keys we did not manage are as they were.
    parsed = read_back(path)
    for section, keys in settings.items():
        for key, value in keys.items():
            expected = {True: "True", False: "False"}.get(value, str(value))
            assert parsed.get(section, key) == expected, f"{section}/{key}"
    assert parsed.get("DEFAULT", "state_path") == "/var/lib/nova"
    assert parsed.get("DEFAULT", "rootwrap_config") == "/etc/nova/rootwrap.conf"


def test_runbook_glance_settings_apply_to_api_and_registry_files(loaders, tmp_path):
    paths = [
        stock(tmp_path, "glance-api.conf.stock"),
        stock(tmp_path, "glance-registry.conf.stock"),
    ]
    for path in paths:
        ret = loaders.states.openstack_ini.present(name=str(path), sections=glance_settings())
        assert ret.result is True, ret.comment
        # auth_port and auth_protocol already hold the runbook's values in the stock files.
        assert sorted(ret.changes) == [
            "database/connection",
            "keystone_authtoken/admin_password",
            "keystone_authtoken/admin_tenant_name",
            "keystone_authtoken/admin_user",
            "keystone_authtoken/auth_host",
            "keystone_authtoken/auth_uri",
            "mode",  # a secret written into a 0644 file: 0600 (no mode or group given)
            "paste_deploy/flavor",
        ]
        assert ret.changes["mode"] == {"old": "0644", "new": "0600"}
    for path in paths:
        for section, keys in glance_settings().items():
            for key, value in keys.items():
                assert loaders.modules.openstack_ini.get(str(path), section, key) == str(value)
        assert read_back(path).get("keystone_authtoken", "admin_password") == GLANCE_PASS
        backdate(path)
    before = [snapshot(path) for path in paths]
    for path in paths:
        ret = loaders.states.openstack_ini.present(name=str(path), sections=glance_settings())
        assert (ret.result, ret.changes) == (True, {})
    assert [snapshot(path) for path in paths] == before


# -- test mode, idempotency, comparison ---------------------------------------------------------


@pytest.mark.parametrize("testmode", [True, False], ids=["test", "apply"])
def test_test_mode_reports_the_changes_without_writing(loaders, tmp_path, testmode):
    path = stock(tmp_path, "glance-registry.conf.stock")
    backdate(path)
    before = snapshot(path)

    ret = loaders.states.openstack_ini.present(
        name=str(path),
        sections={"paste_deploy": {"flavor": "keystone"}, "DEFAULT": {"bind_port": 9192}},
        mode="0640",
        test=testmode,
    )

    assert (ret.result is None) is testmode
    assert ret.changes == {
        "paste_deploy/flavor": {"old": None, "new": "keystone"},
        "DEFAULT/bind_port": {"old": "9191", "new": "9192"},
        "mode": {"old": "0644", "new": "0640"},
    }
    assert (snapshot(path) == before) is testmode


def test_second_run_reports_no_changes_and_leaves_the_file_untouched(loaders, tmp_path):
    path = stock(tmp_path, "nova.conf.stock")
    first = loaders.states.openstack_ini.present(
        name=str(path), sections=nova_settings(), mode="0640", group="root"
    )
    assert first.result is True
    assert first.changes
    backdate(path)
    before = snapshot(path)

    second = loaders.states.openstack_ini.present(
        name=str(path), sections=nova_settings(), mode="0640", group="root"
    )

    assert second.result is True
    assert second.changes == {}
    assert "already in the desired state" in second.comment
    assert snapshot(path) == before


@pytest.fixture
def reads(monkeypatch):
    """Count the times a file's contents are read (opened for reading), by path."""
    counts = {}
    real_open = builtins.open

    def counting_open(file, mode="r", *args, **kwargs):
        if "r" in mode and "+" not in mode:
            counts[str(file)] = counts.get(str(file), 0) + 1
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    return counts


@pytest.mark.parametrize(
    ("case", "testmode", "expected"),
    [
        # Planned from one read; read again just before the rename (someone else's write?)
        # and once after it (the check). Before: 4 reads (a dry run, the write, the check).
        ("changes", False, 3),
        ("changes", True, 1),
        ("already right", False, 1),
    ],
)
def test_one_apply_reads_the_file_once_to_plan_and_once_to_check(
    loaders, tmp_path, reads, case, testmode, expected
):
    path = stock(tmp_path, "nova.conf.stock")
    if case == "already right":
        loaders.modules.openstack_ini.apply(str(path), nova_settings(), mode="0640")
    reads.clear()

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections=nova_settings(), mode="0640", test=testmode
    )

    assert ret.result is (None if testmode else True), ret.comment
    assert bool(ret.changes) is (case == "changes")
    assert reads[str(path)] == expected


def test_one_absent_reads_the_file_once_to_plan_and_once_to_check(loaders, tmp_path, reads):
    path = stock(tmp_path, "nova.conf.stock")

    ret = loaders.states.openstack_ini.absent(name=str(path), sections={"DEFAULT": ["state_path"]})

    assert ret.changes == {"DEFAULT/state_path": {"old": "/var/lib/nova", "new": None}}
    assert reads[str(path)] == 3


def test_same_value_with_other_spacing_is_not_rewritten(loaders, tmp_path):
    path = tmp_path / "keystone.conf"
    path.write_text("[DEFAULT]\nadmin_token=abc\nverbose   =   True\n[database]\nconnection =x\n")
    backdate(path)
    before = snapshot(path)

    ret = loaders.states.openstack_ini.present(
        name=str(path),
        sections={
            "DEFAULT": {"admin_token": "abc", "verbose": True},
            "database": {"connection": "x"},
        },
    )

    assert (ret.result, ret.changes) == (True, {})
    assert snapshot(path) == before


def test_changed_value_keeps_the_line_spacing(loaders, tmp_path):
    path = tmp_path / "cinder.conf"
    path.write_text("[DEFAULT]\n# comment\nverbose=False\ndebug = False\n")

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"DEFAULT": {"verbose": True}}
    )

    assert ret.result is True
    assert path.read_text() == "[DEFAULT]\n# comment\nverbose=True\ndebug = False\n"


# -- secrets ------------------------------------------------------------------------------------


def test_secret_values_are_masked_in_changes_comment_and_logs(loaders, tmp_path, caplog):
    path = stock(tmp_path, "glance-api.conf.stock")
    sections = glance_settings()
    sections["DEFAULT"] = {"admin_token": "tok3n-value", "rabbit_password": "rabb1t-value"}
    sections["keystone_authtoken"]["auth_uri"] = "http://hidden-uri:5000"
    secrets = [GLANCE_DBPASS, GLANCE_PASS, "tok3n-value", "rabb1t-value", "guest", "hidden-uri"]

    with caplog.at_level(logging.DEBUG):
        for testmode in (True, False):
            # state.single directly: saltfactories' `loaders.states` wrapper would log
            # the call's arguments itself, and every logger is checked here.
            ret = loaders.modules.state.single(
                "openstack_ini.present",
                name=str(path),
                sections=sections,
                secret_keys=["keystone_authtoken/auth_uri"],
                test=testmode,
            )
            assert ret.result is (None if testmode else True)
            changes = ret.changes
            assert changes["database/connection"] == {"old": None, "new": "***"}
            assert changes["keystone_authtoken/admin_password"] == {"old": "***", "new": "***"}
            assert changes["keystone_authtoken/auth_uri"] == {"old": None, "new": "***"}
            assert changes["DEFAULT/admin_token"] == {"old": None, "new": "***"}
            assert changes["DEFAULT/rabbit_password"] == {"old": "***", "new": "***"}
            assert changes["keystone_authtoken/admin_user"]["new"] == "glance"
            shown = repr(ret.full_return)
            assert not [secret for secret in secrets if secret in shown]

    logged = [f"{record.name}: {record.getMessage()}" for record in caplog.records]
    assert logged, "expected some log output at DEBUG"
    assert not [secret for secret in secrets if any(secret in message for message in logged)]
    assert GLANCE_PASS in path.read_text()


# -- bad input: result False, a clear comment, the file untouched -------------------------------


@pytest.mark.parametrize(
    ("sections", "comment"),
    [
        ({"data]base": {"connection": "x"}}, "section name 'data]base' contains ']'"),
        ({"data\nbase": {"connection": "x"}}, "contains ']' or a newline"),
        ({"database": {"conn=ection": "x"}}, "key 'conn=ection' contains '='"),
        ({"database": {"conn\nection": "x"}}, "contains a newline"),
        (
            {"database": {"connection": "mysql://a\n[evil]"}},
            "database/connection: value contains a newline",
        ),
        ({"database": {"connection": None}}, "database/connection: value is empty (None)"),
        ({"database": ["connection"]}, "[database]: settings must be a mapping"),
        (["database"], "sections must be a mapping"),
    ],
    ids=[
        "section-bracket",
        "section-newline",
        "key-equals",
        "key-newline",
        "value-newline",
        "value-none",
        "keys-not-mapping",
        "sections-not-mapping",
    ],
)
def test_bad_input_fails_clearly_and_leaves_the_file_untouched(
    loaders, tmp_path, sections, comment
):
    path = stock(tmp_path, "glance-registry.conf.stock")
    backdate(path)
    before = snapshot(path)

    ret = loaders.states.openstack_ini.present(name=str(path), sections=sections)

    assert ret.result is False
    assert ret.changes == {}
    assert comment in ret.comment
    assert "Traceback" not in ret.comment
    assert snapshot(path) == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_directory_instead_of_a_file_fails_clearly(loaders, tmp_path):
    target = tmp_path / "nova.conf"
    target.mkdir()

    ret = loaders.states.openstack_ini.present(name=str(target), sections=nova_settings())

    assert ret.result is False
    assert ret.comment == f"{target} is a directory, not an ini file"
    assert list(target.iterdir()) == []


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


@contextlib.contextmanager
def file_modes_apply_to_root():
    """
    Drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this thread's effective set, so even root
    gets "Permission denied" from a mode 0000 file; restore them afterwards.
    """
    if os.geteuid() != 0:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        require_service("capget() is not available")
    saved = data[0].effective
    data[0].effective &= ~((1 << 1) | (1 << 2))
    if libc.capset(ctypes.byref(header), data) != 0:
        require_service("cannot drop CAP_DAC_OVERRIDE")
    try:
        yield
    finally:
        data[0].effective = saved
        assert libc.capset(ctypes.byref(header), data) == 0


def test_unreadable_file_fails_clearly_and_is_left_untouched(loaders, tmp_path):
    path = stock(tmp_path, "glance-api.conf.stock")
    os.chmod(path, 0o000)
    backdate(path)
    before = snapshot(path)

    with file_modes_apply_to_root():
        ret = loaders.states.openstack_ini.present(name=str(path), sections=glance_settings())
        with pytest.raises(CommandExecutionError, match="cannot read the file"):
            loaders.modules.openstack_ini.get(str(path), "database", "connection")

    assert ret.result is False
    assert ret.comment == f"{path}: cannot read the file: Permission denied"
    assert snapshot(path) == before


@pytest.mark.parametrize(
    ("text", "comment"),
    [
        (
            "verbose = True\n[DEFAULT]\ndebug = True\n",
            "is malformed: line 1: key 'verbose' comes before any [section] header",
        ),
        ("[DEFAULT\ndebug = True\n", "is malformed: line 1: section header"),
        ("[DEFAULT]\nno separator here\n", "is malformed: line 2: expected 'key = value'"),
        (b"[DEFAULT]\nx = \xff\xfe\n", "not UTF-8 text"),
    ],
    ids=["key-before-section", "header-without-bracket", "no-separator", "not-utf8"],
)
def test_malformed_file_fails_clearly_and_is_left_untouched(loaders, tmp_path, text, comment):
    path = tmp_path / "nova.conf"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    backdate(path)
    before = snapshot(path)

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"DEFAULT": {"debug": False}}, mode="0600"
    )

    assert ret.result is False
    assert comment in ret.comment
    assert snapshot(path) == before


# -- owner, group, mode; missing files ----------------------------------------------------------


def test_owner_group_and_mode_are_set_and_reported(loaders, tmp_path, nobody):
    user, group = nobody
    path = stock(tmp_path, "glance-api.conf.stock")
    backdate(path)
    content, inode = path.read_bytes(), path.stat().st_ino

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={}, user=user.pw_name, group=group.gr_name, mode="0640"
    )

    assert ret.result is True
    assert ret.changes == {
        "user": {"old": "root", "new": user.pw_name},
        "group": {"old": "root", "new": group.gr_name},
        "mode": {"old": "0644", "new": "0640"},
    }
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (user.pw_uid, group.gr_gid, 0o640)
    # Owner and mode alone are changed in place: same inode, same text.
    assert (path.read_bytes(), st.st_ino) == (content, inode)
    again = loaders.states.openstack_ini.present(
        name=str(path), sections={}, user=user.pw_name, group=group.gr_name, mode="0640"
    )
    assert (again.result, again.changes) == (True, {})


def test_rewritten_file_keeps_its_owner_group_and_mode(loaders, tmp_path, nobody):
    user, group = nobody
    path = stock(tmp_path, "glance-registry.conf.stock")
    os.chown(path, user.pw_uid, group.gr_gid)
    os.chmod(path, 0o604)
    inode = path.stat().st_ino

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"paste_deploy": {"flavor": "keystone"}}
    )

    assert ret.result is True
    assert not {"user", "group", "mode"} & set(ret.changes)
    st = path.stat()
    assert st.st_ino != inode, "expected a write through a temp file and rename"
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (user.pw_uid, group.gr_gid, 0o604)
    assert [p.name for p in tmp_path.iterdir()] == [path.name], "temp file left behind"


def test_missing_file_is_created_when_its_directory_exists(loaders, tmp_path, nobody):
    group = nobody[1]
    path = tmp_path / "keystone.conf"

    ret = loaders.states.openstack_ini.present(
        name=str(path),
        sections={"DEFAULT": {"admin_token": "abc"}, "database": {"connection": "sqlite://"}},
        user="root",
        group=group.gr_name,
        mode="0640",
    )

    assert ret.result is True, ret.comment
    assert ret.changes == {
        "file": {"old": None, "new": "created"},
        "DEFAULT/admin_token": {"old": None, "new": "***"},
        "database/connection": {"old": None, "new": "***"},
        "user": {"old": None, "new": "root"},
        "group": {"old": None, "new": group.gr_name},
        "mode": {"old": None, "new": "0640"},
    }
    assert (
        path.read_text() == "[DEFAULT]\nadmin_token = abc\n\n[database]\nconnection = sqlite://\n"
    )
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, group.gr_gid, 0o640)


def test_missing_file_in_test_mode_is_not_created(loaders, tmp_path):
    path = tmp_path / "keystone.conf"

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"DEFAULT": {"debug": False}}, test=True
    )

    assert ret.result is None
    assert ret.changes["file"] == {"old": None, "new": "created"}
    assert not path.exists()


def test_missing_directory_fails_clearly(loaders, tmp_path):
    path = tmp_path / "keystone" / "keystone.conf"

    ret = loaders.states.openstack_ini.present(name=str(path), sections={"DEFAULT": {"x": 1}})

    assert ret.result is False
    assert ret.comment == (
        f"{path} does not exist and its directory {path.parent} does not exist either"
    )
    assert not path.parent.exists()


def test_a_symlinked_file_is_refused_naming_its_target(loaders, tmp_path):
    # nova.conf swapped for a link to another service's world-readable file: the secrets
    # must not land there.
    target = stock(tmp_path, "glance-api.conf.stock")
    backdate(target)
    before = snapshot(target)
    link = tmp_path / "nova.conf"
    link.symlink_to(target.name)

    ret = loaders.states.openstack_ini.present(name=str(link), sections=glance_settings())
    gone = loaders.states.openstack_ini.absent(
        name=str(link), sections={"paste_deploy": ["flavor"]}
    )

    for answer in (ret, gone):
        assert answer.result is False
        assert answer.comment == (
            f"{link} is a symlink to {target}: not followed, as its settings (secrets too) "
            "would land in that file; replace the link by the file, or give follow_symlinks: True"
        )
        assert answer.changes == {}
    assert snapshot(target) == before and link.is_symlink()


def test_a_symlinked_file_is_written_through_the_link_when_allowed(loaders, tmp_path):
    target = stock(tmp_path, "glance-api.conf.stock")
    link = tmp_path / "link.conf"
    link.symlink_to(target.name)

    ret = loaders.states.openstack_ini.present(
        name=str(link), sections=glance_settings(), follow_symlinks=True
    )

    assert ret.result is True, ret.comment
    assert link.is_symlink()
    assert read_back(target).get("keystone_authtoken", "admin_password") == GLANCE_PASS
    # the secret went in: the target, 0644, is closed to others
    assert ret.changes["mode"] == {"old": "0644", "new": "0600"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert str(target) in ret.comment


# -- absent -------------------------------------------------------------------------------------


def test_absent_removes_the_keys_and_keeps_everything_else(loaders, tmp_path):
    path = stock(tmp_path, "glance-api.conf.stock")
    before = path.read_text().splitlines()

    ret = loaders.states.openstack_ini.absent(
        name=str(path),
        sections={
            "DEFAULT": ["rabbit_password", "qpid_username", "not_there"],
            "keystone_authtoken": ["admin_user"],
            "no_such_section": ["x"],
        },
    )

    assert ret.result is True
    assert ret.changes == {
        "DEFAULT/rabbit_password": {"old": "***", "new": None},
        "DEFAULT/qpid_username": {"old": "", "new": None},
        "keystone_authtoken/admin_user": {"old": "%SERVICE_USER%", "new": None},
    }
    after = path.read_text().splitlines()
    assert [line for line in before if line not in after] == [
        "rabbit_password = guest",
        "qpid_username =",
        "admin_user = %SERVICE_USER%",
    ]
    assert [line for line in after if line not in before] == []
    backdate(path)
    snap = snapshot(path)
    again = loaders.states.openstack_ini.absent(
        name=str(path), sections={"DEFAULT": ["rabbit_password"]}
    )
    assert (again.result, again.changes) == (True, {})
    assert snapshot(path) == snap


@pytest.mark.parametrize("testmode", [True, False], ids=["test", "apply"])
def test_absent_test_mode_reports_without_writing(loaders, tmp_path, testmode):
    path = stock(tmp_path, "glance-registry.conf.stock")
    backdate(path)
    before = snapshot(path)

    ret = loaders.states.openstack_ini.absent(
        name=str(path), sections={"DEFAULT": ["backlog"]}, test=testmode
    )

    assert (ret.result is None) is testmode
    assert ret.changes == {"DEFAULT/backlog": {"old": "4096", "new": None}}
    assert (snapshot(path) == before) is testmode


def test_absent_on_a_missing_file_has_nothing_to_do(loaders, tmp_path):
    ret = loaders.states.openstack_ini.absent(
        name=str(tmp_path / "nova.conf"), sections={"DEFAULT": ["verbose"]}
    )

    assert (ret.result, ret.changes) == (True, {})
    assert list(tmp_path.iterdir()) == []


# -- execution module ---------------------------------------------------------------------------


def test_execution_module_get_set_remove_one_key(loaders, tmp_path):
    path = str(stock(tmp_path, "glance-registry.conf.stock"))
    mod = loaders.modules.openstack_ini

    assert mod.get(path, "paste_deploy", "flavor") is None
    assert mod.get(path, "paste_deploy", "flavor", default="") == ""
    assert mod.set(path, "paste_deploy", "flavor", "keystone") == {
        "paste_deploy/flavor": {"old": None, "new": "keystone"}
    }
    assert mod.set(path, "paste_deploy", "flavor", "keystone") == {}
    assert mod.get(path, "paste_deploy", "flavor") == "keystone"
    assert mod.remove(path, "paste_deploy", "flavor") == {
        "paste_deploy/flavor": {"old": "keystone", "new": None}
    }
    assert mod.remove(path, "paste_deploy", "flavor") == {}
    assert mod.get(str(tmp_path / "missing.conf"), "DEFAULT", "x", "fallback") == "fallback"


def test_execution_module_apply_test_mode_does_not_write(loaders, tmp_path):
    path = stock(tmp_path, "glance-api.conf.stock")
    backdate(path)
    before = snapshot(path)

    changes = loaders.modules.openstack_ini.apply(str(path), glance_settings(), test=True)

    assert len(changes) == 8  # 7 settings and the mode (secrets into a 0644 file)
    assert snapshot(path) == before


@pytest.mark.parametrize(
    ("name", "sections", "error", "message"),
    [
        ("relative.conf", {}, SaltInvocationError, "must be an absolute path"),
        ("{tmp}", {}, CommandExecutionError, "is a directory"),
        ("{tmp}/x.conf", {"DEFAULT": {"k": "a\nb"}}, SaltInvocationError, "newline"),
        ("{tmp}/x.conf", {}, SaltInvocationError, "user 'no-such-user' does not exist"),
    ],
    ids=["relative", "directory", "newline", "unknown-user"],
)
def test_execution_module_raises_salt_errors(loaders, tmp_path, name, sections, error, message):
    kwargs = {"user": "no-such-user"} if "user" in message else {}
    with pytest.raises(error, match=message):
        loaders.modules.openstack_ini.apply(name.format(tmp=tmp_path), sections, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_dry_run_before_the_package_answers_what_it_would_create(loaders, tmp_path):
    """test=True on a node where the package has not made /etc/nova nor the nova group yet."""
    path = tmp_path / "nova" / "nova.conf"

    ret = loaders.states.openstack_ini.present(
        name=str(path),
        sections={"DEFAULT": {"my_ip": "10.162.128.64"}},
        user="root",
        group="no-such-group-yet",
        mode="0640",
        test=True,
    )

    assert ret.result is None
    assert ret.changes["file"] == {"old": None, "new": "created"}
    assert ret.changes["group"] == {"old": None, "new": "no-such-group-yet"}
    assert ret.changes["DEFAULT/my_ip"] == {"old": None, "new": "10.162.128.64"}
    assert not path.parent.exists()


def test_real_run_with_a_group_that_does_not_exist_fails_clearly(loaders, tmp_path):
    path = tmp_path / "nova.conf"

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"DEFAULT": {"x": 1}}, group="no-such-group-yet"
    )

    assert ret.result is False
    assert "group 'no-such-group-yet' does not exist" in ret.comment
    assert not path.exists()


# -- a file changed by someone else while we edit it ---------------------------------------------


@pytest.fixture
def other_writer(monkeypatch):
    """
    Make "someone else" write a file between our read and our rename: our temp file is synced
    (os.fsync) after the read, so the other write is done there, ``times`` times at most.
    """

    def arm(path, texts):
        pending = list(texts)
        real_fsync = os.fsync

        def fsync(fd):
            real_fsync(fd)
            if pending:
                pathlib.Path(path).write_text(pending.pop(0))

        monkeypatch.setattr(os, "fsync", fsync)
        return pending

    return arm


def test_a_write_by_someone_else_during_the_edit_is_kept(loaders, tmp_path, other_writer):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\ndebug = False\n")
    other = "[DEFAULT]\ndebug = False\nverbose = True\n"
    pending = other_writer(path, [other])

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"DEFAULT": {"my_ip": THIS_IP}}
    )

    assert pending == []
    assert ret.result is True, ret.comment
    assert ret.changes == {"DEFAULT/my_ip": {"old": None, "new": THIS_IP}}
    assert path.read_text() == f"[DEFAULT]\ndebug = False\nverbose = True\nmy_ip = {THIS_IP}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["nova.conf"]


def test_a_file_that_keeps_changing_fails_clearly_and_keeps_the_other_writes(
    loaders, tmp_path, other_writer
):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\ndebug = False\n")
    pending = other_writer(path, ["[DEFAULT]\nverbose = True\n", "[DEFAULT]\nverbose = False\n"])

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"DEFAULT": {"my_ip": THIS_IP}}
    )

    assert pending == []
    assert ret.result is False
    assert ret.changes == {}
    assert "changed by someone else twice while being edited; not written" in ret.comment
    assert path.read_text() == "[DEFAULT]\nverbose = False\n"
    assert [p.name for p in tmp_path.iterdir()] == ["nova.conf"]


def test_absent_keeps_a_write_by_someone_else_during_the_edit(loaders, tmp_path, other_writer):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\ndebug = False\nverbose = True\n")
    other_writer(path, ["[DEFAULT]\ndebug = False\nverbose = True\nmy_ip = 10.0.0.9\n"])

    ret = loaders.states.openstack_ini.absent(name=str(path), sections={"DEFAULT": ["verbose"]})

    assert ret.result is True, ret.comment
    assert path.read_text() == "[DEFAULT]\ndebug = False\nmy_ip = 10.0.0.9\n"


def test_a_new_file_with_another_writers_copy_meanwhile_is_not_overwritten(
    loaders, tmp_path, other_writer
):
    path = tmp_path / "keystone.conf"
    other_writer(path, ["[DEFAULT]\nverbose = True\n"])

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"DEFAULT": {"debug": False}}
    )

    assert ret.result is True, ret.comment
    assert path.read_text() == "[DEFAULT]\nverbose = True\ndebug = False\n"


# -- the mode of a new file holding a secret ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "with_group", "mode"),
    [
        ("connection", True, 0o640),
        ("admin_password", True, 0o640),
        ("admin_token", False, 0o600),
        ("rabbit_secret", False, 0o600),
    ],
)
def test_a_new_file_holding_a_secret_is_not_world_readable(
    loaders, tmp_path, nobody, key, with_group, mode
):
    path = tmp_path / "nova.conf"
    group = nobody[1].gr_name if with_group else None

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"database": {key: "s3cret-value"}}, group=group
    )

    assert ret.result is True, ret.comment
    assert ret.changes["mode"] == {"old": None, "new": f"{mode:04o}"}
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert "s3cret-value" not in str(ret.changes)


def test_a_new_file_without_a_secret_follows_the_umask(loaders, tmp_path):
    path = tmp_path / "glance-api.conf"
    old_umask = os.umask(0o022)
    try:
        ret = loaders.states.openstack_ini.present(
            name=str(path), sections={"paste_deploy": {"flavor": "keystone"}}
        )
    finally:
        os.umask(old_umask)

    assert ret.result is True, ret.comment
    assert "mode" not in ret.changes
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize(
    ("old_mode", "with_group", "new_mode"),
    [(0o644, False, 0o600), (0o666, True, 0o640), (0o640, True, None), (0o600, False, None)],
)
def test_a_secret_written_into_a_file_others_read_closes_it_to_them(
    loaders, tmp_path, nobody, old_mode, with_group, new_mode
):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\ndebug = False\n")
    os.chmod(path, old_mode)
    group = nobody[1].gr_name if with_group else None

    ret = loaders.states.openstack_ini.present(
        name=str(path), sections={"database": {"connection": "sqlite://"}}, group=group
    )

    assert ret.result is True, ret.comment
    if new_mode is None:
        assert "mode" not in ret.changes
    else:
        assert ret.changes["mode"] == {"old": f"{old_mode:04o}", "new": f"{new_mode:04o}"}
    assert stat.S_IMODE(path.stat().st_mode) == (new_mode or old_mode)


def test_a_file_with_no_new_secret_keeps_its_mode(loaders, tmp_path):
    # the secret is there already (or none is written): the mode is the operator's
    path = tmp_path / "nova.conf"
    path.write_text("[database]\nconnection = sqlite://\n")
    os.chmod(path, 0o644)

    ret = loaders.states.openstack_ini.present(
        name=str(path),
        sections={"database": {"connection": "sqlite://"}, "DEFAULT": {"debug": False}},
    )

    assert ret.result is True, ret.comment
    assert "mode" not in ret.changes
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
