"""`trialinterop odm-inspect EXPORT [--scaffold MAP.yaml]`: list what an ODM export holds; write a starter mapping.

Exit 0 when the export was read (and the scaffold written), 2 when it cannot be read.
"""

from __future__ import annotations

import click

from trialinterop.commands.common import guarded


@click.command("odm-inspect")
@click.argument("export", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--scaffold",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write a starter mapping (every OID present, the export's decodes, TODO markers) to this YAML file.",
)
@guarded
def command(export: str, scaffold: str | None) -> None:
    """List the study events, forms, item groups and items of EXPORT (an ODM 1.3 file) with their occurrence counts
    and code lists; with --scaffold, also write a starter mapping for it."""
    from trialinterop.atomic import staged_file
    from trialinterop.odm.inspect import inspect_export, render
    from trialinterop.odm.inspect import scaffold as make_scaffold

    inventory = inspect_export(export)
    for line in render(inventory):
        click.echo(line)
    if scaffold:
        with staged_file(scaffold) as staging:
            staging.write_text(make_scaffold(inventory), encoding="utf-8")
        click.echo(f"{scaffold}: starter mapping written (replace its TODO markers; docs/odm-mapping.md)")
