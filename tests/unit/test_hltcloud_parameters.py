"""
hltcloud.parameters, map.jinja's data: the three parameter files read and merged once per run
(``__context__``), each caller handed its own copy; the merge order is map.jinja's (the
functional twin, test_os_release_data.py, compares it with the Jinja merge it replaced).
``fetch=False`` reads the copies the node's file client kept (the self-heal's way; on real
daemons in tests/integration/test_selfheal.py).
"""

import copy

import pytest
import salt.modules.grains
import salt.modules.slsutil
import salt.utils.dictupdate
import yaml

from _modules import hltcloud
from tests.conftest import REPO

PARAMETERS = REPO / "salt" / "parameters"
FEDORA_19 = {"os_family": "RedHat", "os": "Fedora", "osmajorrelease": 19}


class Files:
    """cp.get_file_str over the checkout's salt/ tree, counting its reads."""

    def __init__(self):
        self.reads, self.missing = [], False

    def get_file_str(self, url, saltenv="base"):
        self.reads.append(url)
        if self.missing:
            return False  # cp.get_file_str's answer for a file the file server lacks
        return (REPO / "salt" / url.removeprefix("salt://")).read_text()


@pytest.fixture
def files():
    return Files()


@pytest.fixture
def lookup():
    return {}


@pytest.fixture
def configure_loader_modules(files, lookup, tmp_path):
    return {
        hltcloud: {
            "__opts__": {"cachedir": str(tmp_path)},
            "__grains__": FEDORA_19,
            "__pillar__": {"hltcloud": {"lookup": lookup}},
            "__context__": {},
            "__salt__": {
                "cp.get_file_str": files.get_file_str,
                "grains.filter_by": salt.modules.grains.filter_by,
                "slsutil.merge": salt.modules.slsutil.merge,
                # Salt 3008.4's answer outside a template: every leaf redacted
                "pillar.get": lambda key, default=None: {
                    "nova": {"network": {"service": "**********"}}
                },
            },
        },
        salt.modules.grains: {"__grains__": FEDORA_19, "__opts__": {}, "__pillar__": {}},
        salt.modules.slsutil: {"__opts__": {}},
    }


def test_the_files_are_read_once_per_run_and_each_caller_gets_a_copy(files):
    first = hltcloud.parameters()
    first["nova"]["compute"]["service"] = "changed by one SLS"
    second = hltcloud.parameters()
    assert files.reads == [f"salt://parameters/{n}.yaml" for n in hltcloud.PARAMETER_FILES]
    assert second["nova"]["compute"]["service"] != "changed by one SLS"


def test_fedora_19_gets_its_release_over_the_family_over_the_defaults(lookup):
    defaults, family, releases = (
        yaml.safe_load((PARAMETERS / f"{n}.yaml").read_text()) for n in hltcloud.PARAMETER_FILES
    )
    lookup.update({"backup": {"keep": 3}})
    wanted = copy.deepcopy(defaults)
    for layer in (family["RedHat"], releases["Fedora"][19], lookup):
        wanted = salt.utils.dictupdate.merge(wanted, layer, strategy="recurse")
    assert hltcloud.parameters() == wanted
    assert hltcloud.parameters()["backup"]["keep"] == 3


def test_an_unreadable_file_fails_naming_it(files):
    files.missing = True
    with pytest.raises(hltcloud.CommandExecutionError, match=r"salt://parameters/defaults\.yaml"):
        hltcloud.parameters("base")


def test_the_lookup_is_read_unmasked_outside_a_template(lookup):
    lookup.update({"nova": {"network": {"service": "site-nova-network"}}})
    assert hltcloud.parameters()["nova"]["network"]["service"] == "site-nova-network"


def test_another_lookup_in_the_same_process_merges_again(lookup):
    assert hltcloud.parameters()["backup"]["keep"] != 5
    lookup.update({"backup": {"keep": 5}})  # e.g. state.sls pillar=... after a first call
    assert hltcloud.parameters()["backup"]["keep"] == 5


def _keep(tmp_path, *names):
    """The node's kept copies (its file cache) of ``names``, Fedora's service renamed."""
    kept = tmp_path / "files" / "base" / "parameters"
    kept.mkdir(parents=True, exist_ok=True)
    for name in names:
        text = (PARAMETERS / f"{name}.yaml").read_text()
        if name == "osfamilymap":
            text = text.replace("openstack-nova-network", "kept-nova-network")
        (kept / f"{name}.yaml").write_text(text)


def test_kept_copies_are_read_without_asking_the_master(files, tmp_path):
    _keep(tmp_path, *hltcloud.PARAMETER_FILES)
    assert hltcloud.parameters(fetch=False)["nova"]["network"]["service"] == "kept-nova-network"
    assert files.reads == []


def test_a_file_the_node_did_not_keep_is_fetched(files, tmp_path):
    _keep(tmp_path, "defaults", "osfamilymap")
    assert hltcloud.parameters(fetch=False)["nova"]["network"]["service"] == "kept-nova-network"
    assert files.reads == ["salt://parameters/osmap.yaml"]


def test_what_this_run_fetched_is_not_replaced_by_kept_copies(files, tmp_path):
    _keep(tmp_path, *hltcloud.PARAMETER_FILES)
    fetched = hltcloud.parameters()
    assert hltcloud.parameters(fetch=False) == fetched
    assert fetched["nova"]["network"]["service"] == "openstack-nova-network"
    assert len(files.reads) == len(hltcloud.PARAMETER_FILES)


def test_kept_copies_do_not_stand_in_for_a_fetch(files, tmp_path):
    _keep(tmp_path, *hltcloud.PARAMETER_FILES)
    hltcloud.parameters(fetch=False)
    assert hltcloud.parameters()["nova"]["network"]["service"] == "openstack-nova-network"


def test_a_kept_copy_that_does_not_parse_is_fetched(files, tmp_path, caplog):
    _keep(tmp_path, *hltcloud.PARAMETER_FILES)
    (tmp_path / "files" / "base" / "parameters" / "osfamilymap.yaml").write_text("a: [b\n")
    assert hltcloud.parameters(fetch=False)["nova"]["network"]["service"] == (
        "openstack-nova-network"
    )
    assert files.reads == ["salt://parameters/osfamilymap.yaml"]
    assert "osfamilymap.yaml is unusable" in caplog.text


@pytest.mark.parametrize("saltenv", ["../base", "base/../../etc", "", ".hidden", "base\n"])
def test_a_saltenv_that_is_no_name_reads_no_path(saltenv):
    with pytest.raises(hltcloud.CommandExecutionError, match="is not a saltenv"):
        hltcloud.parameters(saltenv, fetch=False)


@pytest.mark.parametrize("name", hltcloud.PARAMETER_FILES)
def test_the_parameter_files_are_plain_yaml(name):
    text = (PARAMETERS / f"{name}.yaml").read_text()
    assert not [mark for mark in ("{{", "{%", "{#") if mark in text]
