"""
The compute node's host networking states applied for real, twice, on files in a temp dir:
masterless salt-call in a copy of the checkout, with pillar `hltcloud:lookup` pointing every
path (network scripts, backup, sysctl.d file, dhclient hook) and the restart command at the
temp dir. What runs is the states' own logic: the one-time backup, the restart only when an
ifcfg file changed, the second run with zero changes, the dhclient hook removed only when it
is the runbook's. The RedHat network scripts themselves do not run here (Debian host).
"""

import json
import time

import pytest

from tests.functional.test_compute_highstate import checkout, salt_call  # noqa: F401

MAC = "00:30:48:c9:a2:4a"
GRAINS = {"hwaddr_interfaces": {"lo": "00:00:00:00:00:00", "em1": MAC}}
ORIGINAL_EM1 = "DEVICE=em1\nBOOTPROTO=dhcp\nHWADDR=00:30:48:C9:A2:4A\nONBOOT=yes\n"
RUNBOOK_HOOK = "systemctl restart openstack-nova-network.service\n"


@pytest.fixture
def paths(tmp_path):
    scripts = tmp_path / "network-scripts"
    scripts.mkdir()
    (scripts / "ifcfg-em1").write_text(ORIGINAL_EM1)
    (scripts / "ifcfg-lo").write_text("DEVICE=lo\n")
    return {
        "scripts": scripts,
        "backup": tmp_path / "network-scripts.orig-hltcloud",
        "restarts": tmp_path / "restarts",
        "log": tmp_path / "restart.log",
        "sysctl": tmp_path / "disable_ipv6.conf",
        "hook": tmp_path / "dhclient-exit-hooks",
    }


def _pillar(paths):
    return {
        "hltcloud": {
            "lookup": {
                # common.service is required first; here it must touch nothing on this host.
                "common": {
                    "pkgs": [],
                    "services": {"enabled": [], "disabled": ["hltcloud-test-no-such-service"]},
                },
                "nova": {"network": {"service": "openstack-nova-network"}},
                "network": {
                    "bridge": {
                        "scripts_dir": str(paths["scripts"]),
                        "backup_dir": str(paths["backup"]),
                        "restart": {
                            "cmd": f"echo restarted >> {paths['restarts']}",
                            "delay": 0,
                            "log": str(paths["log"]),
                        },
                    },
                    "ipv6": {"sysctl_file": str(paths["sysctl"]), "load_cmd": "cat"},
                    "dhclient_hook": {"path": str(paths["hook"])},
                },
            }
        }
    }


def apply(checkout, paths, sls, test=False):
    """Apply ``sls`` as cn44.internal; return {state id: result dict}."""
    args = ["state.apply", sls, f"pillar={json.dumps(_pillar(paths))}"]
    if test:
        args.append("test=True")
    code, ret = salt_call(checkout, "cn44.internal", *args, grains=GRAINS)
    assert isinstance(ret, dict), ret
    states = {state["__id__"]: state for state in ret.values()}
    assert code == 0, {sid: s["comment"] for sid, s in states.items() if s["result"] is False}
    return states


def changed(states):
    return {sid for sid, state in states.items() if state["changes"]}


def restarts(paths, expected, timeout=10):
    """The number of restarts the scheduled command made, once it reaches ``expected``."""
    deadline = time.monotonic() + timeout
    while True:
        count = len(paths["restarts"].read_text().splitlines()) if paths["restarts"].exists() else 0
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def test_bridge_files_backup_and_one_scheduled_restart_then_nothing(checkout, paths):
    first = apply(checkout, paths, "network.bridge")
    assert changed(first) == {
        "network-bridge-physical-ifcfg-backed-up",
        "network-bridge-physical-ifcfg-managed",
        "network-bridge-bridge-ifcfg-managed",
        "network-bridge-restart-scheduled",
    }
    # The admin's file, kept outside the directory the network scripts read.
    assert (paths["backup"] / "ifcfg-em1").read_text() == ORIGINAL_EM1
    assert sorted(p.name for p in paths["scripts"].iterdir()) == [
        "ifcfg-br100",
        "ifcfg-em1",
        "ifcfg-lo",
    ]
    em1 = (paths["scripts"] / "ifcfg-em1").read_text()
    assert "HWADDR=00:30:48:C9:A2:4A\n" in em1
    assert "BRIDGE=br100\n" in em1
    assert restarts(paths, 1) == 1

    second = apply(checkout, paths, "network.bridge")
    assert changed(second) == set()
    assert (
        "none of the onchanges reqs changed"
        in second["network-bridge-restart-scheduled"]["comment"]
    )
    time.sleep(1)
    assert restarts(paths, 2, timeout=0) == 1


def test_a_changed_ifcfg_file_restarts_again_but_the_backup_stays_the_original(checkout, paths):
    apply(checkout, paths, "network.bridge")
    assert restarts(paths, 1) == 1
    br100 = paths["scripts"] / "ifcfg-br100"
    br100.write_text(br100.read_text().replace("BOOTPROTO=dhcp", "BOOTPROTO=none"))

    again = apply(checkout, paths, "network.bridge")
    assert changed(again) == {
        "network-bridge-bridge-ifcfg-managed",
        "network-bridge-restart-scheduled",
    }
    assert "BOOTPROTO=dhcp\n" in br100.read_text()
    assert (paths["backup"] / "ifcfg-em1").read_text() == ORIGINAL_EM1
    assert restarts(paths, 2) == 2


def test_no_backup_of_a_file_this_formula_wrote(checkout, paths):
    apply(checkout, paths, "network.bridge")
    # The backup lost: the managed ifcfg-em1 must not become the "original".
    (paths["backup"] / "ifcfg-em1").unlink()
    again = apply(checkout, paths, "network.bridge")
    assert changed(again) == set()
    assert not (paths["backup"] / "ifcfg-em1").exists()


def test_dry_run_writes_nothing_and_schedules_nothing(checkout, paths):
    states = apply(checkout, paths, "network.bridge", test=True)
    assert states["network-bridge-physical-ifcfg-managed"]["result"] is None
    assert states["network-bridge-restart-scheduled"]["result"] is None
    assert (paths["scripts"] / "ifcfg-em1").read_text() == ORIGINAL_EM1
    assert not (paths["scripts"] / "ifcfg-br100").exists()
    assert not paths["backup"].exists()
    time.sleep(0.5)
    assert restarts(paths, 1, timeout=0) == 0


def test_clean_restores_the_original_and_restarts_once(checkout, paths):
    apply(checkout, paths, "network.bridge")
    assert restarts(paths, 1) == 1
    cleaned = apply(checkout, paths, "network.bridge.clean")
    assert changed(cleaned) == {
        "network-bridge-physical-ifcfg-restored",
        "network-bridge-bridge-ifcfg-absent",
        "network-bridge-clean-restart-scheduled",
    }
    assert (paths["scripts"] / "ifcfg-em1").read_text() == ORIGINAL_EM1
    assert not (paths["scripts"] / "ifcfg-br100").exists()
    assert restarts(paths, 2) == 2
    assert changed(apply(checkout, paths, "network.bridge.clean")) == set()


def test_clean_dry_run_says_what_it_would_restore_and_changes_nothing(checkout, paths):
    apply(checkout, paths, "network.bridge")
    em1 = (paths["scripts"] / "ifcfg-em1").read_text()
    dry = apply(checkout, paths, "network.bridge.clean", test=True)
    restored = dry["network-bridge-physical-ifcfg-restored"]
    assert restored["result"] is None and "+BOOTPROTO=dhcp" in restored["changes"]["diff"]
    assert dry["network-bridge-bridge-ifcfg-absent"]["result"] is None
    assert (paths["scripts"] / "ifcfg-em1").read_text() == em1
    assert (paths["scripts"] / "ifcfg-br100").exists()


def test_clean_without_a_backup_leaves_the_physical_file_alone(checkout, paths):
    cleaned = apply(checkout, paths, "network.bridge.clean")
    assert changed(cleaned) == set()
    assert "there is no" in cleaned["network-bridge-physical-ifcfg-restored"]["comment"]
    assert (paths["scripts"] / "ifcfg-em1").read_text() == ORIGINAL_EM1


def test_ipv6_sysctl_file_written_and_loaded_once(checkout, paths):
    first = apply(checkout, paths, "network.ipv6")
    assert paths["sysctl"].read_text() == "net.ipv6.conf.all.disable_ipv6=1\n"
    loaded = first["network-ipv6-sysctl-file-loaded"]
    assert loaded["changes"]["stdout"] == "net.ipv6.conf.all.disable_ipv6=1"
    assert changed(apply(checkout, paths, "network.ipv6")) == set()


@pytest.mark.parametrize(
    "content",
    [RUNBOOK_HOOK, "#!/bin/sh\n" + RUNBOOK_HOOK, "service openstack-nova-network restart\n\n"],
    ids=["runbook-line", "with-shebang", "service-command"],
)
def test_leftover_runbook_dhclient_hook_is_removed(checkout, paths, content):
    paths["hook"].write_text(content)
    states = apply(checkout, paths, "network.dhclient.clean")
    assert changed(states) == {"network-dhclient-runbook-hook-absent"}
    assert not paths["hook"].exists()


def test_hook_removal_dry_run_then_removal_then_nothing(checkout, paths):
    paths["hook"].write_text(RUNBOOK_HOOK)
    dry = apply(checkout, paths, "network.dhclient.clean", test=True)
    assert dry["network-dhclient-runbook-hook-absent"]["result"] is None
    assert paths["hook"].read_text() == RUNBOOK_HOOK
    assert changed(apply(checkout, paths, "network.dhclient.clean")) == {
        "network-dhclient-runbook-hook-absent"
    }
    assert changed(apply(checkout, paths, "network.dhclient.clean")) == set()


@pytest.mark.parametrize(
    "content",
    [
        "#!/bin/sh\nlogger renewed\n" + RUNBOOK_HOOK,
        "#!/bin/sh\nlogger dhclient done\n",
        "systemctl restart openstack-nova-compute.service\n",
    ],
    ids=["hook-with-more", "unrelated-hook", "other-service"],
)
def test_an_admins_own_dhclient_hook_is_left_alone(checkout, paths, content):
    paths["hook"].write_text(content)
    states = apply(checkout, paths, "network.dhclient.clean")
    assert changed(states) == set()
    assert paths["hook"].read_text() == content


def test_no_dhclient_hook_nothing_to_do(checkout, paths):
    states = apply(checkout, paths, "network.dhclient.clean")
    assert changed(states) == set()
    assert not paths["hook"].exists()
