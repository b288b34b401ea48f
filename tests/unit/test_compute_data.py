"""
The compute formulas' data (salt/parameters) and the rule that their states read every name,
path and port from it.
"""

import re

import pytest
import yaml

from tests.conftest import REPO
from tests.support.salt_python import pins, requirement_files

SALT = REPO / "salt"
PILLAR = REPO / "pillar"
PARAMETERS = SALT / "parameters"
# Keys of salt/parameters whose string values are names the states must read from there.
NAME_KEYS = {
    "pkgs",
    "service",
    "support_services",
    "metadata_service",
    "release_pkg",
    "salt_pip_requirements",
}
# Literals a file may hold, and why.
ALLOWED = {
    # the unit the self-heal reactor restarts: read by _modules/selfheal.py from pillar
    # (a reactor cannot read salt/parameters); the self-heal formula's own data
    ("pillar/selfheal.sls", "openstack-nova-network"),
    # the parameters key firewall:ipset, named in an error (the package has the same name)
    ("salt/firewall/rules.jinja", "ipset"),
}


def _load(name):
    return yaml.safe_load((PARAMETERS / name).read_text())


def _merged(os_family, os=None, major=None):
    """
    defaults.yaml with the os_family's entry merged in, then osmap.yaml's entry for ``os`` and
    ``major`` (osmajorrelease), as salt/map.jinja does (recurse).
    """

    def merge(base, over):
        out = dict(base)
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = value
        return out

    data = merge(_load("defaults.yaml"), _load("osfamilymap.yaml").get(os_family, {}))
    return merge(data, _load("osmap.yaml").get(os, {}).get(major, {}))


def _state_and_pillar_files():
    """Every SLS and Jinja file under salt/ and pillar/ (not the parameters themselves)."""
    files = []
    for root in (SALT, PILLAR):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".sls", ".jinja") and PARAMETERS not in path.parents:
                if not any(part.startswith("_") for part in path.relative_to(REPO).parts):
                    files.append(path)
    return files


def test_redhat_keeps_the_runbooks_package_and_service_names():
    data = _merged("RedHat", "Fedora", 19)
    nova = data["nova"]
    assert nova["compute"]["pkgs"] == ["openstack-nova-compute", "openstack-utils"]
    assert nova["compute"]["service"] == "openstack-nova-compute"
    assert nova["compute"]["support_services"] == ["libvirtd", "dbus"]
    assert nova["network"]["pkgs"] == ["openstack-nova-network", "openstack-nova-api"]
    assert nova["network"]["metadata_service"] == "openstack-nova-metadata-api"
    repo = data["openstack"]["repo"]
    assert repo["managed"] is True
    assert repo["pkgs"] == ["yum-plugin-priorities"]
    assert repo["release_rpm"].endswith("/openstack-icehouse/rdo-release-icehouse-3.noarch.rpm")
    assert repo["settings"] == {
        "baseurl": "http://repos.fedorapeople.org/repos/openstack/openstack-icehouse/fedora-20/",
        "priority": 1,
    }
    assert list(repo["rpms"]) == ["python-oslo-config"]
    # fetched by URL, so pinned; the pins have no default (the operator sets them)
    assert repo["rpms"]["python-oslo-config"]["sha256"] is None
    assert repo["release_rpm_sha256"] is None
    assert nova["compute"]["disablerepo"] == nova["network"]["disablerepo"] == "slc6-*"
    assert data["network"]["bridge"]["scripts_dir"] == "/etc/sysconfig/network-scripts"
    assert data["network"]["bridge"]["restart"]["cmd"] == "service network restart"


def test_centos_7_has_the_epel_7_repo_and_no_fc20_rpm():
    data = _merged("RedHat", "CentOS", 7)
    repo = data["openstack"]["repo"]
    assert repo["settings"]["baseurl"].endswith("/openstack-icehouse/epel-7/")
    assert repo["rpms"] == {}
    assert data["qpid"]["conf"]["path"] == "/etc/qpid/qpidd.conf"
    assert _merged("RedHat", "Fedora", 19)["qpid"]["conf"]["path"] == "/etc/qpidd.conf"


def test_osmap_keys_are_integers_as_grain_osmajorrelease_is():
    for os_name, releases in _load("osmap.yaml").items():
        assert all(isinstance(major, int) for major in releases), os_name


def test_redhat_keeps_the_runbooks_head_names():
    data = _merged("RedHat")
    assert data["mariadb"]["pkgs"] == ["mariadb-server", "MySQL-python"]
    assert data["mariadb"]["service"] == "mariadb"
    assert data["mariadb"]["conf"]["path"] == "/etc/my.cnf.d/openstack.cnf"
    assert data["qpid"]["pkgs"] == ["qpid-cpp-server"]
    assert data["qpid"]["service"] == "qpidd"
    assert data["qpid"]["conf"]["path"] == "/etc/qpidd.conf"  # Fedora 19's, the default
    assert data["keystone"]["pkgs"] == ["openstack-keystone", "python-keystoneclient"]
    assert data["keystone"]["service"] == "openstack-keystone"
    assert data["client"]["pkgs"] == [
        "python-novaclient",
        "python-glanceclient",
        "openstack-utils",
    ]


def test_salt_python_packages_are_pinned_as_in_requirements():
    # What the head's Salt installs runs here too (.venv, the Salt 3008 leg), at the same
    # versions: the tests that apply those pip states to this Python change nothing in it.
    venv = {
        line.strip()
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if "==" in line
    }
    head = {
        f"{pin.name}=={pin.version}"
        for path in requirement_files().values()
        for pin in pins(SALT / path)
    }
    assert len(head) == 9
    assert head - venv == set()


def test_nova_network_service_name_is_where_the_self_heal_reactor_reads_it():
    # hltcloud.nova.network.service, see salt/map.jinja
    assert _merged("RedHat")["nova"]["network"]["service"] == "openstack-nova-network"
    assert _merged("Debian")["nova"]["network"]["service"] == "nova-network"


def test_debian_has_no_rdo_repo_and_no_ifcfg_scripts():
    data = _merged("Debian")
    assert data["openstack"]["repo"]["managed"] is False
    assert data["network"]["bridge"]["scripts_dir"] is None
    # The common data of the foundation is kept; firewalld went to the firewall formula.
    assert data["common"]["services"]["disabled"] == ["NetworkManager"]
    assert data["firewall"]["conflicting_services"] == ["firewalld"]


def test_ifcfg_values_stay_strings_not_yaml_booleans():
    # Unquoted yes/no would load as booleans; the files must say yes/no, as the runbook does.
    bridge = _load("defaults.yaml")["network"]["bridge"]
    for section in ("physical", "bridge"):
        for key, value in bridge[section].items():
            assert not isinstance(value, bool), (section, key)
    assert bridge["physical"]["ONBOOT"] == "yes"
    assert bridge["physical"]["IPV6INIT"] == "no"


def _literals():
    """Every package/service name, path and port of the data, for both os_families."""
    found = set()

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and (
            key in NAME_KEYS or (value.startswith("/") and len(value) > 1)
        ):
            found.add(value)
        elif isinstance(value, int) and not isinstance(value, bool) and value > 1000:
            found.add(str(value))

    for family in ("RedHat", "Debian"):
        data = _merged(family)
        # The firewall's port tables carry the runbook's service labels ("MariaDB",
        # "Keystone admin"), not names that states use.
        for table in ("runbook_ports", "cloud_ports"):
            data.get("firewall", {}).pop(table, None)
        walk(data)
    # Formula names (mariadb, keystone) are identifiers of states, pillar and imports
    # everywhere, even where Debian's service has the same name: only the RedHat name
    # (openstack-keystone) is the data's.
    return found - set(_load("defaults.yaml"))


@pytest.mark.parametrize("sls", _state_and_pillar_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_states_and_pillar_contain_no_literal_names_paths_or_ports(sls):
    # Comments ({# #} and YAML #) may name things; state and pillar data may not. A name
    # followed by "/" is a formula's folder in an import ("keystone/conf.jinja").
    text = re.sub(r"\{#.*?#\}", "", sls.read_text(), flags=re.S)
    code = "\n".join(
        "" if line.lstrip().startswith("#") else line.split(" #", 1)[0]
        for line in text.splitlines()
    )
    relative = str(sls.relative_to(REPO))
    found = [
        literal
        for literal in sorted(_literals())
        if (relative, literal) not in ALLOWED
        and re.search(
            # A name followed by "/" is a folder; a port followed by "/" is a URL's path.
            rf"(?<![\w./-]){re.escape(literal)}(?![\w.{'' if literal.isdigit() else '/'}-])",
            code,
        )
    ]
    assert found == []


def test_the_killswitch_is_not_shadowed_by_the_role_bundle():
    # `compute` is salt/compute.sls; a salt/compute/init.sls would make it ambiguous.
    assert (SALT / "compute.sls").is_file()
    assert not (SALT / "compute" / "init.sls").exists()
    assert (SALT / "compute" / "killswitch.sls").is_file()


def bundle_includes(name):
    """The ``include`` list of a role bundle, its Jinja lines (the role's packages) left out."""
    text = (SALT / name).read_text()
    plain = [line for line in text.splitlines() if not line.lstrip().startswith(("{%", "{{"))]
    return yaml.safe_load("\n".join(plain))["include"]


def test_role_bundle_includes_the_compute_formulas():
    assert bundle_includes("compute.sls") == [
        "validate",
        "firewall",
        "common",
        "openstack.repo",
        "network",
        "nova.compute",
        "nova.network",
    ]


def test_pillar_example_documents_the_new_keys():
    example = yaml.safe_load((REPO / "pillar.example").read_text())
    lookup = example["hltcloud"]["lookup"]
    assert lookup["nova"]["compute"]["settings"]["libvirt"]["virt_type"] == "qemu"
    assert lookup["openstack"]["apis"]["identity"]["admin_port"] == 35357
    assert lookup["nova"]["novncproxy"]["port"] == 6080
    assert lookup["nova"]["network"]["service"] == "openstack-nova-network"
    assert lookup["network"]["bridge"]["restart"]["delay"] == 60
    assert lookup["openstack"]["repo"]["settings"]["priority"] == 1


def test_every_formula_folder_has_its_install_config_service_steps_and_clean_twins():
    steps = {
        "nova/compute": [
            "package/install.sls",
            "package/clean.sls",
            "service/running.sls",
            "service/clean.sls",
            "init.sls",
        ],
        "nova/network": [
            "package/install.sls",
            "package/clean.sls",
            "service/running.sls",
            "service/clean.sls",
            "init.sls",
        ],
        "nova/config": ["file.sls", "clean.sls"],
        "network/bridge": ["file.sls", "restart.sls", "clean.sls", "init.sls"],
        "network/ipv6": ["file.sls", "clean.sls", "init.sls"],
        "openstack/repo": ["init.sls", "clean.sls"],
        # the head (salt/head.sls)
        "mariadb": ["init.sls", "clean.sls", "macros.jinja"],
        "mariadb/package": ["install.sls", "clean.sls"],
        "mariadb/config": ["file.sls", "clean.sls"],
        "mariadb/service": ["running.sls", "clean.sls"],
        "mariadb/secure": ["init.sls", "clean.sls"],
        "qpid": ["init.sls", "clean.sls"],
        "qpid/package": ["install.sls", "clean.sls"],
        "qpid/config": ["file.sls", "clean.sls"],
        "qpid/service": ["running.sls", "clean.sls"],
        "keystone": ["init.sls", "clean.sls", "conf.jinja", "catalog.jinja", "catalog.sls"],
        "keystone/package": ["install.sls", "clean.sls"],
        "keystone/config": ["file.sls", "pki.sls", "clean.sls"],
        "keystone/db": ["init.sls", "clean.sls"],
        "keystone/service": ["running.sls", "clean.sls"],
        "client": ["init.sls", "clean.sls", "profiles.jinja"],
        "client/package": ["install.sls", "clean.sls"],
        "client/config": ["file.sls", "clean.sls"],
    }
    missing = [
        f"{folder}/{step}"
        for folder, names in steps.items()
        for step in names
        if not (SALT / folder / step).is_file()
    ]
    assert not missing
