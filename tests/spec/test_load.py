"""The safe loader: positions, and every refusal fast and in bounded memory."""

from __future__ import annotations

import contextlib
import gc
import re
import tracemalloc
from pathlib import Path

import pytest
import yaml

from budgetlint.problems import SpecError
from budgetlint.spec.load import MAX_DEPTH, MAX_NODES, load_document, parse_document


def problem(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse_document(text, "f.yaml")
    (found,) = caught.value.problems
    return str(found)


def test_positions_are_one_based_for_values_and_keys() -> None:
    document = parse_document("version: 1\nmodels:\n  m:\n    input: [1, 3]\n", "f.yaml")
    assert str(document.position(("models", "m", "input", 1))) == "f.yaml:4:16"
    assert str(document.position(("models", "m"), key=True)) == "f.yaml:3:3"
    # an absent path falls back to its nearest ancestor
    assert str(document.position(("models", "m", "nothing"))) == "f.yaml:4:5"


def test_keys_are_kept_as_written() -> None:
    document = parse_document("on: 1\nyes: 2\n1: 3\n", "f.yaml")
    assert document.data == {"on": 1, "yes": 2, "1": 3}


def test_scalars_are_plain_values() -> None:
    document = parse_document("a: 1e9\nb: 5M\nc: 0.5\nd: ~\ne: true\nf: 2026-01-01\n", "f.yaml")
    assert document.data == {
        "a": "1e9",
        "b": "5M",
        "c": 0.5,
        "d": None,
        "e": True,
        "f": "2026-01-01",
    }


def test_merge_keys_with_explicit_override() -> None:
    document = parse_document("base: &b {x: 1, y: 2}\ncopy:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert document.data["copy"] == {"x": 1, "y": 3}


REFUSED = [
    ("a: 1\na: 2\n", "f.yaml:2:1: duplicate key 'a'"),
    (
        "a: !!python/object/apply:os.system ['true']\n",
        "unsupported tag !!python/object/apply:os.system",
    ),
    ("a: !!python/name:os.system\n", "unsupported tag !!python/name:os.system"),
    ("a: !custom 3\n", "unsupported tag !custom"),
    ("a: !!binary aGVsbG8=\n", "unsupported tag !!binary"),
    ("a: !!set {x, y}\n", "unsupported tag !!set"),
    ("a: &x [*x]\n", "recursive alias"),
    ("? [a, b]\n: 1\n", "mapping keys must be plain text"),
    ("- 1\n", "f.yaml:1:1: the top level must be a mapping, not a list"),
    ("just text\n", "the top level must be a mapping, not a str"),
    ("# nothing\n", "f.yaml:1:1: empty file"),
    ("a: [1, 2\n", "invalid YAML"),
    (
        "a: 1\n---\nb: 2\n",
        "invalid YAML: but found another document (expected a single document in the stream)",
    ),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused(text: str, message: str) -> None:
    assert message in problem(text)


def test_python_tags_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(SpecError):
        parse_document(f"a: !!python/object/apply:os.system ['touch {marker}']\n", "f.yaml")
    assert not marker.exists()


def billion_laughs(levels: int) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for index in range(1, levels):
        name = f"l{index}"
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast_in_bounded_memory() -> None:
    tracemalloc.start()
    message = problem(billion_laughs(10))  # 9^10 ≈ 3.5 billion values if expanded
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # the work is bounded by the value cap: refused at 200,000 values, not 3.5 billion
    assert "more than 200000 values" in message
    assert peak < 200 * 2**20


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 300) + "]\n"
    assert "more than 256 aliases" in problem(text)


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_nesting_is_refused(opener: str) -> None:
    """Refused with a position, whichever parser sees the depth first.

    libyaml's scanner has its own depth limit and may refuse before our composer's
    MAX_DEPTH does; the wording is then the dependency's, so only the behaviour
    (a positioned refusal) is asserted.
    """
    closer = "]" if opener == "[" else "}"
    text = "a: " + opener * 5000 + closer * 5000 + "\n"
    assert re.match(r"f\.yaml:1:\d+: ", problem(text))


def test_nesting_just_past_our_limit_is_refused_by_us() -> None:
    depth = MAX_DEPTH + 2  # far below any parser's own limit
    text = "a: " + "[" * depth + "]" * depth + "\n"
    assert f"nesting deeper than {MAX_DEPTH} levels" in problem(text)


def test_block_style_deep_nesting_is_refused() -> None:
    text = "".join("  " * depth + f"k{depth}:\n" for depth in range(200)) + "  " * 200 + "1\n"
    assert "nesting deeper than" in problem(text)


FILES = [
    (b"version: 1\n\x00\x00", "binary content"),
    ("a: caf\xe9\n".encode("latin-1"), "f.yaml:1:7: not valid UTF-8 text"),
    (b"\xef\xbb\xbfversion: 1\n", None),  # a UTF-8 byte-order mark is fine
]


@pytest.mark.parametrize(("content", "message"), FILES)
def test_file_content(tmp_path: Path, content: bytes, message: str | None) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(content)
    if message is None:
        assert load_document(path, "f.yaml").data == {"version": 1}
        return
    with pytest.raises(SpecError, match=message):
        load_document(path, "f.yaml")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_document(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        load_document(tmp_path)


def test_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * (3 * 2**20) + "\n")
    with pytest.raises(SpecError, match="larger than"):
        load_document(path)


@pytest.fixture(params=["libyaml", "python"])
def each_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both parsers sit under the same composer: the refusals hold for each."""
    from budgetlint.spec import load

    if request.param == "python":
        monkeypatch.setattr(load, "_Loader", load._PythonLoader)


@pytest.mark.usefixtures("each_parser")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (billion_laughs(10), "more than 200000 values"),
        ("a: " + "[" * 500 + "]" * 500 + "\n", "nesting deeper than"),
        ("a: &a 1\nb: [" + ", ".join(["*a"] * 300) + "]\n", "more than 256 aliases"),
        ("a: !!python/object/apply:os.system ['true']\n", "unsupported tag"),
        ("a: 1\na: 2\n", "f.yaml:2:1: duplicate key 'a'"),
    ],
)
def test_refusals_with_each_parser(text: str, message: str) -> None:
    assert message in problem(text)


@pytest.mark.usefixtures("each_parser")
def test_positions_with_each_parser() -> None:
    document = parse_document("a:\n  - {b: 1}\n", "f.yaml")
    assert str(document.position(("a", 0, "b"))) == "f.yaml:2:9"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!int abc\n", "f.yaml:1:4: 'abc' is not a valid !!int"),
        ("a: !!int\n", "f.yaml:1:4: '' is not a valid !!int"),
        ("a: !!bool maybe\n", "f.yaml:1:4: 'maybe' is not a valid !!bool"),
        ("a: !!float x\n", "f.yaml:1:4: 'x' is not a valid !!float"),
    ],
)
def test_a_value_its_tag_cannot_read_is_refused_at_it(text: str, message: str) -> None:
    assert problem(text) == message


def test_merged_keys_point_at_the_mapping_that_gave_them() -> None:
    text = "a: &a {x: 1}\nb: &b {x: 2, y: 3}\nc: {<<: [*a, *b], z: 4}\nd:\n  y: 5\n  <<: *b\n"
    document = parse_document(text, "f.yaml")
    assert document.data["c"] == {"x": 1, "y": 3, "z": 4}
    assert document.data["d"] == {"y": 5, "x": 2}
    assert str(document.position(("c", "x"))) == "f.yaml:1:11"  # from a, which wins
    assert str(document.position(("c", "y"))) == "f.yaml:2:17"
    assert str(document.position(("d", "y"))) == "f.yaml:5:6"  # written here: its own place
    assert str(document.position(("d", "x"), key=True)) == "f.yaml:2:8"


def test_each_alias_use_is_its_own_copy_at_the_anchor_positions() -> None:
    document = parse_document("a: &x {b: [1]}\nc: [*x, *x]\n", "f.yaml")
    first, second = document.data["c"]
    assert first == second == document.data["a"]
    assert first is not second and first["b"] is not second["b"]
    assert str(document.position(("c", 1, "b", 0))) == "f.yaml:1:12"


def test_a_scalar_anchor_used_as_a_key_and_as_a_value() -> None:
    document = parse_document("&x 5 : 1\nb: *x\n", "f.yaml")
    assert document.data == {"5": 1, "b": 5}  # a key as written, a value as read
    assert "duplicate key '5'" in problem("&x 5 : 1\n*x : 2\n")


def test_a_problem_of_the_data_gives_way_to_invalid_yaml_after_it() -> None:
    """The file is read whole before its data is judged, as the composer did."""
    assert "invalid YAML" in problem("a: 1\na: 2\nb: [1\n")


TWO_MERGED = "a: &a {x: 1}\nb: &b {x: 2, y: 3}\nc:\n  <<: [*a, *b]\n  y: 4\n"
SAME = object()  # the data is PyYAML's own `yaml.safe_load`'s
# (text, path, key?, where it was written "line:column", the data when it is not PyYAML's)
# Columns counted by hand: in `v: on` the value starts at column 4.
WRITTEN = [
    ("v: on\n", ("v",), False, "1:4", SAME),  # YAML 1.1: True
    ("v: 'on'\n", ("v",), False, "1:4", SAME),  # quoted: the text
    ("v: yes\n", ("v",), False, "1:4", SAME),
    ('v: "yes"\n', ("v",), False, "1:4", SAME),
    ("v: ~\n", ("v",), False, "1:4", SAME),
    ("v: '~'\n", ("v",), False, "1:4", SAME),
    ("v: 1_000\n", ("v",), False, "1:4", SAME),  # 1000
    ("v: 0o17\n", ("v",), False, "1:4", SAME),  # YAML 1.1 has no 0o: the text
    ("v: 017\n", ("v",), False, "1:4", SAME),  # 15
    ("v: 0x10\n", ("v",), False, "1:4", SAME),
    ("v: 1e3\n", ("v",), False, "1:4", SAME),  # a YAML 1.1 float has a dot: the text
    ("v: 1.5e3\n", ("v",), False, "1:4", SAME),
    ("v: .inf\n", ("v",), False, "1:4", SAME),
    ("v: -.inf\n", ("v",), False, "1:4", SAME),
    ("v: 2026-01-01\n", ("v",), False, "1:4", {"v": "2026-01-01"}),  # kept as text
    ("v: 2026-01-01 10:00:00\n", ("v",), False, "1:4", {"v": "2026-01-01 10:00:00"}),
    ("v: '2026-01-01'\n", ("v",), False, "1:4", SAME),
    ("v: |\n  two\n  lines\n", ("v",), False, "1:4", SAME),
    ("v: >-\n  folded\n  text\n", ("v",), False, "1:4", SAME),
    ("v: !!str 3\n", ("v",), False, "1:4", SAME),  # at its tag
    ("v: ! 3\n", ("v",), False, "1:4", SAME),
    ("v: [a, 'b', \"c\", a]\n", ("v", 2), False, "1:13", SAME),
    ("v: [a, 'b', \"c\", a]\n", ("v", 3), False, "1:18", SAME),
    ("on: 1\n'yes': 2\n", ("on",), True, "1:1", {"on": 1, "yes": 2}),  # keys as written
    ("on: 1\n'yes': 2\n", ("yes",), True, "2:1", {"on": 1, "yes": 2}),
    # an alias's value is where its anchor was written (at the `&`)
    ("a: &x 5\nb: *x\n", ("b",), False, "1:4", SAME),
    ("a: &x [1, 2]\nb: *x\n", ("b", 1), False, "1:11", SAME),
    ("a: &x {k: 1}\nb: *x\n", ("b", "k"), False, "1:11", SAME),
    ("a: &x {k: 1}\nb: *x\n", ("b", "k"), True, "1:8", SAME),
    ("a: &x k\n*x : 2\n", ("k",), True, "1:4", SAME),  # an alias as a key
    ("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", ("c", "x"), False, "1:14", SAME),
    ("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", ("c", "y"), False, "4:6", SAME),
    ("c: {<<: {x: 1}, y: 2}\n", ("c", "x"), False, "1:13", SAME),
    (TWO_MERGED, ("c", "y"), False, "5:6", SAME),
    (TWO_MERGED, ("c", "x"), False, "1:11", SAME),  # from a, which wins
    ("m: {<<: {a: 1, b: 2}, a: 3}\n", ("m", "a"), True, "1:23", SAME),  # written wins
    ("m: {<<: {a: 1, b: 2}, a: 3}\n", ("m", "b"), False, "1:19", SAME),
    ("b: &b {x: 1}\nc: {<<: *b, z: [1, {w: 2}]}\n", ("c", "z", 1, "w"), False, "2:24", SAME),
    ("c: {'<<': 1}\n", ("c", "<<"), False, "1:11", SAME),  # quoted: a plain key
    ("a:\n  - 1\n  - [2, {b: 3}]\n", ("a", 1, 1, "b"), False, "3:13", SAME),
    ("a:\n  - b: 1\n    c: x\n", ("a", 0, "c"), False, "3:8", SAME),
    ("a:\n  b: 1\n", ("a", "b"), True, "2:3", SAME),
    ("a: [k: {o: 4}, r]\n", ("a", 0, "k", "o"), False, "1:12", SAME),  # a flow pair
    ("a: [k: {o: 4}, r]\n", ("a", 1), False, "1:16", SAME),
    ("a: [[], {}, [[x]]]\n", ("a", 2, 0, 0), False, "1:15", SAME),
]


@pytest.mark.usefixtures("each_parser")
@pytest.mark.parametrize(("text", "path", "key", "written", "data"), WRITTEN)
def test_data_and_positions(
    text: str, path: tuple[str | int, ...], key: bool, written: str, data: object
) -> None:
    document = parse_document(text, "f.yaml")
    assert document.data == (yaml.safe_load(text) if data is SAME else data)
    assert str(document.position(path, key=key)) == f"f.yaml:{written}"


# Refusals met inside lists and mappings, with positions counted by hand.
REFUSED_INSIDE = [
    ("a: [1, =]\n", "f.yaml:1:8: unsupported tag !!value: only plain YAML values are read"),
    ("a: [1, <<]\n", "f.yaml:1:8: unsupported tag !!merge: only plain YAML values are read"),
    ("a: {b: 1, c: [2], b: 3}\n", "f.yaml:1:19: duplicate key 'b'"),
    ("a: {b: {c: 1, c: 2}}\n", "f.yaml:1:15: duplicate key 'c'"),
    ("m: {<<: {a: 1}, a: 2, a: 3}\n", "f.yaml:1:23: duplicate key 'a'"),
    ("m: {<<: 1}\n", "f.yaml:1:9: '<<' must merge a mapping"),
    ("m: {<<: [{a: 1}, [2]]}\n", "f.yaml:1:18: '<<' must merge a mapping"),
    ("a: [{b: 1}, {c: !!int x}]\n", "f.yaml:1:17: 'x' is not a valid !!int"),
    ("a: [x, {y: [1, !!binary aGk=]}]\n", "f.yaml:1:16: unsupported tag !!binary"),
    ("a: [{[b]: 1}]\n", "f.yaml:1:6: mapping keys must be plain text"),
]


@pytest.mark.usefixtures("each_parser")
@pytest.mark.parametrize(("text", "message"), REFUSED_INSIDE)
def test_refused_inside(text: str, message: str) -> None:
    assert problem(text).startswith(message)


def nested(depth: int, inner: str) -> str:
    """`a:` then `depth` nested lists around `inner`."""
    return "a: " + "[" * depth + inner + "]" * depth + "\n"


# The root mapping and `depth` lists are open around `inner`: a value is read at most
# MAX_DEPTH levels in (the root counts), and so is a list or mapping.
DEPTHS = [
    (nested(MAX_DEPTH - 2, "1"), True),  # the value inside 1 + 62 open
    (nested(MAX_DEPTH - 1, "1"), False),  # 1 + 63 = 64 open around it
    (nested(MAX_DEPTH - 1, ""), True),  # the last list opened with 63 open
    (nested(MAX_DEPTH, ""), False),
    (nested(MAX_DEPTH - 2, "{}"), True),
    (nested(MAX_DEPTH - 1, "{}"), False),
]


@pytest.mark.usefixtures("each_parser")
@pytest.mark.parametrize(("text", "read"), DEPTHS)
def test_depth_limit_is_exact(text: str, read: bool) -> None:
    if read:
        assert parse_document(text, "f.yaml").data["a"]
    else:
        assert f"nesting deeper than {MAX_DEPTH} levels" in problem(text)


# The root mapping, the list and its items are values (a key is not): `count` items make
# count + 2 values.
SIZES = [
    ("1", MAX_NODES - 2, True),
    ("1", MAX_NODES - 1, False),
    ("{}", MAX_NODES - 2, True),
    ("{}", MAX_NODES - 1, False),
    ("'q'", MAX_NODES - 1, False),
]


@pytest.mark.parametrize(("item", "count", "read"), SIZES)
def test_value_limit_is_exact(item: str, count: int, read: bool) -> None:
    text = "a: [" + ", ".join([item] * count) + "]\n"
    if read:
        assert len(parse_document(text, "f.yaml").data["a"]) == count
    else:
        assert problem(text) == (
            f"f.yaml:1:1: more than {MAX_NODES} values once aliases are expanded: refused"
        )


def test_repeated_texts_are_one_value() -> None:
    """Equal keys and values share one string, not one per place written."""
    document = parse_document("a: [{key: xyz}, {key: 'xyz'}, {key: \"xyz\"}]\n", "f.yaml")
    items = document.data["a"]
    assert items == [{"key": "xyz"}] * 3
    assert len({id(value) for item in items for value in item.values()}) == 1
    assert len({id(key) for item in items for key in item}) == 1


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("text", ["a: [1, {b: 2}]\n", "a: [1\n", "a: 1\na: 2\n", "- 1\n"])
def test_cycle_collection_is_as_it_was_after_reading(text: str, enabled: bool) -> None:
    """Reading pauses the cycle collector; whatever the outcome, it is left as it was."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with contextlib.suppress(SpecError):
            parse_document(text, "f.yaml")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
