"""What every command shares: turning errors into messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from trialinterop.errors import TrialInteropError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2

allow_dropped_option = click.option(
    "--allow-dropped",
    is_flag=True,
    help="ODM input: accept rows or subjects the mapping's `incomplete` policy skips (else exit 1, nothing written).",
)


def echo_coverage(coverage: Any) -> None:
    """Print an ODM run's coverage summary (what became of every collected value) on stderr."""
    if coverage is not None:
        for line in coverage.render():
            click.echo(line, err=True)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command body; a TrialInteropError (or OSError) becomes a message on stderr and exit code 2; data
    dropped without --allow-dropped (ODM input) prints the coverage summary and exits 1."""
    from trialinterop.odm.reader import DroppedDataError

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DroppedDataError as exc:
            for warning in exc.result.warnings:
                click.echo(warning.render(), err=True)
            echo_coverage(exc.result.coverage)
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_FINDINGS)
        except TrialInteropError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_CANNOT_RUN)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(EXIT_CANNOT_RUN)

    return wrapper
