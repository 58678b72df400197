"""What every command shares: turning errors into messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from trialinterop.errors import TrialInteropError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command body; a TrialInteropError (or OSError) becomes a message on stderr and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TrialInteropError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_CANNOT_RUN)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(EXIT_CANNOT_RUN)

    return wrapper
