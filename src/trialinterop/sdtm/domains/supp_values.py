"""SUPP-- rows from `records.supplemental` (values the input gave that no variable of the parent domain holds, e.g.
an AE's non-MedDRA code read from FHIR: fhir_in.supplemental), appended to the SUPP-- dataset the domain's builder
made.

Each value qualifies the parent record with the same subject and record number (--SPID as the parent builder writes
it); IDVAR/IDVARVAL are the parent's --SEQ, as for the builder's own qualifiers. QLABEL and QORIG are the QNAM's
value-level metadata (mappings/value_level.csv). Rows are ordered by USUBJID, --SEQ, then QNAM with the builder's
own qualifiers first.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.domains.base import select, supp_qualifier
from trialinterop.source.models import TrialRecords


def with_supplemental_values(
    supp: pd.DataFrame,
    records: TrialRecords,
    ctx: SdtmContext,
    *,
    parent: pd.DataFrame,
    domain: str,
    spids: Mapping[tuple[str, int], str],
) -> pd.DataFrame:
    """`supp` (SUPP`domain`) with the records' supplemental values of `domain`; `spids`: (subject id, record number)
    -> the --SPID the parent builder wrote for that record."""
    values = [v for v in records.supplemental if v.rdomain == domain]
    if not values or parent.empty:
        return supp
    seq = {
        (usubjid, spid): str(int(number))
        for usubjid, spid, number in zip(
            parent["USUBJID"], parent[f"{domain}SPID"], parent[f"{domain}SEQ"], strict=True
        )
    }
    name = f"SUPP{domain}"
    rows = []
    for value in values:
        usubjid = ctx.usubjid(value.subject_id)
        number = seq.get((usubjid, spids.get((value.subject_id, value.record), str(value.record))))
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
