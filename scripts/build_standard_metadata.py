"""Build the bundled SDTMIG 3.4 standard metadata under `mappings/sdtmig-3.4/` (run by hand, output committed).

Inputs (not needed at runtime, which reads only the CSVs written here):
- the rebuilt CDISC CORE cache (`variables_metadata.pkl`, `standards_details.pkl`, `variable_codelist_maps.pkl`;
  pickled plain dicts, see ../shared/core-cache/README.md) for datasets, variables and variable -> codelist links;
- the NCI EVS "SDTM Terminology.txt" (tab separated, public domain) for the terms of the linked codelists.

    .venv/bin/python scripts/build_standard_metadata.py --core-cache ../shared/core-cache \
        --ct "SDTM Terminology.txt" --out mappings/sdtmig-3.4

Writes datasets.csv (dataset, label, class, structure), variables.csv (dataset, variable, label, type, core, order,
role, codelist), ct.csv (codelist_code, codelist, codelist_name, extensible, term, term_code) and ts_parameters.csv
(tsparmcd, codelist_code: the codelist of TSVAL); rows sorted so a rebuild from the same inputs is byte-identical.
"""

from __future__ import annotations

import argparse
import csv
import pickle
from pathlib import Path

STANDARD_KEY = "sdtmig/3-4"

# The CDISC CT codelist of TSVAL for coded trial summary parameters (SDTM CT "... Response" codelists; FDA TCG
# Appendix B names them). Codes checked against the NCI EVS file: C66785 Control Type Response, ...
TS_VALUE_CODELISTS = {
    "ADAPT": "C66742", "ADDON": "C66742", "DOSFRM": "C66726", "DOSFRQ": "C71113", "DOSU": "C71620",
    "EXTTIND": "C66742", "HLTSUBJI": "C66742", "INTMODEL": "C99076", "INTTYPE": "C99078", "ONGOSIND": "C66742",
    "PDSTIND": "C66742", "RANDOM": "C66742", "RDIND": "C66742", "ROUTE": "C66729", "SEXPOP": "C66732",
    "STYPE": "C99077", "TBLIND": "C66735", "TCNTRL": "C66785", "TINDTP": "C66736", "TPHASE": "C66737",
    "TTYPE": "C66739",
}  # fmt: skip


def _load(folder: Path, name: str) -> dict:
    with (folder / f"{name}.pkl").open("rb") as handle:
        return pickle.load(handle)  # trusted local cache, plain dicts


def build_datasets(details: dict) -> list[dict[str, str]]:
    rows = []
    for klass in details["classes"]:
        for dataset in klass.get("datasets", []):
            rows.append(
                {
                    "dataset": dataset["name"],
                    "label": dataset.get("label", ""),
                    "class": klass["name"],
                    "structure": dataset.get("datasetStructure", ""),
                }
            )
    return sorted(rows, key=lambda r: r["dataset"])


def build_variables(metadata: dict, codelists: dict) -> list[dict[str, str]]:
    rows = []
    for dataset, variables in metadata.items():
        for name, meta in variables.items():
            codes = codelists.get(name) or codelists.get(name.replace("--", dataset)) or []
            rows.append(
                {
                    "dataset": dataset,
                    "variable": name,
                    "label": meta.get("label", ""),
                    "type": meta.get("simpleDatatype", ""),
                    "core": meta.get("core", ""),
                    "order": str(int(meta.get("ordinal", "0"))),
                    "role": meta.get("role", ""),
                    "codelist": ";".join(sorted(set(codes))),
                }
            )
    return sorted(rows, key=lambda r: (r["dataset"], int(r["order"]), r["variable"]))


def build_ct(ct_file: Path, wanted: set[str]) -> list[dict[str, str]]:
    heads: dict[str, dict[str, str]] = {}
    terms: list[dict[str, str]] = []
    with ct_file.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            parent = row["Codelist Code"]
            if not parent and row["Code"] in wanted:
                heads[row["Code"]] = row
            elif parent in wanted:
                terms.append(row)
    out = []
    for term in terms:
        head = heads[term["Codelist Code"]]
        out.append(
            {
                "codelist_code": head["Code"],
                "codelist": head["CDISC Submission Value"],
                "codelist_name": head["Codelist Name"],
                "extensible": head["Codelist Extensible (Yes/No)"],
                "term": term["CDISC Submission Value"],
                "term_code": term["Code"],
            }
        )
    return sorted(out, key=lambda r: (r["codelist_code"], r["term"]))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{path}: {len(rows)} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--core-cache", type=Path, required=True)
    parser.add_argument("--ct", type=Path, required=True, help="NCI EVS 'SDTM Terminology.txt'")
    parser.add_argument("--out", type=Path, default=Path("mappings/sdtmig-3.4"))
    args = parser.parse_args()
    metadata = _load(args.core_cache, "variables_metadata")[f"library_variables_metadata/{STANDARD_KEY}"]
    details = _load(args.core_cache, "standards_details")[f"standards/{STANDARD_KEY}"]
    codelists = _load(args.core_cache, "variable_codelist_maps")["sdtmig-3-4-codelists"]
    codelists = {k: v for k, v in codelists.items() if k != "name"}
    variables = build_variables(metadata, codelists)
    wanted = {code for row in variables for code in row["codelist"].split(";") if code}
    wanted |= set(TS_VALUE_CODELISTS.values())
    args.out.mkdir(parents=True, exist_ok=True)
    _write(args.out / "datasets.csv", build_datasets(details))
    _write(args.out / "variables.csv", variables)
    _write(args.out / "ct.csv", build_ct(args.ct, wanted))
    ts_rows = [{"tsparmcd": k, "codelist_code": v} for k, v in sorted(TS_VALUE_CODELISTS.items())]
    _write(args.out / "ts_parameters.csv", ts_rows)


if __name__ == "__main__":
    main()
