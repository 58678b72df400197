"""DM arms of one subject: ARMCD (assigned), ACTARMCD (actual) and, when either is null, ARMNRS (CDISC CT ARMNULRS,
C142179) with ACTARMUD for an unplanned treatment (SDTMIG 3.4 DM assumption 4).

- Not enrolled: SCREEN FAILURE, no arm.
- Assigned arm: `Subject.arm`; in a one-arm study an enrolled subject without one is in that arm; in a multi-arm
  study none means NOT ASSIGNED.
- Actual arm: `Subject.actual_arm` when collected; else the assigned arm when the subject received any of that arm's
  interventions; else UNPLANNED TREATMENT (ACTARMUD: what was received, and which arm treatment it lacked) when the
  subject received any intervention, else ASSIGNED, NOT TREATED (or NOT ASSIGNED when there is no assigned arm).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from trialinterop.definition.model import StudyDefinition
from trialinterop.source.models import Subject

SCREEN_FAILURE = "SCREEN FAILURE"
NOT_ASSIGNED = "NOT ASSIGNED"
NOT_TREATED = "ASSIGNED, NOT TREATED"
UNPLANNED_TREATMENT = "UNPLANNED TREATMENT"


@dataclass(frozen=True, slots=True)
class SubjectArms:
    armcd: str | None
    actarmcd: str | None
    armnrs: str | None = None
    actarmud: str | None = None

    @property
    def followed(self) -> str | None:
        """The arm whose elements the subject went through (SE): the actual arm, else the assigned one."""
        return self.actarmcd or self.armcd


def compute_subject_arms(subject: Subject, definition: StudyDefinition, received: Set[str]) -> SubjectArms:
    """`received`: the EXTRT values of the subject's administrations."""
    if subject.enrolled != "Y":
        return SubjectArms(None, None, SCREEN_FAILURE)
    assigned = subject.arm
    if assigned is None and len(definition.arms) == 1:
        assigned = definition.arms[0].code
    if subject.actual_arm is not None:
        return SubjectArms(assigned, subject.actual_arm, None if assigned else NOT_ASSIGNED)
    arm = definition.arm(assigned) if assigned else None
    planned = {i.treatment for code in (arm.interventions if arm else ()) if (i := definition.intervention(code))}
    if arm is not None and received & planned:
        return SubjectArms(assigned, assigned)
    if received:
        description = " AND ".join(sorted(received))
        if planned:
            description += " WITHOUT " + " OR ".join(sorted(planned))
        return SubjectArms(assigned, None, UNPLANNED_TREATMENT, description)
    return SubjectArms(assigned, None, NOT_TREATED if assigned else NOT_ASSIGNED)
