"""`trialinterop fhir-to-sdtm BUNDLE_OR_NDJSON_DIR -o OUT [--fhir-version auto|R4|R5] [--format xpt,json]
[--no-define]`: rebuild the trial's records from FHIR R4/R5 and write the SDTM package as `to-sdtm` does.

Exit 0 when written, 1 when the built datasets break the specification (nothing written), 2 when the FHIR input
cannot be read (the message names file, entry or line, resource and element; nothing written).
"""

from __future__ import annotations

import click

from trialinterop.commands.common import guarded
from trialinterop.commands.sdtm_output import define_option, format_option, write_sdtm_and_report


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
@format_option
@define_option
@guarded
def command(source: str, out: str, fhir_version: str, formats: tuple[str, ...], define: bool) -> None:
    """Build the SDTM package of the trial in SOURCE (a FHIR Bundle .json file or an NDJSON export folder) into OUT
    (replaced only when everything succeeds)."""
    from pathlib import Path

    from trialinterop.fhir_in import load_fhir_trial

    path = Path(source)
    if not path.exists():
        raise click.BadParameter(f"{source}: not found", param_hint="SOURCE")
    if path.is_dir() and not any(path.glob("*.ndjson")):
        raise click.BadParameter(f"{source}: a folder must hold *.ndjson files (a FHIR export)", param_hint="SOURCE")
    records = load_fhir_trial(path, version=fhir_version)
    write_sdtm_and_report(records, out, formats=formats, define=define)
