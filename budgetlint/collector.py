"""The cyclic garbage collector, paused over a stage that makes many objects and no cycles
(loading a spec, expanding a model, evaluating it).

The collector's passes are set off by how many objects a program makes, and its full
passes walk every object alive: making 100,000 layers after loading a large spec set off
passes over the spec's data again and again, for nothing when the objects made refer to
nothing that refers back. Objects are freed by reference counting as usual meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector for the block; resume it after, unless it was off before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
