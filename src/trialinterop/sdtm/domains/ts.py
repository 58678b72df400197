"""TS: one record per trial summary parameter value, in the order `definition.trial_design` gives them.

Values come from the study definition (coded there with CDISC CT); three parameters come from the records here:
SSTDTC = earliest consent of enrolled subjects, ACTSUB = number enrolled, SENDTC = the last subject's last contact
once the study is COMPLETED or TERMINATED (else null flavor UNK). TSSEQ numbers the values of one parameter 1..n.
TSVCDREF "CDISC CT" rows carry the pinned CT package date in TSVCDVER. A value longer than 200 bytes goes on in
TSVAL1..TSVALn (SDTMIG 3.4 TS assumption), cut at word boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from trialinterop.ct import CT_VERSION
from trialinterop.errors import SpecError
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.design import TsValue
from trialinterop.sdtm.domains.base import select
from trialinterop.sdtm.split_text import split_text
from trialinterop.source.models import TrialRecords

CDISC_CT = "CDISC CT"
UNKNOWN = "UNK"


def _record_values(records: TrialRecords, ctx: SdtmContext) -> dict[str, Callable[[], list[TsValue]]]:
    enrolled = [s for s in records.subjects if s.enrolled == "Y"]
    consents = [s.consent_date for s in enrolled if s.consent_date]
    return {
        "study_start": lambda: [_value_or_unknown(min(consents, default=None))],
        "study_end": lambda: _study_end(records, ctx),
        "enrolled_subjects": lambda: [TsValue(val=str(len(enrolled)))],
    }


def _value_or_unknown(value: str | None) -> TsValue:
    return TsValue(val=value) if value else TsValue(valnf=UNKNOWN)


def _study_end(records: TrialRecords, ctx: SdtmContext) -> list[TsValue]:
    """Last subject's last contact once the study is over; a null flavor while it is ongoing."""
    if records.definition.study.status in ("COMPLETED", "TERMINATED"):
        dates = [r.rfpendtc for r in ctx.subjects.values() if r.rfpendtc]
        if dates:
            return [TsValue(val=max(dates))]
    return [TsValue(valnf=UNKNOWN)]


def build_ts(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    derivations = _record_values(records, ctx)
    continuations = [v for v in ctx.variable_names("TS") if re.fullmatch(r"TSVAL\d+", v)]  # TSVAL1..n
    rows = []
    for parameter in ctx.design.ts:
        values = derivations[parameter.derive]() if parameter.derive else list(parameter.values)
        for seq, value in enumerate(values, start=1):
            vcdver = value.vcdver or (CT_VERSION if value.vcdref == CDISC_CT else None)
            pieces = split_text(value.val) if value.val else [value.val]
            if len(pieces) > 1 + len(continuations):
                raise SpecError(f"TS {parameter.parmcd}: value longer than {1 + len(continuations)} x 200 bytes")
            rows.append(
                {
                    "TSSEQ": seq,
                    "TSGRPID": value.grpid,
                    "TSPARMCD": parameter.parmcd,
                    "TSPARM": parameter.parm,
                    "TSVAL": pieces[0],
                    **dict(zip(continuations, pieces[1:], strict=False)),
                    "TSVALNF": value.valnf,
                    "TSVALCD": value.valcd,
                    "TSVCDREF": value.vcdref,
                    "TSVCDVER": vcdver,
                }
            )
    frame = pd.DataFrame(rows, dtype=object)
    frame.insert(0, "DOMAIN", "TS")
    frame.insert(0, "STUDYID", ctx.study_id)
    frame["TSSEQ"] = pd.array(frame["TSSEQ"].tolist(), dtype="Int64")
    return select(frame, ctx.variable_names("TS"))
