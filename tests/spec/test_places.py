"""A list's item positions from one walk (spec/places.py) are Document.position's, for
every list of every spec, for paths that stop short, and for documents without marks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from budgetlint.problems import Position
from budgetlint.spec.load import Document, JsonPath, load_document, parse_document
from budgetlint.spec.places import item_positions
from tests.conftest import ROOT

SPECS = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "specs").rglob("*.yaml"))


def _lists(value: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, int]]:
    """Every list in the data: its path and length."""
    if isinstance(value, list):
        yield path, len(value)
        for index, item in enumerate(value):
            yield from _lists(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _lists(item, (*path, key))


def _walked(document: Document, path: JsonPath, count: int) -> list[Position]:
    return [document.position((*path, index)) for index in range(count)]


@pytest.mark.parametrize("name", SPECS)
def test_every_list_of_every_spec_is_placed_as_position_places_it(name: str) -> None:
    document = load_document(ROOT / name, name)
    for path, count in _lists(document.data):
        assert item_positions(document, path, count) == _walked(document, path, count)


def test_the_specs_hold_lists_to_compare() -> None:
    documents = [load_document(ROOT / name, name) for name in SPECS]
    assert sum(1 for document in documents for _ in _lists(document.data)) > 100


TEXT = """\
version: 1
base: &base [relu, tanh]
merged:
  <<: {inherited: [sigmoid]}
  own: [gelu]
models:
  m:
    layers: *base
    flow: [relu, {linear: {out: 4}},
      gelu]
"""

# (path, items asked for, the positions by hand: line and column of each, 1-based)
CASES: list[tuple[JsonPath, int, list[tuple[int, int]]]] = [
    (("base",), 2, [(2, 14), (2, 20)]),
    (("models", "m", "flow"), 3, [(9, 12), (9, 18), (10, 7)]),
    (("models", "m", "layers"), 2, [(2, 14), (2, 20)]),  # an alias: where the anchor wrote them
    (("merged", "inherited"), 1, [(4, 20)]),  # merged from `<<`
    (("merged", "own"), 1, [(5, 9)]),
    (("base",), 3, [(2, 14), (2, 20), (2, 7)]),  # past the end: the list itself
    (("models", "m"), 2, [(8, 5), (8, 5)]),  # a mapping, not a list: the mapping
    (("version",), 1, [(1, 10)]),  # a scalar: the scalar
    (("models", "nothing", "layers"), 2, [(7, 3), (7, 3)]),  # stops short: the nearest
]


@pytest.mark.parametrize(("path", "count", "expected"), CASES)
def test_positions_by_hand_and_as_position_gives_them(
    path: JsonPath, count: int, expected: list[tuple[int, int]]
) -> None:
    document = parse_document(TEXT, "s.yaml")
    placed = item_positions(document, path, count)
    assert placed == [Position("s.yaml", line, column) for line, column in expected]
    assert placed == _walked(document, path, count)


def test_a_document_made_not_read_places_everything_at_its_file() -> None:
    document = Document("model.onnx", {"layers": ["relu", "relu"]})
    assert item_positions(document, ("layers",), 2) == [Position("model.onnx")] * 2


def test_the_walk_is_once_per_list(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the expander asks for no item's position through Document.position
    path = write("s.yaml", "version: 1\ninput: [1, 4]\nlayers: [relu, relu, {linear: {out: 4}}]\n")
    from budgetlint.spec.expand import read_spec

    asked: list[JsonPath] = []
    original = Document.position

    def position(document: Document, at: JsonPath, *, key: bool = False) -> Position:
        asked.append(at)
        return original(document, at, key=key)

    monkeypatch.setattr(Document, "position", position)
    spec, problems = read_spec(path)
    assert problems == [] and spec is not None
    assert [at for at in asked if at[:1] == ("layers",)] == []
