"""What `fhir-to-sdtm` and `validate` share: --engine local|spark and --master (docs/scale-out.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

engine_option = click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="local: this process; spark: Apache Spark (pip install 'trialinterop[spark]', Java 17+), same output.",
)
master_option = click.option(
    "--master",
    metavar="URL",
    help="Spark master with --engine spark: local[N], local[*], spark://HOST:PORT... (default: the one spark-submit "
    "gives, else local[*]).",
)


def check_master(engine: str, master: str | None) -> None:
    if master and engine != "spark":
        raise click.BadParameter("--master goes with --engine spark", param_hint="--master")


@contextmanager
def read_with_spark(path: Path, master: str | None, **options: Any) -> Iterator[tuple[Any, Any]]:
    """fhir_in.read_fhir_trial run by Spark, the subjects' records left on the executors: (the trial without them,
    where they are for `api.convert_to_sdtm`); the session is stopped when the block ends."""
    from trialinterop.spark.fhir_to_sdtm import trial_on_executors
    from trialinterop.spark.session import spark_session

    with spark_session(master) as session, trial_on_executors(session, path, **options) as found:
        yield found
