"""`trialinterop compare-sdtm A B`: compare two SDTM packages (datasets, variables, values by natural keys).

Exit 0 identical, 1 differences, 2 could not run (unreadable folder, not a package, bad option).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trialinterop.atomic import staged_file
from trialinterop.commands.common import EXIT_CLEAN, EXIT_FINDINGS, guarded
from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity


def _parse_keys(values: tuple[str, ...]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for value in values:
        name, sep, variables = value.partition("=")
        if not sep or not name.strip() or not variables.strip():
            issue = Issue("TI-ARGS", Severity.REJECT, f"expected DATASET=VAR,VAR, got {value!r}", where="--keys")
            raise InputError([issue], summary="cannot compare")
        keys[name.strip().upper()] = [v for v in variables.split(",") if v.strip()]
    return keys


def _write(path: str, text: str) -> None:
    with staged_file(path) as temp:
        Path(temp).write_text(text, encoding="utf-8")


@click.command("compare-sdtm")
@click.argument("package_a", type=click.Path(path_type=str))
@click.argument("package_b", type=click.Path(path_type=str))
@click.option("--keys", "keys", multiple=True, metavar="DS=VAR,VAR", help="key variables of a dataset (repeatable)")
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="VAR",
    help="leave a variable out (repeatable); --SEQ (as --ignore=--SEQ) means every domain's SEQ",
)
@click.option("--datasets", "datasets", multiple=True, metavar="DS,DS", help="compare only these datasets")
@click.option("--tolerance", type=float, default=0.0, show_default=True, help="relative tolerance for numbers")
@click.option("--combine-splits", is_flag=True, help="compare split datasets (LBCH, LBHE...) as one (LB)")
@click.option(
    "--supp-by-parent",
    is_flag=True,
    help="pair SUPP-- records through their parent record's keys, not IDVARVAL (--SEQ numbered differently)",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=str), help="write the JSON report")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=str), help="write the HTML report")
@click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True, help="lines of each kind shown")
@guarded
def command(
    package_a: str,
    package_b: str,
    keys: tuple[str, ...],
    ignore: tuple[str, ...],
    datasets: tuple[str, ...],
    tolerance: float,
    combine_splits: bool,
    supp_by_parent: bool,
    json_path: str | None,
    html_path: str | None,
    limit: int,
) -> None:
    """Compare SDTM package PACKAGE_A with PACKAGE_B (folders of XPT v5 / Dataset-JSON files)."""
    from trialinterop.compare import compare_packages
    from trialinterop.compare.console import render_console

    wanted = [d for value in datasets for d in value.split(",") if d.strip()] if datasets else None
    result = compare_packages(
        package_a,
        package_b,
        keys=_parse_keys(keys),
        ignore=ignore,
        datasets=wanted,
        tolerance=tolerance,
        combine_splits=combine_splits,
        supp_by_parent=supp_by_parent,
    )
    if json_path:
        from trialinterop.compare.json_report import render_json

        _write(json_path, render_json(result))
    if html_path:
        from trialinterop.compare.html_report import render_html

        _write(html_path, render_html(result))
    click.echo(render_console(result, limit=limit), nl=False)
    sys.exit(EXIT_CLEAN if result.identical else EXIT_FINDINGS)
