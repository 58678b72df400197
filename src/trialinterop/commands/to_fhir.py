"""`trialinterop to-fhir RECORDS -o OUT [--fhir-version R4|R5] [--form transaction|collection|ndjson]`.

OUT is a JSON file for the two Bundle forms and a folder (one <ResourceType>.ndjson per type) for ndjson.
"""

from __future__ import annotations

import click

from trialinterop.commands.common import guarded
from trialinterop.fhir.emit import FORMS


@click.command("to-fhir")
@click.argument("records", type=click.Path(file_okay=False, path_type=str))
@click.option("-o", "--out", required=True, type=click.Path(path_type=str), help="Bundle file, or folder for ndjson.")
@click.option("--fhir-version", type=click.Choice(["R4", "R5"], case_sensitive=False), default="R4", show_default=True)
@click.option("--form", type=click.Choice(FORMS), default="transaction", show_default=True)
@guarded
def command(records: str, out: str, fhir_version: str, form: str) -> None:
    """Build FHIR resources for every fact of RECORDS and write them to OUT (nothing written on any error)."""
    from trialinterop.fhir_api import convert_to_fhir

    result = convert_to_fhir(records, out, version=fhir_version.upper(), form=form)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(result.counts.items()))
    click.echo(f"{result.path}: FHIR {result.version} {result.form}, {result.total} resources ({kinds})")
