"""`trialinterop check-records RECORDS`: load a records folder and report every bad row (exit 0 or 2)."""

from __future__ import annotations

import click

from trialinterop.commands.common import guarded
from trialinterop.source.reader import read_records


@click.command("check-records")
@click.argument("records", type=click.Path(file_okay=False, path_type=str))
@guarded
def command(records: str) -> None:
    """Load RECORDS (study.json + CSV tables) and report every bad row; nothing is written."""
    loaded = read_records(records)
    click.echo(
        f"{records}: {len(loaded.subjects)} subjects, {len(loaded.exposures)} exposures, "
        f"{len(loaded.adverse_events)} adverse events, {len(loaded.skin_scores)} mRSS assessments, "
        f"{len(loaded.spirometry)} spirometry tests, {len(loaded.visits)} visits: OK"
    )
