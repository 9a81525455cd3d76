"""Where a list's items were written, found with one walk of the marks tree.

`Document.position` walks the marks from the root for each path it is given, so asking
it for each item of a 100,000-item list walks the same way 100,000 times. `item_positions`
walks to the list once; each item's position is then an index into its marks. It gives
what `document.position((*path, index))` gives, for every path and index (the tests
compare the two over every list of every spec).
"""

from __future__ import annotations

from typing import Any

from budgetlint.problems import Position
from budgetlint.spec.load import Document, JsonPath, Marks, _at


def _list_marks(marks: Marks | None, path: JsonPath) -> tuple[Any, ...] | None:
    """The marks of the list at `path` (`(mark, None, item marks…)`), or None when the
    path does not reach a list as written (an imported model, a value that is not one)."""
    here = marks
    for part in path:
        if here is None or isinstance(here, int):
            return None
        keys = here[1]
        if keys is None:
            if not isinstance(part, int) or not 0 <= part < len(here) - 2:
                return None
            here = here[2 + part]
        else:
            if part not in keys:
                return None
            here = here[3 + 2 * keys.index(part)]
    if here is None or isinstance(here, int) or here[1] is not None:
        return None
    return here


def item_positions(document: Document, path: JsonPath, count: int) -> list[Position]:
    """The positions of the first `count` items of the list at `path` in `document`."""
    found = _list_marks(document.marks, path)
    if found is None or len(found) - 2 < count:  # not a list as written: walk for each
        return [document.position((*path, index)) for index in range(count)]
    shown = document.path
    return [
        _at(shown, marks if isinstance(marks, int) else marks[0]) for marks in found[2 : 2 + count]
    ]
