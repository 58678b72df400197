"""`trialinterop check-records RECORDS`: load a records folder and report every bad row (exit 0 or 2)."""

from __future__ import annotations

import click

from trialinterop.commands.common import guarded
from trialinterop.source.reader import TABLE_ATTRS, read_records


@click.command("check-records")
@click.argument("records", type=click.Path(file_okay=False, path_type=str))
@guarded
def command(records: str) -> None:
    """Load RECORDS (study definition + CSV tables) and report every bad row; nothing is written."""
    loaded = read_records(records)
    counts = ", ".join(f"{len(getattr(loaded, attribute))} {file[:-4]}" for file, attribute in TABLE_ATTRS.items())
    click.echo(f"{records} ({loaded.study.study_id}): {counts}: OK")
