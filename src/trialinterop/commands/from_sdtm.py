"""`trialinterop from-sdtm PACKAGE_DIR [--define define.xml] -o RECORDS [--strict]`: SDTM package -> records folder.

Exit codes: 0 when every non-empty value of the package is carried into the records, recomputed by to-sdtm, or
written to RECORDS/not-carried/ and counted in the report; 1 when the accounting does not balance (a value could not
be accounted for), or, with --strict, when anything was not carried; 2 when the package cannot be read or converted
(a message names the file, row and field). The folder is replaced only when the run completes.
"""

from __future__ import annotations

import sys

import click

from trialinterop.commands.common import EXIT_FINDINGS, guarded


@click.command("from-sdtm")
@click.argument("package", type=click.Path(path_type=str))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=str), help="Records folder.")
@click.option("--define", type=click.Path(dir_okay=False, path_type=str), help="define.xml (default: PACKAGE's own).")
@click.option("--strict", is_flag=True, help="Exit 1 when any value was not carried (default: reported, exit 0).")
@guarded
def command(package: str, out: str, define: str | None, strict: bool) -> None:
    """Read the SDTM package PACKAGE (XPT v5 or Dataset-JSON) into the records folder OUT: study.yaml from TS, TA,
    TE, TV, TI (and define.xml), the records tables, and not-carried/ (every value with no records home)."""
    from trialinterop.sdtm_in import convert_package

    result = convert_package(package, out, define=define)
    report = result.report
    counts = ", ".join(f"{n} {file[:-4]}" for file, n in result.rows.items())
    click.echo(f"{out} ({result.definition.study.id}): {counts}")
    total = sum(d["values"] for d in report.datasets.values())
    lost = report.values_not_carried
    click.echo(
        f"carried or recomputed {total - lost} of {total} values; not carried: {lost} values "
        f"({report.rows_not_carried} whole rows), listed in {out}/not-carried/"
    )
    for line in report.summary_lines():
        if "0 not carried; " not in line or not line.endswith(" 0 not carried"):
            click.echo(line)
    if not report.balanced:
        click.echo("error: the carry report does not balance: some values are not accounted for", err=True)
        sys.exit(EXIT_FINDINGS)
    if strict and lost:
        sys.exit(EXIT_FINDINGS)
