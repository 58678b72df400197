"""A Spark session for this tool, or a clear reason why there can be none (pyspark not installed, no Java 17+).

`require_spark()` checks before anything starts, so a missing piece is one line and exit code 2, never a Java or
Python traceback. `spark_session(master)` starts (or joins, under spark-submit) a session with the web UI off and
few shuffle partitions (the jobs shuffle little), makes the executors' Python the driver's own interpreter in local
mode, and stops the session when the block ends.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trialinterop.errors import TrialInteropError

MIN_JAVA = 17
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
INSTALL_HINT = "install it with: pip install 'trialinterop[spark]'"


class SparkUnavailable(TrialInteropError):
    """--engine spark cannot run here (the message says what is missing and how to get it)."""


def java_command() -> str | None:
    """The java launcher Spark will use: $JAVA_HOME/bin/java, else java on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def java_major(command: str) -> int | None:
    """The major release of `command -version` (8 for 1.8.0_x), None when it does not run or says nothing usable."""
    try:
        done = subprocess.run([command, "-version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def spark_problem() -> str | None:
    """Why --engine spark cannot run here, or None when pyspark and Java 17+ are both present."""
    if importlib.util.find_spec("pyspark") is None:
        return f"--engine spark needs pyspark, which is not installed; {INSTALL_HINT}"
    command = java_command()
    if command is None:
        return f"--engine spark needs Java {MIN_JAVA} or later: no java on PATH and no JAVA_HOME"
    major = java_major(command)
    if major is None:
        return f"--engine spark needs Java {MIN_JAVA} or later: {command} -version did not say its version"
    if major < MIN_JAVA:
        return f"--engine spark needs Java {MIN_JAVA} or later: {command} is Java {major}"
    return None


def require_spark() -> None:
    """SparkUnavailable (exit 2 at the CLI) when pyspark or Java 17+ is missing."""
    problem = spark_problem()
    if problem:
        raise SparkUnavailable(problem)


@contextmanager
def spark_session(master: str | None = None, *, app: str = "trialinterop") -> Iterator[Any]:
    """A SparkSession (`master`: local[N], spark://HOST:PORT, yarn...; None: the one spark-submit gives, else
    local[*]); stopped at the end of the block unless it was there before (spark-submit's own)."""
    require_spark()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    with warnings.catch_warnings():  # pyspark warns about pandas 3 on import; this tool uses no pandas-on-Spark
        warnings.simplefilter("ignore", FutureWarning)
        from pyspark.sql import SparkSession

    existing = SparkSession.getActiveSession()
    builder = SparkSession.builder.appName(app)
    builder = builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
    builder = builder.config("spark.python.worker.reuse", "true").config("spark.ui.showConsoleProgress", "false")
    builder = builder.config("spark.executorEnv.PYTHONWARNINGS", "ignore::FutureWarning")
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # this process starts the JVM (not spark-submit): quiet log
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}")
        builder = builder.master(master or "local[*]")
    elif master:
        builder = builder.master(master)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say why in one line
        raise SparkUnavailable(f"Spark did not start: {str(exc).strip().splitlines()[0]}") from None
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        if existing is None:
            session.stop()


def partitions(session: Any, wanted: int | None = None) -> int:
    """How many partitions a job's shuffle uses: `wanted`, else the cluster's default parallelism."""
    return max(1, wanted or session.sparkContext.defaultParallelism)
