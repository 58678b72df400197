"""Compare two SDTM packages (XPT v5 or Dataset-JSON): datasets, variables (type, length, label) and values keyed
by each dataset's natural keys. `trialinterop compare-sdtm A B` is the command; this is the Python API:

    from trialinterop.compare import compare_packages

    result = compare_packages(
        "out/a", "out/b",              # package folders (or single dataset files)
        keys={"AE": ["USUBJID", "AETERM", "AESTDTC"]},  # override the natural keys of some datasets
        ignore=["--SEQ", "EPOCH"],     # variables left out; "--SEQ" means AESEQ, LBSEQ... (any domain prefix)
        datasets=["DM", "AE"],         # only these (default: all)
        tolerance=0.0,                 # relative tolerance for numeric values (0: exact)
        combine_splits=False,          # True: LBCH+LBHE+LBUR -> LB (and SUPPLBxx -> SUPPLB) on both sides
        supp_by_parent=False,          # True: SUPP-- pair through their parent record's keys, not IDVARVAL
    )
    result.identical                   # no difference of any kind
    result.datasets_only_a, result.datasets_only_b
    ds = result.datasets["AE"]         # DatasetComparison
    ds.keys, ds.rows_a, ds.rows_b, ds.matched, ds.only_a, ds.only_b   # UnmatchedRow lists
    ds.values_compared, ds.values_equal, ds.values_different, ds.values_unpaired  # unpaired: in one-side records
    ds.counts["AESEV"]                 # VariableCounts(variable, compared, equal, different)
    ds.attributes                      # AttributeDifference(dataset, variable, attribute, a, b)
    ds.duplicates                      # DuplicateKeys per side (records paired by order within a key group)
    list(result.differences())         # ValueDifference(dataset, key, occurrence, variable, a, b, row_a, row_b)

`compare_datasets(a, b, ...)` takes datasets already read (name -> `validate.package.Dataset`). Unreadable input
raises `errors.InputError` naming the file. Natural keys: `compare.keys` and `mappings/natural_keys.csv`; pairing
and equality rules: `compare.values`. SUPP-- through parents: `compare.supp`. Reports: `compare.console`,
`compare.json_report`, `compare.html_report`.
"""

from trialinterop.compare.api import compare_datasets, compare_packages
from trialinterop.compare.model import (
    AttributeDifference,
    DatasetComparison,
    DuplicateKeys,
    PackageComparison,
    UnmatchedRow,
    ValueDifference,
    VariableCounts,
)

__all__ = [
    "AttributeDifference",
    "DatasetComparison",
    "DuplicateKeys",
    "PackageComparison",
    "UnmatchedRow",
    "ValueDifference",
    "VariableCounts",
    "compare_datasets",
    "compare_packages",
]
