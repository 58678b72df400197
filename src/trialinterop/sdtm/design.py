"""The trial design in the form the SDTM builders read: TE elements with the subject event that opens each, the
element order of each arm (TA) and the TS parameters. Made from a study definition by
`definition.trial_design.trial_design`; nothing here is a trial fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from trialinterop.errors import SpecError

ELEMENT_EVENTS = (
    "consent", "first_dose", "day_after_first_dose", "last_dose", "day_after_last_dose", "visit", "disposition",
)  # fmt: skip
"""Subject events that open an element in SE (docs/study-definition.md, `starts_at.event`)."""

TS_RECORD_DERIVATIONS = frozenset({"study_start", "study_end", "enrolled_subjects"})
"""TS parameters whose values come from the records, not the definition (computed by the TS builder)."""


@dataclass(frozen=True, slots=True)
class Element:
    """One TE row; `event` opens it in SE, `treatment` (EXTRT) for a dose event, `visit` (VISITNUM) for a visit."""

    etcd: str
    element: str
    testrl: str
    teenrl: str | None
    tedur: str | None
    epoch: str
    event: str
    treatment: str | None = None
    visit: float | None = None


@dataclass(frozen=True, slots=True)
class TsValue:
    val: str | None = None
    valcd: str | None = None
    vcdref: str | None = None
    vcdver: str | None = None
    valnf: str | None = None
    grpid: str | None = None


@dataclass(frozen=True, slots=True)
class TsParameter:
    """Values known from the definition, or `derive`: one of TS_RECORD_DERIVATIONS."""

    parmcd: str
    parm: str
    values: tuple[TsValue, ...] = ()
    derive: str | None = None


@dataclass(frozen=True)
class TrialDesign:
    elements: tuple[Element, ...]
    arms: MappingProxyType  # arm code -> tuple of element codes in planned order
    ts: tuple[TsParameter, ...]

    def element(self, etcd: str) -> Element:
        for element in self.elements:
            if element.etcd == etcd:
                return element
        raise SpecError(f"element {etcd!r} is not defined in the study definition")
