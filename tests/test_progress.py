"""Progress helper: items pass through unchanged; a bar is drawn only on an interactive stderr outside CI."""

from __future__ import annotations

import io

from trialinterop import progress as progress_module
from trialinterop.progress import progress, progress_enabled, progress_task


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_items_pass_through_in_order_when_quiet() -> None:
    stream = io.StringIO()  # not a terminal
    assert list(progress(iter(["a", "b", "c"]), total=3, description="x", stream=stream)) == ["a", "b", "c"]
    assert stream.getvalue() == ""


def test_quiet_in_ci_even_on_a_terminal() -> None:
    assert progress_enabled(_Terminal(), {"CI": "true"}) is False
    assert progress_enabled(_Terminal(), {"CI": ""}) is True
    assert progress_enabled(_Terminal(), {}) is True


def test_quiet_when_not_a_terminal() -> None:
    assert progress_enabled(io.StringIO(), {}) is False


def test_closed_stream_counts_as_not_a_terminal() -> None:
    stream = io.StringIO()
    stream.close()
    assert progress_enabled(stream, {}) is False


def test_bar_is_drawn_on_a_terminal(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = _Terminal()
    assert list(progress(range(5), description="building", stream=stream)) == [0, 1, 2, 3, 4]
    assert "building" in stream.getvalue()


def test_context_manager_advances_silently_when_disabled(monkeypatch) -> None:
    monkeypatch.setenv("CI", "1")
    stream = _Terminal()
    with progress_task(10, "writing", stream=stream) as task:
        task.advance(4)
        task.advance()
    assert stream.getvalue() == ""


def test_module_reads_ci_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CI", "1")
    assert progress_module.progress_enabled(_Terminal()) is False
