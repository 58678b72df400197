"""The frozen context every domain builder receives: study, terminology, design, per-subject reference dates.

Built once from the records (`build_context`); builders read it, nothing writes to it. Reference dates and the
subject's element windows (SE) are computed here because DM, SE, EPOCH and every --DY depend on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from trialinterop.ct import Terminology
from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.sdtm.derive import SubjectReference, derive_reference_dates, derive_usubjid
from trialinterop.sdtm.design import TrialDesign
from trialinterop.sdtm.subject_table import SubjectTable, build_subject_table
from trialinterop.source.models import Study, TrialRecords


@dataclass(frozen=True)
class SdtmContext:
    study: Study
    terminology: Terminology
    design: TrialDesign
    subjects: Mapping[str, SubjectReference]  # USUBJID -> reference dates and elements, in subject order
    visit_dates: Mapping[tuple[str, float], str]  # (USUBJID, VISITNUM) -> date of a visit that took place
    table: SubjectTable  # the same reference dates and elements as arrays, for the column derivations

    @property
    def study_id(self) -> str:
        return self.study.study_id

    def usubjid(self, subject_id: str) -> str:
        return derive_usubjid(self.study.study_id, subject_id)

    def reference(self, usubjid: str) -> SubjectReference | None:
        return self.subjects.get(usubjid)

    def visit_date(self, usubjid: str, visit_num: float | None) -> str | None:
        if visit_num is None or visit_num != visit_num:  # None or NaN
            return None
        return self.visit_dates.get((usubjid, float(visit_num)))


def build_context(records: TrialRecords, terminology: Terminology, design: TrialDesign) -> SdtmContext:
    """InputError when an arm of the study has no planned elements in mappings/trial_design.yaml (TA, SE and EPOCH
    could not be derived)."""
    require_designed_arms(records.study, design)
    references = derive_reference_dates(records, design)
    return SdtmContext(
        study=records.study,
        terminology=terminology,
        design=design,
        subjects=MappingProxyType({r.usubjid: r for r in references}),
        table=build_subject_table(references),
        visit_dates=MappingProxyType(
            {
                (derive_usubjid(records.study.study_id, v.subject_id), float(v.visit_num)): v.visit_date
                for v in records.visits
                if v.occurred == "Y" and v.visit_date
            }
        ),
    )


def require_designed_arms(study: Study, design: TrialDesign) -> None:
    unknown = [(i, arm.code) for i, arm in enumerate(study.arms) if arm.code not in design.arms]
    if unknown:
        known = ", ".join(design.arms) or "none"
        issues = [
            Issue("INPUT", Severity.ERROR, f"arm has no planned elements in mappings/trial_design.yaml (arms there: "
                  f"{known})", where="study.json", key=f"arms/{i}", field="code", value=code)
            for i, code in unknown
        ]  # fmt: skip
        raise InputError(issues, summary="the study's arms do not match the trial design")
