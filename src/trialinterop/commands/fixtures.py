"""`trialinterop fixtures -o OUT`: write a synthetic records folder for a study definition (deterministic per seed)."""

from __future__ import annotations

from pathlib import Path

import click

from trialinterop.commands.common import guarded
from trialinterop.definition import resolve_definition
from trialinterop.resources import default_study_path
from trialinterop.source.generate import generate_records
from trialinterop.source.writer import write_records

DEFAULT_SEED = 5016804
DEFAULT_SUBJECTS = 20


@click.command("fixtures")
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(path_type=Path), help="Records folder to write."
)
@click.option("--subjects", default=DEFAULT_SUBJECTS, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int)
@click.option(
    "--study",
    "study",
    default=None,
    help="Study definition file, or the id of a bundled study (default: the package's default study definition); "
    "copied unchanged into the folder as study.yaml.",
)
@guarded
def command(output: Path, subjects: int, seed: int, study: str | None) -> None:
    """Generate SUBJECTS synthetic subjects for the study and write them as a records folder to OUTPUT."""
    definition = resolve_definition(study if study is not None else default_study_path())
    records = generate_records(definition, subjects=subjects, seed=seed)
    write_records(records, output)
    click.echo(
        f"{output}: {len(records.subjects)} subjects, {len(records.exposures)} exposures, "
        f"{len(records.findings)} findings, {len(records.adverse_events)} adverse events (seed {seed})"
    )
