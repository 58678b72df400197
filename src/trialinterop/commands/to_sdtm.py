"""`trialinterop to-sdtm RECORDS -o OUT [--format xpt,json] [--no-define]`: build and write the SDTM package.

Exit 0 when written, 1 when the built datasets break the specification (every ERROR listed; nothing written), 2
when the run cannot start (invalid records, unreadable files, bad arguments).
"""

from __future__ import annotations

import sys

import click

from trialinterop.commands.common import EXIT_FINDINGS, guarded
from trialinterop.errors import ConformanceError
from trialinterop.issues import Severity

FORMATS = ("xpt", "json")


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose one or more of {', '.join(FORMATS)} separated by commas, got {value!r}")
    return chosen


@click.command("to-sdtm")
@click.argument("records", type=click.Path(path_type=str))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=str), help="Package folder.")
@click.option("--format", "formats", default="xpt", show_default=True, callback=_formats, help="xpt, json or xpt,json")
@click.option("--define/--no-define", default=True, show_default=True, help="Write define.xml (Define-XML 2.1).")
@click.option("--odm-mapping", type=click.Path(dir_okay=False, path_type=str), help="ODM input: mapping YAML.")
@click.option("--study", type=click.Path(dir_okay=False, path_type=str), help="ODM input: the study.json to use.")
@guarded
def command(
    records: str, out: str, formats: tuple[str, ...], define: bool, odm_mapping: str | None, study: str | None
) -> None:
    """Build the SDTM datasets of RECORDS and write them to OUT (replaced only when everything succeeds).

    RECORDS is a records folder, or an ODM 1.3 XML export together with --odm-mapping and --study.
    """
    from trialinterop.api import convert_to_sdtm
    from trialinterop.inputs import load_trial

    loaded = load_trial(records, odm_mapping=odm_mapping, study=study)
    for warning in loaded.warnings:
        click.echo(warning.render(), err=True)
    try:
        result = convert_to_sdtm(loaded.records, out, formats=formats, define=define)
    except ConformanceError as exc:
        errors = [i for i in exc.issues if i.severity >= Severity.ERROR]
        click.echo(f"error: SDTM package not written: {len(errors)} error(s) against the specification", err=True)
        for issue in exc.issues:
            if issue.severity >= Severity.WARNING:
                click.echo(f"  {issue.render()}", err=True)
        sys.exit(EXIT_FINDINGS)
    for issue in result.issues:
        if issue.severity >= Severity.WARNING:
            click.echo(issue.render(), err=True)
    summary = ", ".join(f"{name} {count}" for name, count in result.rows.items())
    click.echo(f"{result.out_dir}: {len(result.rows)} datasets ({summary}); {len(result.files)} files written")
