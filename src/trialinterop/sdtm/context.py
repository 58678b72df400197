"""The frozen context every domain builder receives: study, definition, terminology, specification, design,
per-subject reference dates.

Built once from the records (`build_context`); builders read it, nothing writes to it. The design comes from the
records' study definition; each dataset's variables, their codelists and the SUPP-- qualifier labels come from the
specification (`mappings/`), so the builders do not repeat them. Reference dates, arms and the subject's element
windows (SE) are computed here because DM, SE, EPOCH and every --DY depend on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from trialinterop.ct import Terminology
from trialinterop.definition.model import StudyDefinition
from trialinterop.definition.trial_design import trial_design
from trialinterop.errors import SpecError
from trialinterop.sdtm.design import TrialDesign
from trialinterop.sdtm.reference_dates import derive_reference_dates
from trialinterop.sdtm.subject_reference import SubjectReference, derive_usubjid
from trialinterop.sdtm.subject_table import SubjectTable, build_subject_table
from trialinterop.source.models import Study, TrialRecords
from trialinterop.spec import Spec, ValueLevelSpec, load_spec


@dataclass(frozen=True)
class SdtmContext:
    study: Study
    terminology: Terminology
    spec: Spec  # the datasets' variables (in order), their codelists and value-level metadata
    design: TrialDesign
    subjects: Mapping[str, SubjectReference]  # USUBJID -> reference dates and elements, in subject order
    visit_dates: Mapping[tuple[str, float], str]  # (USUBJID, VISITNUM) -> date of a visit that took place
    table: SubjectTable  # the same reference dates and elements as arrays, for the column derivations
    definition: StudyDefinition | None = None  # always set by build_context; tests may build a context without
    usubjids: Mapping[str, str] = field(default_factory=dict)  # SUBJID -> USUBJID of every subject of the records
    spid_domains: frozenset[str] | None = None
    """The domains (AE, CM, MH) in which a record of the whole trial has a sponsor id, when the records are some
    subjects of a trial (Spark's executors build the datasets in ranges of subjects); None: the records are the
    whole trial, and say it themselves."""

    @property
    def study_id(self) -> str:
        return self.study.study_id

    def usubjid(self, subject_id: str) -> str:
        """USUBJID of a subject (the definition's template; STUDYID-SUBJID for an id the records do not list)."""
        found = self.usubjids.get(subject_id)
        return found if found is not None else derive_usubjid(self.study.study_id, subject_id)

    def sponsor_ids_given(self, domain: str, here: bool) -> bool:
        """Whether --SPID holds the records' sponsor ids in `domain` (else the record numbers): `here`, whether some
        of these records have one, unless the context knows it of the whole trial (`spid_domains`)."""
        return here if self.spid_domains is None else domain in self.spid_domains

    def require_definition(self) -> StudyDefinition:
        if self.definition is None:
            raise ValueError("this SDTM context was built without a study definition")
        return self.definition

    def variable_names(self, dataset: str) -> tuple[str, ...]:
        """The dataset's variables in the specification's order."""
        return tuple(v.name for v in self.spec.variables(dataset))

    def codelist_of(self, dataset: str, variable: str) -> str:
        """The codelist the specification gives `dataset`.`variable` (SpecError when it gives none)."""
        codelist = self.spec.variable(dataset, variable).codelist
        if not codelist:
            raise SpecError(f"variable {dataset}.{variable} has no codelist in mappings/variables.csv")
        return codelist

    def value_codelist(self, dataset: str, variable: str, where_value: str) -> str:
        """The codelist of `dataset`.`variable`'s value-level entry for `where_value` (SpecError when none)."""
        entry = self.value_level(dataset, variable, where_value)
        if entry is None or not entry.codelist:
            raise SpecError(f"{dataset}.{variable} where {where_value}: no codelist in the value-level metadata")
        return entry.codelist

    def value_level(self, dataset: str, variable: str, where_value: str) -> ValueLevelSpec | None:
        """The value-level entry of `dataset`.`variable` whose where-clause lists `where_value` (e.g. a SUPP-- QVAL
        by QNAM: its label is the QLABEL, its origin the QORIG), or None."""
        for entry in self.spec.value_level(dataset, variable):
            if where_value in entry.where_values:
                return entry
        return None

    def reference(self, usubjid: str) -> SubjectReference | None:
        return self.subjects.get(usubjid)

    def visit_date(self, usubjid: str, visit_num: float | None) -> str | None:
        if visit_num is None or visit_num != visit_num:  # None or NaN
            return None
        return self.visit_dates.get((usubjid, float(visit_num)))


def build_context(
    records: TrialRecords,
    terminology: Terminology,
    *,
    spec: Spec | None = None,
    contacts: Mapping[str, str] | None = None,
    spid_domains: frozenset[str] | None = None,
) -> SdtmContext:
    """`spec` defaults to the bundled specification for the records' definition; `contacts`: further last-contact
    dates per subject id (the findings' latest dates when the findings are not in `records`); `spid_domains`: see
    `SdtmContext.spid_domains`."""
    design = trial_design(records.definition)
    references = derive_reference_dates(records, design, contacts=contacts)
    usubjids = {r.subject_id: r.usubjid for r in references}
    study_id = records.study.study_id
    return SdtmContext(
        study=records.study,
        definition=records.definition,
        terminology=terminology,
        spec=spec or load_spec(definition=records.definition),
        design=design,
        subjects=MappingProxyType({r.usubjid: r for r in references}),
        usubjids=MappingProxyType(usubjids),
        spid_domains=spid_domains,
        table=build_subject_table(references),
        visit_dates=MappingProxyType(
            {
                (usubjids.get(v.subject_id) or derive_usubjid(study_id, v.subject_id), float(v.visit_num)): v.visit_date
                for v in records.visits
                if v.occurred == "Y" and v.visit_date
            }
        ),
    )
