"""The cyclic garbage collector and large jobs: `long_lived_heap` exempts what is already in memory while a job runs,
`collector_paused` stops collections while a step builds many objects that hold no reference cycle.

A conversion keeps hundreds of thousands of record objects alive for its whole run (none in a reference cycle) and
allocates millions more; CPython's full collections would walk all of them again and again (about 10% of a
10,000-subject to-sdtm). `gc.freeze` moves the objects alive now into a permanent generation that collections skip;
they are unfrozen when the job ends, so nothing is kept from being freed afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_heap() -> Iterator[None]:
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection while the block runs (it builds hundreds of thousands of acyclic objects, which would
    trigger repeated full collections over a growing heap, finding nothing); the previous state is restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
