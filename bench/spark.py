"""Benchmark: fhir-to-sdtm --engine spark against the single-machine path on generated NDJSON trials.

    .venv/bin/python bench/spark.py [--sizes 10000,100000] [--master local[2]] [--work DIR] [--out bench/results.json]
        [--engines local,spark]

For each size: `trialinterop fixtures --subjects N` then `to-fhir --format ndjson` (R4; not timed), then the same
`fhir-to-sdtm NDJSON -o OUT --study nct05016804` once with `--engine local` and once with `--engine spark --master
local[2]`, each in its own process. While a run goes, its process tree is sampled every 0.2 s from /proc (resident set
sizes and CPU seconds): the driver (the Python process the command starts), the JVM Spark starts (driver JVM; in local
mode the executors are threads of it) and the Python workers the JVM forks (the executors' Python side). Peaks are per
part and of the tree's sum; CPU seconds per part are the last sample's (so the last 0.2 s may be missed; a Python
worker counts with the workers it has reaped, see `sample`), and `cpu_seconds` is their sum (the kernel's count for
waited-for children would miss the JVM, which the driver does not wait for). The outputs of both runs are compared
file by file (SHA-256): they must be byte-identical. With --validate (or --only-validate, on the packages an earlier
run left in --work) the written package is also validated with both engines (JSON reports compared byte for byte).

`--engines` picks the runs and their order (e.g. `spark` alone where the single-machine path would not fit in
memory); the byte comparison needs both. The machine's load average (1 minute, /proc/loadavg) is recorded at the
start of each run and its mean and maximum while it ran, since the machine may be shared.

The figures go to `--out` under "spark" (other keys are kept), keyed by size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
STUDY = "nct05016804"


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found.setdefault(parent, []).append(int(entry.name))
    return found


def _rss_mb(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0.0
    return int(fields[1]) * PAGE / 1e6


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds the process has used so far, with `reaped` also those of its children it has waited
    for (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11 : 15 if reaped else 13]) / TICKS


def sample(root: int, cpu: dict[str, float] | None = None) -> dict[str, float]:
    """RSS (MB) of the tree under `root`: driver (root), jvm (java processes), workers (Python under the JVM). With
    `cpu`, the CPU seconds used so far by each part's processes are added to it: a Python worker counts with the
    workers it has waited for (PySpark's daemon forks a worker per task slot and reaps it when it ends or idles out),
    so a worker that has ended still counts; the JVM counts alone (its children are the workers)."""
    children = _children()
    parts = {"driver": _rss_mb(root), "jvm": 0.0, "workers": 0.0}
    if cpu is not None:
        cpu["driver"] += _cpu_seconds(root)
    stack = [(pid, False) for pid in children.get(root, [])]
    while stack:
        pid, under_jvm = stack.pop()
        name = _name(pid)
        if name == "java":
            part = "jvm"
            under_jvm = True
        elif under_jvm:
            part = "workers"
        else:
            part = "driver"  # e.g. a shell between the driver and the JVM
        parts[part] += _rss_mb(pid)
        if cpu is not None:
            cpu[part] += _cpu_seconds(pid, reaped=part == "workers")
        stack.extend((child, under_jvm) for child in children.get(pid, []))
    parts["tree"] = sum(parts.values())
    return parts


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def timed(command: list[str]) -> dict[str, Any]:
    """Run `command`; wall seconds, the peak RSS and the CPU seconds of each part of its process tree (CPU: the
    last sample of each process, so a process's last 0.2 s may be missed) and the machine's load average."""
    peaks = {"driver": 0.0, "jvm": 0.0, "workers": 0.0, "tree": 0.0}
    cpu = {"driver": 0.0, "jvm": 0.0, "workers": 0.0}
    loads = [_load()]
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "CI": "1"})
        ticks = 0
        while process.poll() is None:
            now = {"driver": 0.0, "jvm": 0.0, "workers": 0.0}
            for key, value in sample(process.pid, now).items():
                peaks[key] = max(peaks[key], value)
            cpu = {key: max(cpu[key], value) for key, value in now.items()}
            ticks += 1
            if ticks % 50 == 0:  # every 10 s
                loads.append(_load())
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        log.seek(0)
        stderr = log.read().decode(errors="replace")
    failed = {"error": f"exit {process.returncode}", "stderr": stderr[-3000:]} if process.returncode else {}
    load = {"start": loads[0], "mean": round(sum(loads) / len(loads), 2), "max": max(loads)}
    parts = {part: round(seconds, 1) for part, seconds in cpu.items()}
    return {
        "wall_seconds": round(seconds, 1),
        "cpu_seconds": round(sum(parts.values()), 1),
        **{f"cpu_{k}_seconds": v for k, v in parts.items()},
        **{f"peak_{k}_mb": round(v, 1) for k, v in peaks.items()},
        "load_average_1min": load,
        **failed,
    }


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run_size(
    size: int,
    work: Path,
    master: str,
    *,
    validate: bool = False,
    convert: bool = True,
    engines: tuple[str, ...] = ("local", "spark"),
) -> dict[str, Any]:
    tool = str(Path(sys.executable).with_name("trialinterop"))
    records, ndjson = work / f"records{size}", work / f"ndjson{size}"
    if not ndjson.exists():
        subprocess.run([tool, "fixtures", "-o", str(records), "--subjects", str(size)], check=True)
        subprocess.run([tool, "to-fhir", str(records), "-o", str(ndjson), "--form", "ndjson"], check=True)
    input_bytes = sum(p.stat().st_size for p in ndjson.glob("*.ndjson"))
    runs = {}
    for engine in engines if convert else ():
        out = work / f"sdtm{size}-{engine}"
        command = [tool, "fhir-to-sdtm", str(ndjson), "-o", str(out), "--study", STUDY, "--format", "xpt,json"]
        if engine == "spark":
            command += ["--engine", "spark", "--master", master]
        runs[engine] = timed(command)
        print(f"{size} {engine}: {runs[engine]}", file=sys.stderr)
    both = convert and {"local", "spark"} <= set(engines) and not any("error" in run for run in runs.values())
    same = digests(work / f"sdtm{size}-local") == digests(work / f"sdtm{size}-spark") if both else None
    figures = {"input_bytes": input_bytes, "master": master, "byte_identical": same, **runs}
    if validate:
        package = work / f"sdtm{size}-local"
        checks = {}
        for engine in ("local", "spark"):
            report = work / f"validate{size}-{engine}.json"
            command = [tool, "validate", str(package), "--format", "json", "-o", str(report), "--fail-on", "reject"]
            if engine == "spark":
                command += ["--engine", "spark", "--master", master]
            checks[engine] = timed(command)
            print(f"{size} validate {engine}: {checks[engine]}", file=sys.stderr)
        same_report = (work / f"validate{size}-local.json").read_bytes() == (
            work / f"validate{size}-spark.json"
        ).read_bytes()
        figures["validate"] = {"same_report": same_report, **checks}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    parser.add_argument("--engines", default="local,spark", help="the runs, in this order (default local,spark)")
    parser.add_argument("--validate", action="store_true", help="also validate the package: local vs spark")
    parser.add_argument("--only-validate", action="store_true", help="only that (the packages of an earlier run)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="trialinterop-spark-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    entry = results.setdefault("spark", {})
    entry["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}"
    entry["command"] = f"fhir-to-sdtm NDJSON --study {STUDY} --format xpt,json, --engine local vs --engine spark"
    for size in (int(s) for s in args.sizes.split(",")):
        checks = args.validate or args.only_validate
        engines = tuple(e.strip() for e in args.engines.split(",") if e.strip())
        found = run_size(size, work, args.master, validate=checks, convert=not args.only_validate, engines=engines)
        if args.only_validate:
            found = {**entry.get("sizes", {}).get(str(size), {}), "validate": found["validate"]}
        entry.setdefault("sizes", {})[str(size)] = found
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(entry, indent=2))


if __name__ == "__main__":
    main()
