"""`trialinterop to-sdtm INPUT -o OUT [--format xpt,json] [--no-define]`: build and write the SDTM package.

INPUT is a records folder, an ODM 1.3 export (with --odm-mapping and --study), or FHIR R4/R5 (a Bundle .json or a
folder of NDJSON files; the release is detected; --study gives the study definition it cannot carry in full). Exit 0
when written, 1 when the built datasets break the specification (every ERROR listed; nothing written), 2 when the run
cannot start (invalid input, bad arguments).
"""

from __future__ import annotations

import click

from trialinterop.commands.common import allow_dropped_option, echo_coverage, guarded
from trialinterop.commands.sdtm_output import define_option, format_option, write_sdtm_and_report


@click.command("to-sdtm")
@click.argument("records", type=click.Path(path_type=str))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=str), help="Package folder.")
@format_option
@define_option
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
    formats: tuple[str, ...],
    define: bool,
    odm_mapping: str | None,
    study: str | None,
    allow_dropped: bool,
) -> None:
    """Build the SDTM datasets of RECORDS and write them to OUT (replaced only when everything succeeds).

    RECORDS is a records folder, an ODM 1.3 XML export together with --odm-mapping and --study, or FHIR R4/R5 (a
    Bundle .json file or a folder of .ndjson files; --study gives its study definition).
    """
    from trialinterop.inputs import load_trial

    loaded = load_trial(records, odm_mapping=odm_mapping, study=study, allow_dropped=allow_dropped)
    echo_coverage(loaded.coverage)
    write_sdtm_and_report(loaded.records, out, formats=formats, define=define, warnings=loaded.warnings)
