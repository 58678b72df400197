"""`trialinterop fhir-to-sdtm BUNDLE_OR_NDJSON_DIR -o OUT [--fhir-version auto|R4|R5] [--study DEFINITION]
[--site SITEID] [--report coverage.json] [--no-strict] [--format xpt,json] [--no-define] [--engine local|spark
[--master URL]]`: rebuild the trial's records
from FHIR R4/R5 and write the SDTM package as `to-sdtm` does. The input is streamed and mapped subject by subject
(docs/fhir-in.md); every problem is listed in one run (the first few of each kind, the rest counted), and a coverage
summary (console; all of it as JSON with --report) accounts for every resource and element. `--study` gives the
study definition (a YAML/JSON file or a bundled study id): it replaces what the input carries about the study and is
the only source of the findings instruments; without it the definition is rebuilt from the input, and every findings
Observation is reported as not mapped.

Exit 0 when written (each fallback the mapping took is printed as a WARNING naming resource and element; with
--no-strict also each kind of Observation not mapped, with its count), 1 when the built datasets break the
specification (nothing written), 2 when --engine spark cannot run here (no pyspark or no Java 17+), when the FHIR
input cannot be read or, unless --no-strict, holds Observations that map to nothing (the message names file, entry
or line, resource and element; nothing written).
"""

from __future__ import annotations

from typing import Any

import click

from trialinterop.commands.common import guarded
from trialinterop.commands.engine import check_master, engine_option, master_option, read_with_spark
from trialinterop.commands.sdtm_output import define_option, format_option, write_sdtm_and_report

STUDY_HELP = (
    "The study definition: a YAML/JSON file or the id of a bundled study (mappings/studies/). It replaces what the "
    "input carries about the study and gives the findings instruments; without it every findings Observation is "
    "not mapped."
)


@click.command("fhir-to-sdtm")
@click.argument("source", type=click.Path(path_type=str))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=str), help="Package folder.")
@click.option(
    "--fhir-version",
    type=click.Choice(["auto", "R4", "R5"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="FHIR release of the input; auto tells R4 from R5 by the resources' shape.",
)
@click.option("--study", metavar="DEFINITION", help=STUDY_HELP)
@click.option(
    "--site", metavar="SITEID", help="SITEID for subjects whose site the input does not tell (a notice each)."
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write the coverage report (every resource and element: mapped to which datasets and variables, or not).",
)
@click.option(
    "--strict/--no-strict",
    default=True,
    show_default=True,
    help="Refuse input with Observations that map to nothing (--no-strict: convert without them, each listed).",
)
@format_option
@define_option
@engine_option
@master_option
@guarded
def command(
    source: str,
    out: str,
    fhir_version: str,
    study: str | None,
    site: str | None,
    report: str | None,
    strict: bool,
    formats: tuple[str, ...],
    define: bool,
    engine: str,
    master: str | None,
) -> None:
    """Build the SDTM package of the trial in SOURCE (a FHIR Bundle .json file or an NDJSON export folder) into OUT
    (replaced only when everything succeeds)."""
    from contextlib import ExitStack
    from pathlib import Path

    from trialinterop.fhir_in import read_fhir_trial
    from trialinterop.fhir_in.pipeline import FhirRefused

    check_master(engine, master)
    path = Path(source)
    if not path.exists():
        raise click.BadParameter(f"{source}: not found", param_hint="SOURCE")
    if path.is_dir() and not any(path.glob("*.ndjson")):
        raise click.BadParameter(f"{source}: a folder must hold *.ndjson files (a FHIR export)", param_hint="SOURCE")
    options: dict[str, Any] = {"version": fhir_version, "study": study, "strict": strict, "site": site}
    with ExitStack() as spark:  # --engine spark: the records stay on the executors until the package is written
        try:
            if engine == "spark":
                trial, elsewhere = spark.enter_context(read_with_spark(path, master, **options))
            else:
                trial, elsewhere = read_fhir_trial(path, **options), None
        except FhirRefused as refused:
            _coverage(refused.coverage, report, source=source, version=refused.version, problems=refused.issues)
            raise
        _coverage(trial.coverage, report, source=source, version=trial.version)
        write_sdtm_and_report(
            trial.records, out, formats=formats, define=define, warnings=trial.warnings, elsewhere=elsewhere
        )


def _coverage(coverage: Any, report: str | None, *, source: str, version: str, problems: tuple[Any, ...] = ()) -> None:
    """Print the coverage summary; write the JSON report when asked."""
    from pathlib import Path

    from trialinterop.fhir_in.report import write_coverage

    click.echo("coverage of the input:", err=True)
    for line in coverage.summary_lines():
        click.echo(line, err=True)
    if report:
        write_coverage(coverage, Path(report), source=source, version=version, problems=problems)
