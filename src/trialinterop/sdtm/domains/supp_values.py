"""SUPP-- rows from `records.supplemental` (values the input gave that no variable of the parent domain holds, e.g. an
AE's non-MedDRA code or a route read from FHIR: fhir_in.supplemental), appended to the SUPP-- dataset the domain's
builder made (SUPPCM and SUPPEX hold only these).

Each value qualifies the parent record with the same subject and record number (`seqs`: the parent's --SEQ of each;
`seqs_by_spid` finds it through --SPID as the parent builder writes it, for AE and CM; EX numbers a subject's exposures
in records order, ex.exposure_seqs); IDVAR/IDVARVAL are the parent's --SEQ, as for the builder's own qualifiers. QLABEL
and QORIG are the QNAM's value-level metadata (mappings/value_level.csv). Rows are ordered by USUBJID, --SEQ, then QNAM
with the builder's own qualifiers first.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.domains.base import select, supp_qualifier
from trialinterop.source.models import TrialRecords


def has_supplemental_values(records: TrialRecords, domain: str) -> bool:
    return any(v.rdomain == domain for v in records.supplemental)


def seqs_by_spid(
    parent: pd.DataFrame, domain: str, spids: Mapping[tuple[str, int], str], ctx: SdtmContext
) -> dict[tuple[str, int], str]:
    """(subject id, record number) -> --SEQ of the parent record, found through `spids` ((subject id, record number)
    -> the --SPID the parent builder wrote for that record)."""
    if parent.empty:
        return {}
    seq = {
        (usubjid, spid): str(int(number))
        for usubjid, spid, number in zip(
            parent["USUBJID"], parent[f"{domain}SPID"], parent[f"{domain}SEQ"], strict=True
        )
    }
    found = {}
    for (subject_id, record), spid in spids.items():
        number = seq.get((ctx.usubjid(subject_id), spid))
        if number is not None:
            found[(subject_id, record)] = number
    return found


def with_supplemental_values(
    supp: pd.DataFrame,
    records: TrialRecords,
    ctx: SdtmContext,
    *,
    domain: str,
    seqs: Mapping[tuple[str, int], str],
) -> pd.DataFrame:
    """`supp` (SUPP`domain`) with the records' supplemental values of `domain`; `seqs`: (subject id, record number)
    -> the parent record's --SEQ."""
    values = [v for v in records.supplemental if v.rdomain == domain]
    if not values:
        return supp
    name = f"SUPP{domain}"
    rows = []
    for value in values:
        usubjid = ctx.usubjid(value.subject_id)
        number = seqs.get((value.subject_id, value.record))
        if number is None:
            continue  # no parent record: nothing to qualify
        rows.append(
            {
                "STUDYID": ctx.study_id,
                "RDOMAIN": domain,
                "USUBJID": usubjid,
                "IDVAR": f"{domain}SEQ",
                "IDVARVAL": number,
                "QNAM": value.qnam,
                "QVAL": value.qval,
                **supp_qualifier(ctx, name, value.qnam),
                "QEVAL": None,
            }
        )
    if not rows:
        return supp
    added = pd.DataFrame(rows, dtype=object)
    joined = pd.concat([supp.astype(object), added], ignore_index=True) if not supp.empty else added
    joined["_order"] = range(len(joined))
    joined["_seq"] = pd.to_numeric(joined["IDVARVAL"], errors="coerce")
    joined = joined.sort_values(["USUBJID", "_seq", "_order"], kind="stable")
    return select(joined.reset_index(drop=True).astype(object), ctx.variable_names(name))
