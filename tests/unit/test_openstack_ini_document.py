"""The ini document (_utils/ini_document.py): the line-based parser and editor, no I/O."""

import pathlib

import pytest
from salt.exceptions import CommandExecutionError

from _utils import ini_document as mod
from _utils import ini_secret

FILES = pathlib.Path(__file__).resolve().parent.parent / "functional" / "files"
STOCK = sorted(FILES.glob("*.stock"))


def doc_of(text):
    return mod.IniDocument(text, source="test.conf")


def present(text, sections, secret_keys=None):
    doc = doc_of(text)
    changes = mod.plan_present(
        doc, mod.validate_present(sections), sections, ini_secret.masker(secret_keys)
    )
    return doc.render(), changes


@pytest.mark.parametrize("path", STOCK, ids=[p.name for p in STOCK])
def test_render_without_edits_gives_back_the_same_text(path):
    text = path.read_text()
    assert doc_of(text).render() == text


@pytest.mark.parametrize(
    "text",
    [
        "[DEFAULT]\r\nkey = value\r\n\r\n# c\r\n",
        "[DEFAULT]\nkey = value",
        "",
        "\n\n",
        "[a]\nx=1\n\ty\n",
    ],
)
def test_render_without_edits_keeps_odd_line_endings(text):
    assert doc_of(text).render() == text


def test_get_reads_values_as_oslo_does():
    doc = doc_of(
        "[DEFAULT]\n"
        "a=1\n"
        "b = two words \n"
        "c: colon\n"
        "d = x=y:z\n"
        "e =\n"
        "# f = commented\n"
        "g = first\n"
        "  second\n"
        "\n"
        "[other]\n"
        "a = other\n"
    )
    assert doc.get("DEFAULT", "a") == "1"
    assert doc.get("DEFAULT", "b") == "two words"
    assert doc.get("DEFAULT", "c") == "colon"
    assert doc.get("DEFAULT", "d") == "x=y:z"
    assert doc.get("DEFAULT", "e") == ""
    assert doc.get("DEFAULT", "f") is None
    assert doc.get("DEFAULT", "g") == "first\nsecond"
    assert doc.get("other", "a") == "other"
    assert doc.get("missing", "a") is None


def test_get_returns_the_last_of_duplicate_keys_across_repeated_sections():
    doc = doc_of("[DEFAULT]\nx = 1\n[s]\ny = 2\n[DEFAULT]\nx = 3\n")
    assert doc.get("DEFAULT", "x") == "3"
    assert doc.sections() == ["DEFAULT", "s"]
    assert doc.as_dict() == {"DEFAULT": {"x": "3"}, "s": {"y": "2"}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("key = value\n[DEFAULT]\n", "line 1: key 'key' comes before any"),
        ("# header\n\nconnection = mysql://u:pw@h/db\n", "line 3: key 'connection' comes before"),
        ("[DEFAULT\nx = 1\n", "line 1: section header"),
        ("[]\n", "line 1: section header"),
        ("[DEFAULT]\njust words\n", "line 2: expected 'key = value'"),
        ("[DEFAULT]\n= value\n", "line 2: '=' without a key"),
        ("[DEFAULT]\n\n  indented\n", "line 3: indented line does not continue a key"),
    ],
)
def test_malformed_text_is_refused_with_the_line_number(text, message):
    with pytest.raises(CommandExecutionError, match=message):
        doc_of(text)


def test_malformed_error_does_not_quote_the_line():
    with pytest.raises(CommandExecutionError) as excinfo:
        doc_of("[DEFAULT]\nadmin_password s3cret\n")
    assert "s3cret" not in str(excinfo.value)


def test_changed_key_keeps_its_line_spacing_and_position():
    text = "[DEFAULT]\na=1\nb = 2\nc   =   3\n"
    out, _ = present(text, {"DEFAULT": {"a": 10, "b": 20, "c": 30}})
    assert out == "[DEFAULT]\na=10\nb = 20\nc   =   30\n"


@pytest.mark.parametrize(
    ("line", "new_line"), [("qpid_username =\n", "qpid_username = u\n"), ("x=\n", "x=u\n")]
)
def test_empty_key_gets_a_value_with_matching_spacing(line, new_line):
    key = line.split("=")[0].strip()
    out, _ = present(f"[DEFAULT]\n{line}", {"DEFAULT": {key: "u"}})
    assert out == f"[DEFAULT]\n{new_line}"


def test_spacing_alone_is_no_change():
    text = "[DEFAULT]\na=1\nb   =   two\n"
    out, changes = present(text, {"DEFAULT": {"a": 1, "b": "two"}})
    assert changes == {}
    assert out == text


def test_new_key_goes_right_after_its_commented_default():
    text = (
        "[database]\n"
        "# SQLAlchemy URL (string value)\n"
        "#connection=<None>\n"
        "\n"
        "# Idle timeout (integer value)\n"
        "#idle_timeout=3600\n"
        "\n"
    )
    out, _ = present(text, {"database": {"connection": "sqlite://"}})
    assert out == text.replace(
        "#connection=<None>\n", "#connection=<None>\nconnection = sqlite://\n"
    )


def test_commented_default_with_spaces_is_found_too():
    text = "[paste_deploy]\n# flavor doc\n# flavor = <None>\n\n#config_file = x\n"
    out, _ = present(text, {"paste_deploy": {"flavor": "keystone"}})
    assert out == text.replace("# flavor = <None>\n", "# flavor = <None>\nflavor = keystone\n")


def test_new_key_without_commented_default_goes_after_the_last_key_of_its_section():
    text = "[keystone_authtoken]\nauth_host = h\nauth_port = 35357\n\n# trailing\n\n[next]\nx = 1\n"
    out, _ = present(text, {"keystone_authtoken": {"auth_uri": "http://h:5000"}})
    assert out == text.replace("35357\n", "35357\nauth_uri = http://h:5000\n")


def test_new_key_in_a_section_without_keys_goes_before_its_trailing_blank_lines():
    text = "[a]\n# only a comment\n\n\n[b]\n"
    out, _ = present(text, {"a": {"k": "v"}})
    assert out == "[a]\n# only a comment\nk = v\n\n\n[b]\n"


def test_new_key_goes_into_the_last_block_of_a_repeated_section():
    text = "[DEFAULT]\nx = 1\n\n[s]\ny = 2\n\n[DEFAULT]\nz = 3\n"
    out, _ = present(text, {"DEFAULT": {"w": 4}})
    assert out == text + "w = 4\n"


def test_new_keys_keep_the_given_order():
    out, _ = present("[s]\n", {"s": {"b": 1, "a": 2, "c": 3}})
    assert out == "[s]\nb = 1\na = 2\nc = 3\n"


def test_new_section_is_appended_after_a_blank_line():
    out, changes = present("[DEFAULT]\nx = 1\n", {"paste_deploy": {"flavor": "keystone"}})
    assert out == "[DEFAULT]\nx = 1\n\n[paste_deploy]\nflavor = keystone\n"
    assert changes == {"paste_deploy/flavor": {"old": None, "new": "keystone"}}


def test_new_section_in_an_empty_file_has_no_leading_blank_line():
    out, _ = present("", {"DEFAULT": {"debug": False}})
    assert out == "[DEFAULT]\ndebug = False\n"


def test_file_without_final_newline_gets_one_before_appended_lines():
    out, _ = present("[DEFAULT]\nx = 1", {"DEFAULT": {"y": 2}, "new": {"z": 3}})
    assert out == "[DEFAULT]\nx = 1\ny = 2\n\n[new]\nz = 3\n"


def test_crlf_file_gets_crlf_lines():
    out, _ = present("[DEFAULT]\r\nx = 1\r\n", {"DEFAULT": {"x": 2, "y": 3}})
    assert out == "[DEFAULT]\r\nx = 2\r\ny = 3\r\n"


def test_duplicate_keys_collapse_into_the_last_when_the_value_changes():
    text = "[DEFAULT]\nx = 1\n\n[DEFAULT]\nx = 2\ny = 0\n"
    out, changes = present(text, {"DEFAULT": {"x": 3}})
    assert out == "[DEFAULT]\n\n[DEFAULT]\nx = 3\ny = 0\n"
    assert changes == {"DEFAULT/x": {"old": "2", "new": "3"}}


def test_duplicate_keys_are_left_alone_when_the_last_already_holds_the_value():
    text = "[DEFAULT]\nx = 1\nx = 2\n"
    out, changes = present(text, {"DEFAULT": {"x": 2}})
    assert (out, changes) == (text, {})


def test_multi_line_value_is_replaced_with_one_line():
    text = "[DEFAULT]\nx = a\n  b\n  c\ny = 1\n"
    out, changes = present(text, {"DEFAULT": {"x": "a"}})
    assert out == "[DEFAULT]\nx = a\ny = 1\n"
    assert changes == {"DEFAULT/x": {"old": "a\nb\nc", "new": "a"}}


def test_remove_drops_every_occurrence_and_its_continuation_lines():
    doc = doc_of("[DEFAULT]\n#x = default\nx = 1\n  more\ny = 2\n[DEFAULT]\nx = 3\n")
    changes = mod.plan_absent(
        doc, {"DEFAULT": ["x", "missing"], "nosection": ["x"]}, ini_secret.masker(())
    )
    assert changes == {"DEFAULT/x": {"old": "3", "new": None}}
    assert doc.render() == "[DEFAULT]\n#x = default\ny = 2\n[DEFAULT]\n"


def test_changes_mask_secret_values():
    text = "[database]\nconnection = sqlite://\n[keystone_authtoken]\nadmin_password = old\n"
    _, changes = present(
        text,
        {
            "database": {"connection": "mysql://u:pw@h/db"},
            "keystone_authtoken": {"admin_password": "new", "admin_token": "t", "auth_uri": "u"},
        },
        secret_keys=["keystone_authtoken/auth_uri"],
    )
    assert changes == {
        "database/connection": {"old": "***", "new": "***"},
        "keystone_authtoken/admin_password": {"old": "***", "new": "***"},
        "keystone_authtoken/admin_token": {"old": None, "new": "***"},
        "keystone_authtoken/auth_uri": {"old": None, "new": "***"},
    }


def test_bool_and_list_values_are_not_rewritten_when_oslo_reads_them_the_same():
    text = "[DEFAULT]\ndebug = true\nenabled_apis = ec2, osapi_compute\n"
    out, changes = present(
        text, {"DEFAULT": {"debug": True, "enabled_apis": ["ec2", "osapi_compute"]}}
    )
    assert (out, changes) == (text, {})


def test_get_sees_edits_made_before_render():
    doc = doc_of("[DEFAULT]\nx = 1\n[s]\n")
    assert doc.set("DEFAULT", "x", "2") == "1"
    assert doc.set("s", "y", "3") is None
    assert doc.set("t", "z", "4") is None
    assert (doc.get("DEFAULT", "x"), doc.get("s", "y"), doc.get("t", "z")) == ("2", "3", "4")
    assert doc.as_dict() == {"DEFAULT": {"x": "2"}, "s": {"y": "3"}, "t": {"z": "4"}}


def test_setting_a_key_twice_leaves_one_line_with_the_last_value():
    doc = doc_of("[DEFAULT]\nx = 1\n")
    assert doc.set("DEFAULT", "x", "2") == "1"
    assert doc.set("DEFAULT", "x", "3") == "2"
    assert doc.set("DEFAULT", "y", "a") is None
    assert doc.set("DEFAULT", "y", "b") == "a"
    assert doc.set("new", "z", "c") is None
    assert doc.set("new", "z", "d") == "c"
    assert doc.render() == "[DEFAULT]\nx = 3\ny = b\n\n[new]\nz = d\n"


def test_removing_a_key_set_before_render_drops_it():
    doc = doc_of("[DEFAULT]\nx = 1\n")
    doc.set("DEFAULT", "y", "a")
    doc.set("new", "z", "c")
    assert doc.remove("DEFAULT", "y") == "a"
    assert doc.remove("new", "z") == "c"
    assert doc.remove("DEFAULT", "x") == "1"
    assert doc.get("DEFAULT", "y") is None
    assert doc.render() == "[DEFAULT]\n"


class _CountingLines(list):
    """A document's line list that counts every read of one of its lines."""

    reads = 0

    def __getitem__(self, index):
        self.reads += 1
        return super().__getitem__(index)


def test_new_keys_cost_one_pass_over_the_section_whatever_their_number():
    # Debian's stock nova.conf: [DEFAULT] is hundreds of (mostly commented) lines.
    text = (FILES / "nova.conf.stock").read_text()
    doc = doc_of(text)
    doc.texts = _CountingLines(doc.texts)
    new_keys = {f"hltcloud_new_key_{number}": "x" for number in range(50)}

    changes = mod.plan_present(doc, mod.validate_present({"DEFAULT": new_keys}))

    assert len(changes) == 50
    section_lines = sum(last - first + 1 for first, last in doc.blocks["DEFAULT"])
    # Indexing the section reads each of its lines at most twice; 50 new keys scanning it each
    # (the cost before) would read it 50 times.
    assert doc.texts.reads <= 2 * section_lines + 10 * len(new_keys)
    rendered = doc.render()
    assert all(f"{key} = x\n" in rendered for key in new_keys)
