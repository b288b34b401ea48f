"""
hltcloud.parameters, map.jinja's data: the three parameter files read and merged once per run
(``__context__``), each caller handed its own copy; the merge order is map.jinja's (the
functional twin, test_os_release_data.py, compares it with the Jinja merge it replaced).
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
def configure_loader_modules(files, lookup):
    return {
        hltcloud: {
            "__grains__": FEDORA_19,
            "__context__": {},
            "__salt__": {
                "cp.get_file_str": files.get_file_str,
                "grains.filter_by": salt.modules.grains.filter_by,
                "slsutil.merge": salt.modules.slsutil.merge,
                "pillar.get": lambda key, default: lookup or default,
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


def test_another_lookup_in_the_same_process_merges_again(lookup):
    assert hltcloud.parameters()["backup"]["keep"] != 5
    lookup.update({"backup": {"keep": 5}})  # e.g. state.sls pillar=... after a first call
    assert hltcloud.parameters()["backup"]["keep"] == 5


@pytest.mark.parametrize("name", hltcloud.PARAMETER_FILES)
def test_the_parameter_files_are_plain_yaml(name):
    text = (PARAMETERS / f"{name}.yaml").read_text()
    assert not [mark for mark in ("{{", "{%", "{#") if mark in text]
