"""GC tuning is opt-in: the library never touches the collector; the console entry point pauses it for a command."""

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from trialinterop.api import convert_to_sdtm
from trialinterop.heap import collector_paused


def test_paused_then_restored_also_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("job failed")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_library_call_leaves_the_collector_and_frozen_objects_alone(tmp_path: Path, monkeypatch) -> None:
    """A host that froze its own objects finds them frozen afterwards; no gc state function is called."""
    calls: list[str] = []
    for name in ("freeze", "unfreeze", "disable", "enable", "set_threshold"):
        real = getattr(gc, name)
        monkeypatch.setattr(gc, name, lambda *a, _n=name, _r=real: calls.append(_n) or _r(*a))
    gc.freeze()
    try:
        calls.clear()
        convert_to_sdtm(Path("fixtures/records"), tmp_path / "sdtm")
        assert calls == [] and gc.get_freeze_count() > 0 and gc.isenabled()  # gc.unfreeze() would leave 0
    finally:
        gc.unfreeze()


def test_console_entry_point_pauses_the_collector_for_the_command() -> None:
    probe = (
        "import gc\n"
        "from trialinterop import cli\n"
        "seen = []\n"
        "cli.main = lambda: seen.append(gc.isenabled())\n"
        "cli.run()\n"
        "print(seen, gc.isenabled())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[False] True"
