"""
The layers show in the imports: what is shipped to the master and minions (the Salt loader
directories ``_modules/``, ``_states/``, ``_utils/`` ...) and what an operator runs
(``tools/``) import nothing from ``tests``; the benchmarks (``bench/``) use the project's public
names only and, from the tests, the support code in ``tests/support`` (never a test module).
Read with :mod:`ast`, so nothing is imported or run.
"""

import ast

import pytest

from tests.conftest import REPO

SHIPPED = sorted(p for p in REPO.glob("_*") if p.is_dir() and not p.name.startswith("__"))


def imports(path):
    """``(module, name)`` for each import in ``path``: ``name`` is None for ``import module``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found += [(node.module, alias.name) for alias in node.names]
    return found


def imports_tests(path):
    """The imports of ``path`` that reach into the ``tests`` package."""
    return [
        f"{path.relative_to(REPO)}: {module}{'.' + name if name else ''}"
        for module, name in imports(path)
        if module.split(".")[0] == "tests"
    ]


def private_or_test_imports(path):
    """The imports of ``path`` of a ``_private`` name or from a test module (not tests.support)."""
    rel = str(path.relative_to(REPO))
    bad = []
    for module, name in imports(path):
        parts = module.split(".")
        private = name is not None and name.startswith("_")
        test_module = parts[0] == "tests" and parts[:2] != ["tests", "support"]
        if private or test_module:
            bad.append(f"{rel}: from {module} import {name}")
    return bad


def test_the_layers_hold_python_files():
    assert list((REPO / "tools").glob("*.py"))
    assert {"_modules", "_states", "_utils"} <= {p.name for p in SHIPPED}
    assert list((REPO / "bench").glob("*.py"))


def test_tools_import_nothing_from_tests():
    found = [line for path in sorted((REPO / "tools").glob("*.py")) for line in imports_tests(path)]
    assert not found, "\n".join(["tools/ is what an operator runs; it imports tests:", *found])


@pytest.mark.parametrize("directory", SHIPPED, ids=lambda p: p.name)
def test_shipped_code_imports_nothing_from_tests(directory):
    found = [line for path in sorted(directory.rglob("*.py")) for line in imports_tests(path)]
    assert not found, "\n".join(["shipped to the master/minions, imports tests:", *found])


def test_bench_imports_public_names_and_support_code_only():
    found = [
        line
        for path in sorted((REPO / "bench").glob("*.py"))
        for line in private_or_test_imports(path)
    ]
    assert not found, "\n".join(["bench/ uses public names and tests/support only:", *found])


def test_the_checks_see_what_they_forbid(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.unit.test_layers.REPO", tmp_path)
    source = tmp_path / "tool.py"
    source.write_text(
        "import tests.support.checkout\n"
        "from tests.functional.test_compute_highstate import salt_call\n"
        "from _modules.openstack_ini import _render_value\n"
        "from tests.support.masterless import args_of\n"
        "from . import sibling\n"
    )
    assert imports_tests(source) == [
        "tool.py: tests.support.checkout",
        "tool.py: tests.functional.test_compute_highstate.salt_call",
        "tool.py: tests.support.masterless.args_of",
    ]
    assert private_or_test_imports(source) == [
        "tool.py: from tests.functional.test_compute_highstate import salt_call",
        "tool.py: from _modules.openstack_ini import _render_value",
    ]
