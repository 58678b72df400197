"""`trialinterop check-records INPUT [--odm-mapping MAP --study DEFINITION] [--allow-dropped]`: load the input and
report every bad row; nothing is written.

INPUT is a records folder, or an ODM 1.3 export with its mapping and study definition (then the coverage summary
says what became of every collected value). Exit 0 when it loads, 1 when ODM rows or subjects were skipped (unless
--allow-dropped), 2 when it does not load.
"""

from __future__ import annotations

import click

from trialinterop.commands.common import allow_dropped_option, echo_coverage, guarded
from trialinterop.source.reader import TABLE_ATTRS


@click.command("check-records")
@click.argument("records", type=click.Path(path_type=str))
@click.option("--odm-mapping", type=click.Path(dir_okay=False, path_type=str), help="ODM input: mapping YAML.")
@click.option("--study", metavar="DEFINITION", help="ODM input: the study definition (a file or a bundled study id).")
@allow_dropped_option
@guarded
def command(records: str, odm_mapping: str | None, study: str | None, allow_dropped: bool) -> None:
    """Load RECORDS (a records folder, or an ODM export with --odm-mapping and --study) and report every bad row;
    nothing is written."""
    from trialinterop.inputs import LoadedTrial, load_trial
    from trialinterop.source.reader import read_records

    if odm_mapping is None and study is None and not records.lower().endswith(".xml"):
        loaded = LoadedTrial(read_records(records))  # a records folder: its own messages (e.g. folder not found)
    else:
        loaded = load_trial(records, odm_mapping=odm_mapping, study=study, allow_dropped=allow_dropped)
    for warning in loaded.warnings:
        click.echo(warning.render(), err=True)
    echo_coverage(loaded.coverage)
    counts = ", ".join(
        f"{len(getattr(loaded.records, attribute))} {file[:-4]}" for file, attribute in TABLE_ATTRS.items()
    )
    click.echo(f"{records} ({loaded.records.study.study_id}): {counts}: OK")
