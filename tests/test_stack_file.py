"""Stack files read as Pulumi (Go's yaml.v3) reads them, and every hostile file refused with file, line, key path and fix."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_STACK
from partner_attribution.offline.stack_file import MAX_FILE_BYTES, StackFileError, read_stack_config


def stack(tmp_path: Path, text: str, name: str = "Pulumi.dev.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> str:
    path = stack(tmp_path, text)
    with pytest.raises(StackFileError) as caught:
        read_stack_config(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert "Traceback" not in message
    return message.removeprefix(str(path))


# -- the bundled example -------------------------------------------------------------------------------


def test_example_stack_reads_as_before() -> None:
    """The reader before this change (PyYAML's YAML 1.1 typing) and this one agree on the example."""
    raw = yaml.safe_load(EXAMPLE_STACK.read_text())["config"]
    before = {key: json.dumps(value) if isinstance(value, (dict, list)) else str(value) for key, value in raw.items()}
    assert read_stack_config(EXAMPLE_STACK) == before


# -- numbers: keep what the partner wrote, or refuse ---------------------------------------------------


def test_octal_partner_id_is_refused_with_the_fix(tmp_path: Path) -> None:
    text = "config:\n  azure-native:location: westeurope\n  partner-attribution:partnerId: 0123\n"
    assert refusal(tmp_path, text) == (
        ":3: config.partner-attribution:partnerId: unquoted 0123 is read by Pulumi as the octal number 83, "
        'not the digits written; write it in quotes: "0123"'
    )


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("0x1F", "the hexadecimal number 31"),
        ("0o17", "the octal number 15"),
        ("0b101", "the binary number 5"),
        ("1_000", "the number 1000"),
        ("+5", "the number 5"),
        ("-0", "the number 0"),
        ("00", "the octal number 0"),
    ],
)
def test_numbers_the_engine_rewrites_are_refused(tmp_path: Path, written: str, read_as: str) -> None:
    message = refusal(tmp_path, f"config:\n  app:setting: {written}\n")
    assert message == (
        f":2: config.app:setting: unquoted {written} is read by Pulumi as {read_as}, not the digits written; "
        f'write it in quotes: "{written}"'
    )


@pytest.mark.parametrize("written", ["1.5", "1e5", "1.", ".5", ".inf", "-.Inf", ".NaN", "089", "99999999999999999999"])
def test_floats_are_refused(tmp_path: Path, written: str) -> None:
    message = refusal(tmp_path, f"config:\n  app:setting:\n    - ok\n    - {written}\n")
    assert message.startswith(f":4: config.app:setting[1]: unquoted {written} is read by Pulumi as a floating-point number")
    assert message.endswith(f'write it in quotes if you mean the text: "{written}"')


def test_plain_decimal_numbers_and_quoted_digits_are_kept(tmp_path: Path) -> None:
    path = stack(
        tmp_path,
        "config:\n  app:a: 1234567\n  app:b: \"0123\"\n  app:c: '0x1F'\n  app:d: -5\n  app:e: 0\n  app:f: !!str 0123\n"
        "  app:g: {n: 30, id: '0042'}\n",
    )
    assert read_stack_config(path) == {
        "app:a": "1234567",
        "app:b": "0123",
        "app:c": "0x1F",
        "app:d": "-5",
        "app:e": "0",
        "app:f": "0123",
        "app:g": '{"n": 30, "id": "0042"}',
    }


# -- dates, booleans and YAML 1.1 words ----------------------------------------------------------------


def test_unquoted_date_is_given_as_the_engine_gives_it(tmp_path: Path) -> None:
    path = stack(
        tmp_path, 'config:\n  app:a: 2026-11-01\n  app:b: "2026-11-01"\n  app:c:\n    rotatedOn: 2026-1-5\n  app:d: 2026-02-30\n'
    )
    assert read_stack_config(path) == {
        "app:a": "2026-11-01 00:00:00 +0000 UTC",
        "app:b": "2026-11-01",
        "app:c": '{"rotatedOn": "2026-01-05 00:00:00 +0000 UTC"}',
        "app:d": "2026-02-30",  # not a date to Go either: the text as written
    }


@pytest.mark.parametrize("written", ["2026-11-01T10:00:00Z", "2026-11-01 10:00:00", "2026-11-01t10:00:00+02:00"])
def test_timestamp_with_a_time_is_refused(tmp_path: Path, written: str) -> None:
    message = refusal(tmp_path, f"config:\n  app:when: {written}\n")
    assert message == (
        f":2: config.app:when: unquoted {written} is read by Pulumi as a timestamp and handed to the program "
        f'rewritten; write it in quotes: "{written}"'
    )


def test_yaml_1_1_words_and_sexagesimal_stay_text(tmp_path: Path) -> None:
    words = ["yes", "no", "on", "off", "y", "n", "Yes", "OFF"]
    text = "config:\n" + "".join(f"  app:w{i}: {word}\n" for i, word in enumerate(words)) + "  app:time: 1:30\n"
    expected = {f"app:w{i}": word for i, word in enumerate(words)} | {"app:time": "1:30"}
    assert read_stack_config(stack(tmp_path, text)) == expected


def test_booleans_and_nulls(tmp_path: Path) -> None:
    path = stack(tmp_path, "config:\n  app:a: true\n  app:b: FALSE\n  app:c: [True, ~, null, yes]\n")
    assert read_stack_config(path) == {"app:a": "true", "app:b": "false", "app:c": '[true, null, null, "yes"]'}


def test_a_config_key_without_a_value_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "config:\n  app:a: x\n  partner-attribution:partnerId:\n")
    assert message == ":3: config.partner-attribution:partnerId: has no value; give one (in quotes for text) or remove the key"


# -- secrets and pulumi: keys --------------------------------------------------------------------------


def test_secure_values_become_a_placeholder_also_nested(tmp_path: Path) -> None:
    path = stack(
        tmp_path,
        "config:\n  app:top:\n    secure: v1:abc\n  app:nested:\n    - name: a\n      key:\n        secure: v1:def\n"
        "  app:deep: {a: {b: [{secure: v1:ghi}]}}\n  app:notsecret: {secure: v1:x, other: 1}\n",
    )
    config = read_stack_config(path)
    assert config["app:top"] == "[secret]"
    assert json.loads(config["app:nested"]) == [{"name": "a", "key": "[secret]"}]
    assert json.loads(config["app:deep"]) == {"a": {"b": ["[secret]"]}}
    assert json.loads(config["app:notsecret"]) == {"secure": "v1:x", "other": 1}
    assert "v1:abc" not in json.dumps(config) and "v1:def" not in json.dumps(config)


def test_pulumi_keys_with_a_value_object_are_skipped(tmp_path: Path) -> None:
    path = stack(tmp_path, "config:\n  pulumi:tags:\n    value:\n      team: x\n  app:a: b\n")
    assert read_stack_config(path) == {"app:a": "b"}


def test_empty_file_and_empty_config(tmp_path: Path) -> None:
    assert read_stack_config(stack(tmp_path, "")) == {}
    assert read_stack_config(stack(tmp_path, "# nothing yet\n")) == {}
    assert read_stack_config(stack(tmp_path, "config:\nencryptionsalt: v1:x\n")) == {}


# -- hostile structure ---------------------------------------------------------------------------------


def test_malformed_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, "config:\n  app:a: [one, two\n  app:b: c\n")
    assert message.startswith(":3: not valid YAML: ")
    assert "(column " in message


def test_bad_indentation_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, "config:\n  app:a: x\n app:b: y\n").startswith(":3: not valid YAML: ")


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "a list"), ("just text\n", "text"), ("42\n", "a number")])
def test_a_document_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str, kind: str) -> None:
    assert refusal(tmp_path, text) == f":1: a stack file is a mapping with a 'config:' key, not {kind}"


def test_a_config_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "encryptionsalt: x\nconfig:\n  - app:a\n")
    assert message == ":3: config: must be a mapping of 'namespace:key: value', not a list"


def test_more_than_one_document_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "config:\n  app:a: x\n---\nconfig:\n  app:a: y\n")
    assert message.startswith(":3: a second YAML document starts here; a stack file is one document")


def test_duplicate_top_level_config_keys_are_refused_naming_both_lines(tmp_path: Path) -> None:
    text = 'config:\n  partner-attribution:partnerId: "1234567"\n  app:x: y\n  partner-attribution:partnerId: "7654321"\n'
    assert refusal(tmp_path, text) == (
        ':4: config.partner-attribution:partnerId: duplicate key "partner-attribution:partnerId" '
        "(first at line 2, again at line 4); Pulumi refuses a stack file with a key twice: keep one"
    )


def test_duplicate_nested_keys_are_refused(tmp_path: Path) -> None:
    text = (
        "config:\n  partner-attribution:principals:\n    - name: a\n      roles:\n        - role: Reader\n"
        "          scope: /subscriptions/1\n          scope: /subscriptions/2\n"
    )
    message = refusal(tmp_path, text)
    assert message.startswith(':7: config.partner-attribution:principals[0].roles[0].scope: duplicate key "scope" ')
    assert "(first at line 6, again at line 7)" in message


def test_quoted_and_plain_spellings_of_one_key_are_duplicates(tmp_path: Path) -> None:
    assert "duplicate key" in refusal(tmp_path, "config:\n  app:a: x\n  'app:a': y\n")


def test_duplicate_top_level_sections_are_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, "config:\n  app:a: x\nconfig:\n  app:a: y\n").startswith(':3: config: duplicate key "config"')


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object/apply:os.system ['true']", "!!python/object/apply:os.system"),
        ("!!python/object:builtins.dict {}", "!!python/object:builtins.dict"),
        ("!Ref SomeParameter", "!Ref"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!int 0123", "!!int"),
        ("!!float 1", "!!float"),
        ("!!map {a: b}", "!!map"),
        ("!!timestamp 2026-11-01", "!!timestamp"),
    ],
)
def test_tags_other_than_str_are_refused(tmp_path: Path, value: str, tag: str) -> None:
    assert refusal(tmp_path, f"config:\n  app:a:\n    - {value}\n") == (
        f":3: config.app:a[0]: the tag {tag} is not plain YAML and Pulumi does not read it as written; remove it"
    )


def test_billion_laughs_is_refused_small(tmp_path: Path) -> None:
    """Refused before the aliases are expanded: 9**10 nodes would take gigabytes, the refusal stays under 20 MiB.
    (Memory, not wall time, is the deterministic measure: a loaded machine stretches time, not allocations.)"""
    lines = ["lol: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = stack(tmp_path, "\n".join(lines) + "\nconfig:\n  app:a: *l9\n")
    tracemalloc.start()
    try:
        with pytest.raises(StackFileError, match="aliases expand to more than 10000 nodes; write the values out instead"):
            read_stack_config(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = stack(tmp_path, "config:\n  app:a: &roles [Reader, Contributor]\n  app:b: *roles\n")
    assert read_stack_config(path) == {"app:a": '["Reader", "Contributor"]', "app:b": '["Reader", "Contributor"]'}


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "config:\n  app:a: &loop [x, *loop]\n")
    assert message == ":2: config.app:a[1]: an alias refers to a node that contains it; write the value out"


def test_an_undefined_alias_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, "config:\n  app:a: *nowhere\n").startswith(":2: not valid YAML: found undefined alias")


def test_merge_keys_are_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "config:\n  app:a:\n    <<: {role: Reader}\n    scope: /x\n")
    assert message == ":3: config.app:a: merge keys (<<) are not supported in stack files here; write the keys out"


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "config:\n  app:a: " + "[" * 200 + "]" * 200 + "\n")
    assert message.startswith(":2: config.app:a[0]") and "nested more than 64 levels deep" in message


def test_a_file_over_1_mib_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.big.yaml"
    path.write_bytes(b"config:\n  app:a: x\n" + b"#" * MAX_FILE_BYTES)
    with pytest.raises(StackFileError) as caught:
        read_stack_config(path)
    assert str(caught.value) == (
        f"{path}: {path.stat().st_size} bytes is too large for a stack file (at most 1048576 bytes, 1 MiB); is it the right file?"
    )


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.latin1.yaml"
    path.write_bytes("config:\n  app:a: x\n  app:name: Café\n".encode("latin-1"))
    with pytest.raises(StackFileError) as caught:
        read_stack_config(path)
    assert str(caught.value) == f"{path}:3: not UTF-8 (byte 0xe9); save the stack file as UTF-8"


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfconfig:\n  app:name: Caf\xc3\xa9\n")
    assert read_stack_config(path) == {"app:name": "Café"}


def test_control_characters_are_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "config:\n  app:a: x\n  app:b: bell\x07\n")
    assert message.startswith(":3: the character U+0007 is not allowed in YAML; remove it")


@pytest.mark.parametrize(
    ("key", "read_as"),
    [("1", "a number"), ("true", "a boolean"), ("~", "an empty value (null)"), ("2026-01-01", "a date"), ("0x10", "a number")],
)
def test_keys_that_are_not_text_are_refused(tmp_path: Path, key: str, read_as: str) -> None:
    message = refusal(tmp_path, f"config:\n  app:a:\n    {key}: value\n")
    assert message == f':3: config.app:a: the key {key} is read by Pulumi as {read_as}, not text; write it in quotes: "{key}"'


def test_a_key_that_is_a_list_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, "config:\n  app:a:\n    ? [x, y]\n    : value\n")
    assert message == ":3: config.app:a: a mapping key must be text, not a list or a mapping"


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.none.yaml"
    with pytest.raises(StackFileError, match="cannot read: No such file or directory"):
        read_stack_config(path)


def test_a_directory_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match="cannot read"):
        read_stack_config(tmp_path)
