"""Progress bars for long runs (rich), silent in CI and when stderr is not a terminal.

Commands use `progress(iterable, total=..., description=...)` to wrap a loop, or `progress_task(...)` as a context
manager whose `advance(n)` they call themselves. Whether a bar is shown is decided once per call by
`progress_enabled()`: never when the environment variable CI is set (to any non-empty value) or stderr is not a
TTY, so logs and captured output stay clean; the bar is drawn on stderr, never stdout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sized
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, TextIO, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

T = TypeVar("T")


class Task(Protocol):
    def advance(self, amount: int = 1) -> None: ...


def progress_enabled(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """True only on an interactive stderr outside CI."""
    environ = os.environ if environ is None else environ
    if environ.get("CI"):
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or unusual streams
        return False


class _Silent:
    def advance(self, amount: int = 1) -> None:
        return None


class _RichTask:
    def __init__(self, bar: Progress, task_id: TaskID) -> None:
        self._bar = bar
        self._task_id = task_id

    def advance(self, amount: int = 1) -> None:
        self._bar.advance(self._task_id, amount)


@contextmanager
def progress_task(total: int | None, description: str, *, stream: TextIO | None = None) -> Iterator[Task]:
    """A task to `advance()`; draws a transient bar on stderr when `progress_enabled()`, else does nothing."""
    if not progress_enabled(stream):
        yield _Silent()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream if stream is not None else sys.stderr)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        yield _RichTask(bar, bar.add_task(description, total=total))


def progress(
    iterable: Iterable[T], total: int | None = None, description: str = "working", *, stream: TextIO | None = None
) -> Iterator[T]:
    """Yield the items of `iterable` unchanged, advancing a bar (see `progress_task`) after each."""
    if total is None and isinstance(iterable, Sized):
        total = len(iterable)
    with progress_task(total, description, stream=stream) as task:
        for item in iterable:
            yield item
            task.advance()
