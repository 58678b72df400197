"""Profile of the Spark ingest of fhir-to-sdtm: CPU seconds of the JVM and of the Python workers per stage.

    .venv/bin/python bench/spark_stages.py NDJSON_DIR [--master local[2]]

Stages: `group_in_spark` (read and parse every line, summary, duplicate ids; the alias join is lazy), then the grouped
RDD computed once (the shuffle by subject and each group handed to Python; no mapping). CPU is read from /proc before
and after each stage: the JVM's own time (in local mode the executors are its threads) and the Python workers' time
with the workers they have reaped (PySpark's daemon forks them and reaps them when they end). Prints one line a stage.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from trialinterop.spark.grouping import group_in_spark
from trialinterop.spark.session import spark_session

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu() -> tuple[float, float]:
    """(JVM CPU seconds, Python workers' CPU seconds with the workers they reaped) of this process's Spark."""
    children: dict[int, list[tuple[int, list[str]]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append((int(entry.name), fields))
    jvm = workers = 0.0
    stack = [(pid, fields, False) for pid, fields in children.get(os.getpid(), [])]
    while stack:
        pid, fields, under_jvm = stack.pop()
        if under_jvm:
            workers += sum(int(f) for f in fields[11:15]) / TICKS
        else:
            jvm += (int(fields[11]) + int(fields[12])) / TICKS
        stack += [(child, found, True) for child, found in children.get(pid, [])]
    return jvm, workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    with spark_session(args.master) as session:
        session.sparkContext.parallelize(range(4), 2).count()  # workers started before the first stage
        jvm, workers = tree_cpu()
        start = time.perf_counter()
        grouped = group_in_spark(session, args.source)
        jvm2, workers2 = tree_cpu()
        wall = time.perf_counter() - start
        print(
            f"read, parse, summary, duplicate ids: wall {wall:.1f} s, JVM {jvm2 - jvm:.1f} s, "
            f"workers {workers2 - workers:.1f} s"
        )
        start = time.perf_counter()
        resources = grouped.rdd.map(lambda pair: len(pair[1].resources)).sum()
        jvm3, workers3 = tree_cpu()
        wall = time.perf_counter() - start
        print(
            f"group by subject ({resources} resources): wall {wall:.1f} s, JVM {jvm3 - jvm2:.1f} s, "
            f"workers {workers3 - workers2:.1f} s"
        )
        grouped.close()


if __name__ == "__main__":
    main()
