"""
What differs between the runbook's Fedora 19 and production's CentOS 7, in the compiled
highstates of a compute node (cn44) and of the head (cn43): salt/parameters/osmap.yaml, keyed by
grains `os` and `osmajorrelease`, merged by salt/map.jinja over the os_family's data.

Masterless `salt-call --id NODE state.show_highstate` in a copy of the checkout, with static
grains for the platform (this host is Debian; only compiling happens, nothing is applied).
"""

import json

import pytest

from tests.functional.test_compute_highstate import MACS, OSLO_CONFIG_FC20, args_of, salt_call
from tests.functional.test_compute_highstate import checkout as checkout  # noqa: PLC0414
from tests.support.checkout import checkout_with_secrets

RDO = "http://repos.fedorapeople.org/repos/openstack/openstack-icehouse/"
FEDORA_19 = {"os_family": "RedHat", "os": "Fedora", "osmajorrelease": 19}
CENTOS_7 = {"os_family": "RedHat", "os": "CentOS", "osmajorrelease": 7}
PLATFORMS = {"fedora19": FEDORA_19, "centos7": CENTOS_7}
# The values that differ, per platform.
BASEURL = {"fedora19": RDO + "fedora-20/", "centos7": RDO + "epel-7/"}
QPIDD_CONF = {"fedora19": "/etc/qpidd.conf", "centos7": "/etc/qpid/qpidd.conf"}
NODES = ("cn43.internal", "cn44.internal")


def grains_for(platform, node):
    grains = dict(PLATFORMS[platform])
    if node in MACS:
        grains["hwaddr_interfaces"] = {"lo": "00:00:00:00:00:00", "em1": MACS[node]}
    return grains


@pytest.fixture(scope="module")
def highstates(checkout):
    """{(platform, node): compiled highstate} for cn43 and cn44 on Fedora 19 and CentOS 7."""
    compiled = {}
    for platform in PLATFORMS:
        for node in NODES:
            code, high = salt_call(
                checkout, node, "state.show_highstate", grains=grains_for(platform, node)
            )
            assert code == 0 and isinstance(high, dict), high
            compiled[platform, node] = high
    return compiled


def lookup(checkout, node, platform, key):
    """One key of salt/map.jinja's data, rendered on ``node`` with ``platform``'s grains."""
    template = (
        '{%- from "map.jinja" import hltcloud with context -%}'
        "{{ hltcloud | traverse('" + key + "') | json }}"
    )
    code, rendered = salt_call(
        checkout,
        node,
        "slsutil.renderer",
        f"string={template}",
        "default_renderer=jinja",
        grains=grains_for(platform, node),
    )
    assert code == 0, rendered
    return json.loads(rendered)


@pytest.mark.parametrize("node", NODES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_rdo_baseurl_is_the_platforms(highstates, platform, node):
    fun, repo_file = args_of(highstates[platform, node], "openstack-repo-file-configured")
    assert fun == "openstack_ini.present"
    assert repo_file["sections"]["openstack-icehouse"]["baseurl"] == BASEURL[platform]


@pytest.mark.parametrize("node", NODES)
def test_fc20_oslo_config_rpm_only_on_fedora_19(highstates, node):
    _, hack = args_of(highstates["fedora19", node], "openstack-repo-extra-rpms-installed")
    (rpm,) = hack["sources"]
    assert rpm["python-oslo-config"].endswith(OSLO_CONFIG_FC20)
    centos = highstates["centos7", node]
    assert "openstack-repo-extra-rpms-installed" not in centos
    assert OSLO_CONFIG_FC20 not in json.dumps(centos)


@pytest.mark.parametrize("node", NODES)
def test_centos_7_adds_epel_and_rdos_selinux_policy(highstates, node):
    centos, fedora = highstates["centos7", node], highstates["fedora19", node]
    # the Icehouse guide for RHEL/CentOS 7: EPEL's release package (CentOS extras), no URL
    _, plugins = args_of(centos, "openstack-repo-priorities-plugin-installed")
    assert plugins["pkgs"] == ["yum-plugin-priorities", "epel-release"]
    assert args_of(fedora, "openstack-repo-priorities-plugin-installed")[1]["pkgs"] == [
        "yum-plugin-priorities"
    ]
    # SELinux enforces on CentOS 7: RDO's policy once the repository is configured
    fun, policy = args_of(centos, "openstack-repo-selinux-policy-installed")
    assert (fun, policy["pkgs"]) == ("pkg.installed", ["openstack-selinux"])
    assert {"openstack_ini": "openstack-repo-file-configured"} in policy["require"]
    # the runbook: "we don't install the openstack-selinux package on Fedora"
    assert "openstack-repo-selinux-policy-installed" not in fedora


@pytest.mark.parametrize("platform", PLATFORMS)
def test_qpid_is_installed_after_the_repositories(highstates, platform):
    # qpid-cpp-server comes from EPEL on CentOS 7
    _, qpid = args_of(highstates[platform, "cn43.internal"], "qpid-packages-installed")
    assert {"sls": "openstack.repo"} in qpid["require"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_compute_installs_skip_the_slc6_repositories(highstates, platform):
    high = highstates[platform, "cn44.internal"]
    fun, args = args_of(high, "compute-packages-installed")  # nova-compute, nova-network
    assert fun == "pkg.installed"
    assert args["disablerepo"] == "slc6-*"


def test_debian_installs_name_no_disablerepo(checkout):
    code, high = salt_call(checkout, "cn44.internal", "state.show_sls", "compute")
    assert code == 0, high
    assert "disablerepo" not in args_of(high, "compute-packages-installed")[1]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_qpidd_conf_path_is_the_platforms(checkout, platform):
    assert lookup(checkout, "cn43.internal", platform, "qpid:conf:path") == QPIDD_CONF[platform]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_service_names_are_the_same_on_both(highstates, platform):
    running = {
        args["name"]
        for fun, args in (
            args_of(highstates[platform, "cn44.internal"], sid)
            for sid in highstates[platform, "cn44.internal"]
        )
        if fun == "service.running"
    }
    assert running == {
        "network",  # common: started once NetworkManager is stopped
        "iptables",  # the firewall's, started after its rules load
        "ip6tables",  # the firewall's IPv6 twin, likewise
        "libvirtd",
        "dbus",
        "openstack-nova-compute",
        "openstack-nova-network",
        "openstack-nova-metadata-api",
    }


def test_redhat_release_without_data_fails_one_state_clearly(checkout):
    grains = {"os_family": "RedHat", "os": "Fedora", "osmajorrelease": 40}
    code, high = salt_call(checkout, "cn43.internal", "state.show_highstate", grains=grains)
    assert code == 0, high
    fun, args = args_of(high, "openstack-repo-file-configured")
    assert fun == "hltcloud.failed"
    assert "No RDO Icehouse baseurl for Fedora 40" in args["comment"]
    assert "openstack-repo-release-package-installed" not in high


def test_pillar_lookup_overrides_the_release_data(checkout):
    lookup_pillar = {"hltcloud": {"lookup": {"openstack": {"repo": {"rpms": []}}}}}
    code, high = salt_call(
        checkout,
        "cn43.internal",
        "state.show_highstate",
        f"pillar={json.dumps(lookup_pillar)}",
        grains=FEDORA_19,
    )
    assert code == 0, high
    assert "openstack-repo-extra-rpms-installed" not in high
    baseurl = args_of(high, "openstack-repo-file-configured")[1]["sections"]
    assert baseurl["openstack-icehouse"]["baseurl"] == BASEURL["fedora19"]


@pytest.fixture(scope="module")
def unpinned(tmp_path_factory):
    """A checkout whose operator has not set the RPMs' sha256 yet (they have no default)."""
    return checkout_with_secrets(tmp_path_factory.mktemp("unpinned") / "hlt-cloud", pins=False)


RELEASE_PIN = "openstack:repo:release_rpm_sha256"
OSLO_PIN = "openstack:repo:rpms:python-oslo-config:sha256"


@pytest.mark.parametrize("node", NODES)
def test_an_rpm_without_its_sha256_fails_one_line_naming_the_key(unpinned, node):
    code, high = salt_call(unpinned, node, "state.show_highstate", grains=FEDORA_19)
    assert code == 0, high
    for sid, key in (
        ("openstack-repo-release-rpm-downloaded", RELEASE_PIN),
        ("openstack-repo-rpm-python-oslo-config-downloaded", OSLO_PIN),
    ):
        fun, args = args_of(high, sid)
        assert fun == "hltcloud.failed"
        assert args["comment"].startswith(f"parameter {key} is not set: ")
        assert f"set hltcloud:lookup:{key} " in args["comment"]
        assert "\n" not in args["comment"]
    # Nothing unchecked is installed: each install waits for its (failing) download.
    _, release = args_of(high, "openstack-repo-release-package-installed")
    assert {"id": "openstack-repo-release-rpm-downloaded"} in release["require"]
    _, hack = args_of(high, "openstack-repo-extra-rpms-installed")
    assert {"id": "openstack-repo-rpm-python-oslo-config-downloaded"} in hack["require"]


def test_the_sha256_given_in_pillar_lookup_checks_the_download(unpinned):
    pin = "ab" * 32
    lookup_pillar = {
        "hltcloud": {
            "lookup": {
                "openstack": {
                    "repo": {
                        "release_rpm_sha256": pin.upper(),
                        "rpms": {"python-oslo-config": {"sha256": "not-a-sha256"}},
                    }
                }
            }
        }
    }
    code, high = salt_call(
        unpinned,
        "cn44.internal",
        "state.show_highstate",
        f"pillar={json.dumps(lookup_pillar)}",
        grains=FEDORA_19,
    )
    assert code == 0, high
    fun, fetched = args_of(high, "openstack-repo-release-rpm-downloaded")
    assert (fun, fetched["source_hash"]) == ("file.managed", f"sha256={pin}")
    fun, oslo = args_of(high, "openstack-repo-rpm-python-oslo-config-downloaded")
    assert fun == "hltcloud.failed"
    assert oslo["comment"] == f"parameter {OSLO_PIN} is not a sha256 (64 hex digits)"


def test_an_rpm_url_without_a_plain_file_name_is_refused(checkout):
    url = RDO + "rdo-release.rpm?mirror=1"
    lookup_pillar = {"hltcloud": {"lookup": {"openstack": {"repo": {"release_rpm": url}}}}}
    code, high = salt_call(
        checkout,
        "cn44.internal",
        "state.show_highstate",
        f"pillar={json.dumps(lookup_pillar)}",
        grains=FEDORA_19,
    )
    assert code == 0, high
    release = ("openstack-repo-release-rpm-downloaded", "openstack-repo-release-package-installed")
    for sid in release:
        fun, args = args_of(high, sid)
        assert fun == "hltcloud.failed"
        assert args["comment"] == (
            f"parameter openstack:repo:release_rpm: source '{url}' has a query string: "
            "point it at the file itself"
        )


@pytest.fixture(scope="module")
def built_node(tmp_path_factory):
    """
    An unpinned checkout on a node built before the pins: rdo-release is installed. This
    host has no rpm database, so a stand-in pkg.version (a module of the copy's _modules,
    which Salt loads over its own pkg) answers for it; python-oslo-config is not installed.
    """
    target = checkout_with_secrets(tmp_path_factory.mktemp("built") / "hlt-cloud", pins=False)
    (target / "_modules" / "rpmdb_standin.py").write_text(
        '__virtualname__ = "pkg"\n\n\n'
        "def __virtual__():\n    return __virtualname__\n\n\n"
        "def version(*names, **kwargs):\n"
        '    return "icehouse-4" if names == ("rdo-release",) else ""\n'
    )
    return target


def test_an_installed_rpm_is_not_downloaded_again_nor_needs_its_pin(built_node):
    code, high = salt_call(built_node, "cn44.internal", "state.show_highstate", grains=FEDORA_19)
    assert code == 0, high
    fun, fetched = args_of(high, "openstack-repo-release-rpm-downloaded")
    assert fun == "hltcloud.ready"
    assert fetched["comment"] == "rdo-release icehouse-4 is installed: not downloaded again"
    fun, install = args_of(high, "openstack-repo-release-package-installed")
    assert (fun, install["name"]) == ("pkg.installed", "rdo-release")
    assert "sources" not in install
    # The one not installed still needs its pin, and says so.
    fun, oslo = args_of(high, "openstack-repo-rpm-python-oslo-config-downloaded")
    assert fun == "hltcloud.failed" and oslo["comment"].startswith(f"parameter {OSLO_PIN} is not")


# map.jinja's merge as it was written in Jinja before hltcloud.parameters did it once per run.
JINJA_MERGE = """\
{%- import_yaml "parameters/defaults.yaml" as defaults %}
{%- import_yaml "parameters/osfamilymap.yaml" as osfamilymap %}
{%- import_yaml "parameters/osmap.yaml" as osmap %}
{%- set osfamily = salt["grains.filter_by"](osfamilymap, grain="os_family") or {} %}
{%- set releases = osmap.get(grains.get("os"), {}) %}
{%- set major = grains.get("osmajorrelease") %}
{%- set osrelease = releases.get(major) or releases.get(major | string) or {} %}
{%- set hltcloud = salt["slsutil.merge"](defaults, osfamily, strategy="recurse") %}
{%- set hltcloud = salt["slsutil.merge"](hltcloud, osrelease, strategy="recurse") %}
{%- set hltcloud = salt["slsutil.merge"](
      hltcloud, salt["pillar.get"]("hltcloud:lookup", {}), strategy="recurse") %}
{{- hltcloud | json }}"""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_parameters_module_merges_as_map_jinja_did(checkout, platform):
    node = NODES[0]
    code, merged = salt_call(
        checkout, node, "hltcloud.parameters", grains=grains_for(platform, node)
    )
    assert code == 0, merged
    code, rendered = salt_call(
        checkout,
        node,
        "slsutil.renderer",
        "string=" + JINJA_MERGE.replace("\n", " "),  # one line: a key=value argument
        "default_renderer=jinja",
        grains=grains_for(platform, node),
    )
    assert code == 0, rendered
    assert merged == json.loads(rendered)
    assert merged["openstack"]["repo"]["settings"]["baseurl"] == BASEURL[platform]
