"""`trialinterop to-fhir RECORDS -o OUT [--fhir-version R4|R5] [--form transaction|collection|ndjson]`.

OUT is a JSON file for the two Bundle forms and a folder (one <ResourceType>.ndjson per type) for ndjson.
"""

from __future__ import annotations

import click

from trialinterop.commands.common import allow_dropped_option, echo_coverage, guarded
from trialinterop.fhir.emit import FORMS


@click.command("to-fhir")
@click.argument("records", type=click.Path(path_type=str))
@click.option("-o", "--out", required=True, type=click.Path(path_type=str), help="Bundle file, or folder for ndjson.")
@click.option("--fhir-version", type=click.Choice(["R4", "R5"], case_sensitive=False), default="R4", show_default=True)
@click.option("--form", type=click.Choice(FORMS), default="transaction", show_default=True)
@click.option("--odm-mapping", type=click.Path(dir_okay=False, path_type=str), help="ODM input: mapping YAML.")
@click.option(
    "--study",
    metavar="DEFINITION",
    help="ODM or FHIR input: the study definition (a YAML/JSON file or the id of a bundled study); "
    "FHIR input without it gets a definition rebuilt from its resources, which has no findings instruments.",
)
@allow_dropped_option
@guarded
def command(
    records: str,
    out: str,
    fhir_version: str,
    form: str,
    odm_mapping: str | None,
    study: str | None,
    allow_dropped: bool,
) -> None:
    """Build FHIR resources for every fact of RECORDS and write them to OUT (nothing written on any error).

    RECORDS is a records folder, an ODM 1.3 XML export together with --odm-mapping and --study, or FHIR R4/R5 (a
    Bundle .json file or a folder of .ndjson files; --study gives its study definition).
    """
    from trialinterop.fhir_api import convert_to_fhir
    from trialinterop.inputs import load_trial

    loaded = load_trial(records, odm_mapping=odm_mapping, study=study, allow_dropped=allow_dropped)
    echo_coverage(loaded.coverage)
    for warning in loaded.warnings:
        click.echo(warning.render(), err=True)
    result = convert_to_fhir(loaded.records, out, version=fhir_version.upper(), form=form)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(result.counts.items()))
    click.echo(f"{result.path}: FHIR {result.version} {result.form}, {result.total} resources ({kinds})")
