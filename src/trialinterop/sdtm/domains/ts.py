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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class TrialCounts:
    """What TS takes of the records: the earliest consent of an enrolled subject, the number enrolled and the last
    subject's last contact (RFPENDTC). Counts of parts of a trial `merge` into the whole trial's."""

    first_consent: str | None = None
    enrolled: int = 0
    last_contact: str | None = None

    def merge(self, other: TrialCounts) -> TrialCounts:
        return TrialCounts(
            min(filter(None, (self.first_consent, other.first_consent)), default=None),
            self.enrolled + other.enrolled,
            max(filter(None, (self.last_contact, other.last_contact)), default=None),
        )


def trial_counts(records: TrialRecords, ctx: SdtmContext) -> TrialCounts:
    """The records' `TrialCounts` (RFPENDTC from the context's reference dates)."""
    enrolled = [s for s in records.subjects if s.enrolled == "Y"]
    consents = [s.consent_date for s in enrolled if s.consent_date]
    contacts = [r.rfpendtc for r in ctx.subjects.values() if r.rfpendtc]
    return TrialCounts(min(consents, default=None), len(enrolled), max(contacts, default=None))


def _record_values(records: TrialRecords, counts: TrialCounts) -> dict[str, Callable[[], list[TsValue]]]:
    return {
        "study_start": lambda: [_value_or_unknown(counts.first_consent)],
        "study_end": lambda: _study_end(records, counts),
        "enrolled_subjects": lambda: [TsValue(val=str(counts.enrolled))],
    }


def _value_or_unknown(value: str | None) -> TsValue:
    return TsValue(val=value) if value else TsValue(valnf=UNKNOWN)


def _study_end(records: TrialRecords, counts: TrialCounts) -> list[TsValue]:
    """Last subject's last contact once the study is over; a null flavor while it is ongoing."""
    if records.definition.study.status in ("COMPLETED", "TERMINATED") and counts.last_contact:
        return [TsValue(val=counts.last_contact)]
    return [TsValue(valnf=UNKNOWN)]


def build_ts(records: TrialRecords, ctx: SdtmContext, *, counts: TrialCounts | None = None) -> pd.DataFrame:
    """`counts`: the trial's `TrialCounts` when `records` does not hold its subjects (default: counted here)."""
    derivations = _record_values(records, counts if counts is not None else trial_counts(records, ctx))
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
