"""`long_lived_heap`: exempt what is already in memory from the cyclic garbage collector while a job runs.

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
