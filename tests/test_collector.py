"""collector_paused: the cyclic collector off inside the block, as it was after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from budgetlint.collector import collector_paused


@pytest.fixture
def restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("before", [True, False])
def test_paused_inside_and_as_it_was_after(restored: None, before: bool) -> None:
    gc.enable() if before else gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() is before


def test_resumed_after_an_error(restored: None) -> None:
    gc.enable()
    with pytest.raises(ValueError, match="inside"), collector_paused():
        raise ValueError("inside")
    assert gc.isenabled()
