"""What `to-sdtm` and `fhir-to-sdtm` share: the --format option and writing the package with its report."""

from __future__ import annotations

import sys

import click

from trialinterop.commands.common import EXIT_FINDINGS
from trialinterop.errors import ConformanceError
from trialinterop.issues import Issue, Severity
from trialinterop.sdtm.build import RecordsElsewhere
from trialinterop.source.models import TrialRecords

FORMATS = ("xpt", "json")


def parse_formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    """click callback: "xpt", "json" or "xpt,json" -> ("xpt", "json")."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose one or more of {', '.join(FORMATS)} separated by commas, got {value!r}")
    return chosen


format_option = click.option(
    "--format", "formats", default="xpt", show_default=True, callback=parse_formats, help="xpt, json or xpt,json"
)
define_option = click.option(
    "--define/--no-define", default=True, show_default=True, help="Write define.xml (Define-XML 2.1)."
)


def write_sdtm_and_report(
    records: TrialRecords,
    out: str,
    *,
    formats: tuple[str, ...],
    define: bool,
    warnings: tuple[Issue, ...] = (),
    elsewhere: RecordsElsewhere | None = None,
) -> None:
    """Write the package; print warnings and a summary. Exit 1 (nothing written) when the spec is broken.
    `elsewhere`: where the subjects' records are when `records` holds the definition only (--engine spark)."""
    from trialinterop.api import convert_to_sdtm

    for warning in warnings:
        click.echo(warning.render(), err=True)
    try:
        result = convert_to_sdtm(records, out, formats=formats, define=define, elsewhere=elsewhere)
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
