"""What the SDTM builders know about one subject before any domain is built: identifiers, arms (DM ARMCD/ACTARMCD
and their null reason), reference dates (DM RF--DTC) and the elements entered (SE). Made once per context by
`sdtm.reference_dates.derive_reference_dates`; plain data, no imports of the builders.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USUBJID = "{study}-{subject}"


@dataclass(frozen=True, slots=True)
class SubjectElement:
    etcd: str
    element: str
    epoch: str
    taetord: int
    start: str
    end: str | None


@dataclass(frozen=True, slots=True)
class SubjectReference:
    usubjid: str
    subject_id: str
    enrolled: bool
    arm_code: str | None  # ARMCD
    rficdtc: str | None
    rfxstdtc: str | None
    rfxendtc: str | None
    rfendtc: str | None
    rfpendtc: str | None
    dthdtc: str | None
    elements: tuple[SubjectElement, ...]
    actual_arm_code: str | None = None  # ACTARMCD
    arm_null_reason: str | None = None  # ARMNRS
    unplanned_arm: str | None = None  # ACTARMUD

    @property
    def rfstdtc(self) -> str | None:
        return self.rfxstdtc

    @property
    def treated(self) -> bool:
        return self.rfxstdtc is not None


def derive_usubjid(
    study_id: str, subject_id: str, *, site_id: str | None = None, template: str = DEFAULT_USUBJID
) -> str:
    """USUBJID from the definition's template (`subjects.usubjid`: {study}, {site}, {subject}); the default is
    STUDYID-SUBJID. A template naming {site} needs the subject's site (else the default form is used)."""
    if "{site}" in template and site_id is None:
        template = DEFAULT_USUBJID
    return template.format(study=study_id, site=site_id or "", subject=subject_id)
