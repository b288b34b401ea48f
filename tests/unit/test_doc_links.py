"""
The README, docs/*.md and bench/README.md point at things that exist:

- every relative markdown link names a file or directory of the checkout, and its `#anchor`,
  when the target is a markdown file, is one of that file's headings (GitHub's slugs);
- every backticked path that starts at a top-level entry of the checkout
  (`tools/make_secrets.py`, `salt/nova/conf.jinja`, `tests/functional/{keystone,glance}/...`)
  exists, except the few files an operator or `make` makes (GENERATED);
- the README stays a README: at most 150 lines.

Fenced code blocks are commands and output, not references: they are not read. The last tests
give the checker a small tree with a broken link, anchor and path, and see it complain.
"""

import itertools
import re

import pytest

from tests.conftest import REPO

README_MAX_LINES = 150
# Made on the master or by `make`, named in the docs, never in a fresh clone.
GENERATED = ("pillar/secrets.yaml", "pillar/secrets.yaml.previous", "pillar/demo-key.pub")
GENERATED_DIRS = (".venv", ".local")

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
LINE_SUFFIX = re.compile(r":\d+(-\d+)?$")
BRACES = re.compile(r"\{([^{}]*,[^{}]*)\}")


def docs(root=REPO):
    """The markdown files this test holds to the checkout."""
    found = [
        root / "README.md",
        *sorted((root / "docs").glob("*.md")),
        root / "bench" / "README.md",
    ]
    return [path for path in found if path.is_file()]


def prose_lines(text):
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading):
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed,
    spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path):
    """Every heading anchor of a markdown file; a repeated heading gets -1, -2, ... as on GitHub."""
    seen = {}
    found = set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def expand(token):
    """`a/{b,c}.py` -> [`a/b.py`, `a/c.py`] (brace lists, as the shell expands them)."""
    parts = BRACES.split(token)
    choices = [part.split(",") if index % 2 else [part] for index, part in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*choices)]


def repo_path(token, root):
    """The repository path a backticked token names, or None when it names none: it must
    start at a top-level entry of the checkout and contain no placeholder or space."""
    token = LINE_SUFFIX.sub("", token.strip().rstrip(".,;:"))
    if "/" not in token or re.search(r"[\s<>*$…]|\.\.\.", token) or token.startswith("/"):
        return None
    token = token.removeprefix("./")
    first = token.split("/", 1)[0]
    if first in GENERATED_DIRS or not first or not (root / first).exists():
        return None
    return token


def problems(path, root=REPO):
    """Every broken link, anchor or path of one markdown file, as 'file:line: what'."""
    name = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    found = []
    for number, line in prose_lines(text):
        code_free = CODE_SPAN.sub("", line)
        for target in LINK.findall(code_free):
            if SCHEME.match(target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            if root.resolve() not in (dest, *dest.parents):
                found.append(f"{name}:{number}: link {target}: outside the checkout")
            elif not dest.exists():
                found.append(f"{name}:{number}: link {target}: no such file or directory")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                found.append(f"{name}:{number}: link {target}: no heading '#{anchor}' there")
        for token in CODE_SPAN.findall(line):
            for candidate in expand(token):
                rel = repo_path(candidate, root)
                if rel is None or rel in GENERATED:
                    continue
                if not (root / rel.rstrip("/")).exists():
                    found.append(f"{name}:{number}: `{candidate}`: no such file or directory")
    return found


@pytest.mark.parametrize("doc", docs(), ids=lambda path: path.relative_to(REPO).as_posix())
def test_links_anchors_and_paths_of_the_docs_exist(doc):
    assert problems(doc) == []


def test_the_docs_this_test_reads_are_the_readme_docs_and_bench():
    names = {path.relative_to(REPO).as_posix() for path in docs()}
    assert {"README.md", "docs/runbook.md", "bench/README.md"} <= names
    assert len(names) >= 8, names


def test_the_readme_has_at_most_150_lines():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_the_readme_gives_the_command_ci_runs():
    """.ci/run runs the README's test command: `make test`."""
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "\nmake test\n" in ci
    assert re.search(r"^make test\s+#", readme, re.MULTILINE)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "pillar").mkdir()
    (tmp_path / "tools" / "show.py").write_text("")
    (tmp_path / "docs" / "deploy.md").write_text(
        "# Deploy\n\n## The master on cn43\n\n## Notes\n\n## Notes\n"
    )
    return tmp_path


def _readme(tree, body):
    (tree / "README.md").write_text(body)
    return problems(tree / "README.md", root=tree)


def test_good_links_anchors_and_paths_pass(tree):
    body = (
        "# hlt\n\n## Two `make` commands\n\n"
        "[deploy](docs/deploy.md#the-master-on-cn43), [again](docs/deploy.md#notes-1),"
        " [here](#two-make-commands), [docs](docs/), [web](https://example.org/x.md#y)\n"
        "`tools/show.py`, `tools/{show,show}.py`, `pillar/secrets.yaml`, `nova/network/api.py:141`,"
        " `salt/beacon/<node>/x`, `hltcloud/selfheal/giveup`, `/etc/nova/nova.conf`\n"
        "```\ncat tools/missing.py [x](missing.md) `tools/missing.py`\n```\n"
    )
    assert _readme(tree, body) == []


def test_a_link_to_a_missing_file_is_named(tree):
    assert _readme(tree, "# x\n\nsee [ops](docs/operations.md)\n") == [
        "README.md:3: link docs/operations.md: no such file or directory"
    ]


def test_a_link_to_a_missing_heading_is_named(tree):
    assert _readme(tree, "# x\n\n[a](docs/deploy.md#the-master)\n[b](#nowhere)\n") == [
        "README.md:3: link docs/deploy.md#the-master: no heading '#the-master' there",
        "README.md:4: link #nowhere: no heading '#nowhere' there",
    ]


def test_a_backticked_path_that_does_not_exist_is_named(tree):
    assert _readme(tree, "# x\n\n`tools/{show,keystone_server}.py` and `docs/deploy.md:3`\n") == [
        "README.md:3: `tools/keystone_server.py`: no such file or directory"
    ]


def test_a_link_out_of_the_checkout_is_named(tree):
    assert _readme(tree, "# x\n\n[up](../elsewhere.md)\n") == [
        "README.md:3: link ../elsewhere.md: outside the checkout"
    ]
