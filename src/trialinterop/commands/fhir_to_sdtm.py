"""`trialinterop fhir-to-sdtm BUNDLE_OR_NDJSON_DIR -o OUT [--fhir-version auto|R4|R5] [--study study.json]
[--format xpt,json] [--no-define]`: rebuild the trial's records from FHIR R4/R5 and write the SDTM package as `to-sdtm`
does. `--study` gives the registry record (as for ODM input) when the input does not carry it in the sponsor
extensions, e.g. resources shaped by the HL7 FHIR-to-CDISC Joint Mapping IG.

Exit 0 when written (each fallback the mapping took is printed as a WARNING naming resource and element), 1 when the
built datasets break the specification (nothing written), 2 when the FHIR input cannot be read (the message names
file, entry or line, resource and element; nothing written).
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
@click.option(
    "--study",
    type=click.Path(dir_okay=False, path_type=str),
    help="study.json: the registry record, replacing the one the input carries (needed when it carries none).",
)
@format_option
@define_option
@guarded
def command(
    source: str, out: str, fhir_version: str, study: str | None, formats: tuple[str, ...], define: bool
) -> None:
    """Build the SDTM package of the trial in SOURCE (a FHIR Bundle .json file or an NDJSON export folder) into OUT
    (replaced only when everything succeeds)."""
    from pathlib import Path

    from trialinterop.fhir_in import read_fhir_trial

    path = Path(source)
    if not path.exists():
        raise click.BadParameter(f"{source}: not found", param_hint="SOURCE")
    if path.is_dir() and not any(path.glob("*.ndjson")):
        raise click.BadParameter(f"{source}: a folder must hold *.ndjson files (a FHIR export)", param_hint="SOURCE")
    trial = read_fhir_trial(path, version=fhir_version, study=study)
    write_sdtm_and_report(trial.records, out, formats=formats, define=define, warnings=trial.warnings)
