"""
The kill switch's mark means one thing to every reader (_utils/drained.py, Salt's to_bool):
the states (compute/drained.jinja), selfheal.drain_mark, selfheal.status, selfheal.heal, the
bridge_gateway beacon and hltcloud.report (what `salt-run hlt.status` shows). Each value is
given two ways: in the minion's loaded grains (a static grain of the minion config, loaded
with the grains), and only in the grains file the kill switch writes (grains.present, so
grains.setval), after the grains were loaded.
"""

import logging
import pathlib

import pytest
import salt.loader
import yaml
from saltfactories.utils.functional import Loaders

from tests.support.checkout import repo_minion_opts

GRAIN = "hltcloud_drained"
# (value, drained): the eight, then the edges the rule decides.
VALUES = [
    (False, False),
    ("false", False),
    ("False", False),
    (0, False),
    ("0", False),
    (True, True),
    ("true", True),
    ("yes", True),
    ("", False),
    ("no", False),
    ("on", False),
    ("1", True),
    ("YES", True),
    (2, True),
]
IDS = [f"{type(value).__name__}-{value!r}" for value, _ in VALUES]
NO_BRIDGE = "hltnobr0"
NETWORK = "203.0.113.24/29"


def readers(loaders, caplog):
    """What each reader makes of the mark: {reader: drained?}."""
    modules = loaders.modules
    found = {
        "selfheal.drain_mark": modules.selfheal.drain_mark()["drained"],
        "selfheal.status": modules.selfheal.status(bridge="lo", network=NETWORK)["drained"],
        "hltcloud.report": modules.hltcloud.report()["drained"],
    }
    rendered = modules.slsutil.renderer(
        string='{%- from "compute/drained.jinja" import drained with context %}'
        "{{ drained.active }} {{ drained.grain }}",
        default_renderer="jinja",
    ).split()
    assert rendered[1] == GRAIN
    found["compute/drained.jinja"] = {"True": True, "False": False}[rendered[0]]
    # Past the mark, the heal looks for the bridge; drained, it stops and says why.
    heal = modules.selfheal.heal(bridge=NO_BRIDGE, network=NETWORK)
    if heal["comment"].startswith("node is drained (kill switch)"):
        assert heal["result"] is True and heal["action"] == "none", heal
        found["selfheal.heal"] = True
    else:
        assert heal["comment"] == f"bridge {NO_BRIDGE} does not exist: nothing to heal", heal
        found["selfheal.heal"] = False
    # Past the mark, the beacon looks for the bridge too (and logs that it is missing).
    beacons = salt.loader.beacons(loaders.opts, modules)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fired = beacons["bridge_gateway.beacon"]([{"bridge": NO_BRIDGE}, {"network": NETWORK}])
    assert fired == []
    looked = [r for r in caplog.records if f"bridge {NO_BRIDGE} does not exist" in r.getMessage()]
    found["bridge_gateway beacon"] = not looked
    return found


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A minion whose loaded grains have no mark (the grains file comes later)."""
    root = tmp_path_factory.mktemp("loaded")
    loaders = Loaders(repo_minion_opts(root))
    assert GRAIN not in loaders.grains
    yield loaders
    loaders.reload_all()


@pytest.mark.parametrize(("value", "drained"), VALUES, ids=IDS)
def test_every_reader_gives_a_loaded_mark_the_same_meaning(tmp_path, caplog, value, drained):
    (tmp_path / "minion").write_text(yaml.safe_dump({"grains": {GRAIN: value}}), encoding="utf-8")
    loaders = Loaders(repo_minion_opts(tmp_path))
    try:
        assert loaders.grains[GRAIN] == value
        found = readers(loaders, caplog)
    finally:
        loaders.reload_all()
    assert found == dict.fromkeys(found, drained)


@pytest.mark.parametrize(("value", "drained"), VALUES, ids=IDS)
def test_every_reader_gives_a_mark_set_since_the_grains_loaded_the_same_meaning(
    loaded, caplog, value, drained
):
    grains_file = pathlib.Path(loaded.opts["conf_file"]).with_name("grains")
    grains_file.write_text(yaml.safe_dump({GRAIN: value}), encoding="utf-8")
    try:
        found = readers(loaded, caplog)
    finally:
        grains_file.unlink()
    assert found == dict.fromkeys(found, drained)


@pytest.mark.parametrize(("value", "drained"), VALUES, ids=IDS)
def test_the_states_read_the_mark_by_the_same_rule_without_the_custom_modules(
    tmp_path, value, drained
):
    # The kill switch must render on a node whose sync failed: compute/drained.jinja then
    # reads the loaded grain itself, with the same name and rule.
    from _utils import drained as rule  # pylint: disable=import-outside-toplevel

    (tmp_path / "minion").write_text(yaml.safe_dump({"grains": {GRAIN: value}}), encoding="utf-8")
    loaders = Loaders(repo_minion_opts(tmp_path, disable_modules=["selfheal"]))
    try:
        assert "selfheal.drain_mark" not in loaders.modules
        rendered = loaders.modules.slsutil.renderer(
            string='{%- from "compute/drained.jinja" import drained with context %}'
            "{{ drained.active }} {{ drained.grain }}",
            default_renderer="jinja",
        ).split()
    finally:
        loaders.reload_all()
    assert rendered == [str(drained), rule.GRAIN]
