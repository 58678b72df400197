"""long_lived_heap freezes what is alive for the job and unfreezes it afterwards, also when the job fails."""

import gc

import pytest

from trialinterop.heap import long_lived_heap


def test_objects_alive_at_entry_are_frozen_then_released() -> None:
    alive = [object() for _ in range(10)]
    with long_lived_heap():
        assert gc.get_freeze_count() >= len(alive)
    assert gc.get_freeze_count() == 0


def test_unfrozen_after_an_error() -> None:
    with pytest.raises(RuntimeError), long_lived_heap():
        raise RuntimeError("job failed")
    assert gc.get_freeze_count() == 0
