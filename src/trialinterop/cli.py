"""Command line: `trialinterop COMMAND`. Each command lives in `commands/<name>.py` and is imported on use.

Exit codes everywhere: 0 clean, 1 findings at or above the failing severity, 2 could not run (bad input, bad
arguments, unreadable files). User mistakes print a clear message, never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from trialinterop.heap import collector_paused

COMMANDS: dict[str, tuple[str, str]] = {
    "to-sdtm": (
        "trialinterop.commands.to_sdtm",
        "Build the SDTM package (XPT v5, define.xml, Dataset-JSON).",
    ),
    "to-fhir": (
        "trialinterop.commands.to_fhir",
        "Build FHIR R4/R5 resources (transaction Bundle, collection, NDJSON).",
    ),
    "fhir-to-sdtm": (
        "trialinterop.commands.fhir_to_sdtm",
        "Build the SDTM package from a FHIR Bundle or NDJSON.",
    ),
    "validate": ("trialinterop.commands.validate", "Check an SDTM package or FHIR output against the rules."),
    "fixtures": ("trialinterop.commands.fixtures", "Generate a synthetic records folder for this trial."),
    "compare-sdtm": (
        "trialinterop.commands.compare_sdtm",
        "Compare two SDTM packages: datasets, variables, values by natural keys.",
    ),
    "check-study": ("trialinterop.commands.check_study", "Check a study definition file and summarise it."),
    "from-sdtm": (
        "trialinterop.commands.from_sdtm",
        "Read a finished SDTM package into a records folder (study definition + tables).",
    ),
    "check-records": (
        "trialinterop.commands.check_records",
        "Load a records folder (or an ODM export with its mapping) and report every bad row.",
    ),
    "odm-inspect": (
        "trialinterop.commands.odm_inspect",
        "List what an ODM export holds; write a starter mapping with --scaffold.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _) in COMMANDS.items() if _importable(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[cmd_name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        return module.command


def _importable(module_name: str) -> bool:
    return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trialinterop")
def main() -> None:
    """trialinterop: clinical trial records to CDISC SDTM and HL7 FHIR (any trial a study definition describes),
    and a conformance validator."""


def run() -> None:
    """The console entry point: `main` with the cyclic garbage collector paused for the command (`heap`), which is
    process-global state this process owns; `main` itself, as library callers and tests invoke it, leaves it alone."""
    with collector_paused():
        main()
