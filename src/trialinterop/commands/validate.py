"""`trialinterop validate PATH... [--each] [--engine local|spark [--master URL]]`: check SDTM datasets (XPT v5 /
Dataset-JSON), define.xml and FHIR output. All PATHs make one package; with --each every PATH is a package of its
own (one console report each). --engine spark runs the same rules in Spark executors (docs/scale-out.md).

Exit 0 clean, 1 findings at or above --fail-on (default error) in any package, 2 could not run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from trialinterop.atomic import staged_file
from trialinterop.commands.common import EXIT_CANNOT_RUN, EXIT_CLEAN, EXIT_FINDINGS, guarded
from trialinterop.commands.engine import check_master, engine_option, master_option
from trialinterop.issues import Severity

FORMATS = ("console", "json", "junit", "sarif", "xlsx", "html", "md")
SEVERITIES = tuple(s.name.lower() for s in Severity)


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--define", "define", type=click.Path(dir_okay=False, path_type=str), help="define.xml to check against")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="console", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="write the report to this file")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True)
@click.option("--accepted", type=click.Path(dir_okay=False, path_type=str), help="YAML file of accepted findings")
@click.option(
    "--spec",
    "spec_dir",
    type=click.Path(path_type=str),
    help="a study's specification folder (as mappings/); exit 2 if it does not load. Default: the bundled study's when"
    " DM.STUDYID names it, else SDTMIG metadata only (a line says which)",
)
@click.option(
    "--sdrg",
    type=click.Path(dir_okay=False, path_type=str),
    help="also write the reviewer's guide Data Conformance Summary (cSDRG section 4) to this .md or .html file",
)
@click.option(
    "--core-report",
    type=click.Path(dir_okay=False, path_type=str),
    help="a CDISC CORE JSON report of the same package, listed in the --sdrg summary",
)
@click.option("--list-rules", is_flag=True, help="print the rules catalogue and exit (--format md for docs)")
@click.option(
    "--each",
    is_flag=True,
    help="each PATH is a package of its own: one console report per package (a portfolio in one run)",
)
@engine_option
@master_option
@guarded
def command(
    paths: tuple[str, ...],
    define: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
    accepted: str | None,
    spec_dir: str | None,
    sdrg: str | None,
    core_report: str | None,
    list_rules: bool,
    each: bool,
    engine: str,
    master: str | None,
) -> None:
    """Validate the SDTM package / FHIR output in PATHS (folders or files)."""
    check_master(engine, master)
    if list_rules:
        _list_rules(fmt, output)
        sys.exit(EXIT_CLEAN)
    if fmt == "md":
        click.echo("error: --format md is for --list-rules (the docs/rules.md page)", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if not paths:
        click.echo("error: give at least one folder or file to validate (or --list-rules)", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if fmt == "xlsx" and not output:
        click.echo("error: --format xlsx needs -o FILE.xlsx", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if core_report and not sdrg:
        click.echo("error: --core-report is read for the --sdrg summary; give --sdrg FILE.md or FILE.html", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if sdrg and Path(sdrg).suffix.lower() not in (".md", ".html"):
        click.echo(f"error: --sdrg {sdrg}: the file name must end in .md or .html", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if each and (fmt != "console" or output or define or sdrg):
        click.echo(
            "error: --each writes console reports to the terminal (no --format, -o, --define or --sdrg)", err=True
        )
        sys.exit(EXIT_CANNOT_RUN)
    from trialinterop.validate.reports.console import render_console

    threshold = Severity.parse(fail_on)
    outside = _core_report(core_report)
    packages = [[p] for p in paths] if each else [list(paths)]
    results = _run(packages, define=define, accepted=accepted, spec_dir=spec_dir, engine=engine, master=master)
    if each:
        for path, found in zip(paths, results, strict=True):
            click.echo(f"== {path}", err=False)
            click.echo(found.spec, err=True)
            click.echo(render_console(found, fail_on=threshold), nl=False)
        sys.exit(EXIT_FINDINGS if any(r.failing(threshold) for r in results) else EXIT_CLEAN)
    result = results[0]
    click.echo(result.spec, err=True)
    console = render_console(result, fail_on=threshold)
    if fmt == "console":
        _emit(console, output)
    else:
        _write_report(result, fmt, output, threshold)
        if output:
            click.echo(console, nl=False)
    if sdrg:
        _write_sdrg(result, outside, accepted, sdrg)
    sys.exit(EXIT_FINDINGS if result.failing(threshold) else EXIT_CLEAN)


def _run(packages: list[list[str]], *, engine: str, master: str | None, **options: Any) -> list[Any]:
    """validate.api.validate of each package: one after another here, or all at once in Spark (same results)."""
    if engine == "spark":
        from trialinterop.spark.session import spark_session
        from trialinterop.spark.validate import PackageInput, validate_spark

        inputs = [PackageInput(tuple(p), options["define"]) for p in packages]
        with spark_session(master) as session:
            return validate_spark(session, inputs, accepted=options["accepted"], spec_dir=options["spec_dir"])
    from trialinterop.validate.api import validate

    return [validate(list(p), **options) for p in packages]


def _core_report(path: str | None):
    from trialinterop.validate.reports.sdrg import load_core_report

    return load_core_report(path) if path else None


def _write_sdrg(result, outside, accepted: str | None, path: str) -> None:
    from trialinterop.validate.accept import load_accepted
    from trialinterop.validate.reports.sdrg import render_sdrg

    acceptances = load_accepted(accepted) if accepted else []
    text = render_sdrg(result, outside, acceptances, "html" if path.lower().endswith(".html") else "md")
    with staged_file(Path(path)) as staged:
        staged.write_text(text, encoding="utf-8")


def _list_rules(fmt: str, output: str | None) -> None:
    from trialinterop.validate import catalogue

    if fmt == "md":
        text = catalogue.render_rules_markdown()
    elif fmt == "json":
        text = catalogue.render_rules_json()
    else:
        text = catalogue.render_rules_text()
    _emit(text, output)


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    with staged_file(output) as temp:
        Path(temp).write_text(text, encoding="utf-8")


def _write_report(result, fmt: str, output: str | None, threshold: Severity) -> None:
    from trialinterop.validate.reports import machine, tables

    if fmt == "xlsx":
        if output is None:  # the command has checked this already
            raise ValueError("--format xlsx needs an output file")
        with staged_file(output) as temp:
            tables.write_xlsx(result, Path(temp))
        return
    if fmt == "json":
        text = machine.render_json(result, fail_on=threshold)
    elif fmt == "junit":
        text = machine.render_junit(result, fail_on=threshold).decode("utf-8")
    elif fmt == "sarif":
        text = machine.render_sarif(result)
    else:
        text = tables.render_html(result)
    _emit(text, output)
