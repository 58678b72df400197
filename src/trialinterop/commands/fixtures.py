"""`trialinterop fixtures -o OUT`: write a synthetic records folder for NCT05016804 (deterministic per seed)."""

from __future__ import annotations

from pathlib import Path

import click

from trialinterop.commands.common import guarded
from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.resources import default_study_path
from trialinterop.source.generate import generate_trial
from trialinterop.source.reader import read_study
from trialinterop.source.writer import write_records

DEFAULT_SEED = 5016804
DEFAULT_SUBJECTS = 20


def load_study(path: Path):
    """Read and schema-check one study.json; InputError naming the file otherwise."""
    if not path.is_file():
        issue = Issue("INPUT", Severity.ERROR, "study.json not found (give one with --study)", where=str(path))
        raise InputError([issue], summary="cannot generate fixtures")
    problems: list[Issue] = []
    study = read_study(path, problems)
    if study is None or problems:
        raise InputError(problems, summary=f"invalid {path}")
    return study


@click.command("fixtures")
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(path_type=Path), help="Records folder to write."
)
@click.option("--subjects", default=DEFAULT_SUBJECTS, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int)
@click.option(
    "--study",
    "study_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="study.json to generate for (default: the bundled NCT05016804 study, fixtures/records/study.json); copied "
    "unchanged.",
)
@guarded
def command(output: Path, subjects: int, seed: int, study_path: Path | None) -> None:
    """Generate SUBJECTS synthetic subjects for the trial and write them as a records folder to OUTPUT."""
    study_path = study_path or default_study_path()
    study = load_study(study_path)
    records = generate_trial(study, subjects=subjects, seed=seed)
    write_records(records, output, study_source=study_path)
    click.echo(
        f"{output}: {len(records.subjects)} subjects, {len(records.exposures)} exposures, "
        f"{len(records.adverse_events)} adverse events (seed {seed})"
    )
