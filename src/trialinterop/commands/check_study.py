"""`trialinterop check-study DEFINITION`: check a study definition file and summarise it (exit 0 or 2)."""

from __future__ import annotations

import click

from trialinterop.commands.common import guarded
from trialinterop.definition import load_definition


@click.command("check-study")
@click.argument("definition", type=click.Path(dir_okay=False, path_type=str))
@guarded
def command(definition: str) -> None:
    """Check DEFINITION (YAML or JSON) against the study-definition schema and its cross-references; every problem
    is listed as `file [JSON pointer] field: reason`. Nothing is written."""
    loaded = load_definition(definition)
    tests = sum(len(i.tests) for i in loaded.instruments)
    domains = ", ".join(sorted({i.domain for i in loaded.instruments})) or "none"
    click.echo(
        f"{definition}: study {loaded.study.id}, {len(loaded.arms)} arm(s), {len(loaded.elements)} element(s), "
        f"{len(loaded.visits.planned)} planned visit(s), {len(loaded.interventions)} intervention(s), "
        f"{len(loaded.sites)} site(s), {len(loaded.eligibility.criteria)} criteria, "
        f"{len(loaded.instruments)} instrument(s) with {tests} test(s) ({domains}): OK"
    )
