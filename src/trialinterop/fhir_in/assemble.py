"""Join the subject parts (fhir_in.subjects.map_subject) into the trial's records, its warnings, problems and coverage.

`Assembly.add(part)` may be called in any order; `records()` sorts every table the same way whatever the order the
parts came in, so the output does not depend on how the groups were scheduled. Warnings and problems are condensed
per kind (`condense`): the first few of each kind are listed and the rest counted.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace

from trialinterop.definition import StudyDefinition
from trialinterop.fhir_in.coverage import Coverage
from trialinterop.fhir_in.load import Located
from trialinterop.fhir_in.subjects import SubjectPart
from trialinterop.fhir_in.to_records import SubjectRecords, meddra_levels_warning
from trialinterop.fhir_in.unmapped import Unmapped
from trialinterop.issues import Issue
from trialinterop.source import models as m

SHOWN_PER_KIND = 5
_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?")


def condense(issues: Iterable[Issue], keep: int = SHOWN_PER_KIND) -> list[Issue]:
    """Issues without repeats; of each kind (severity, rule, element and message with its quoted values and numbers
    blanked) the first `keep`, then one issue counting the rest."""
    kinds: dict[tuple[object, ...], list[Issue]] = defaultdict(list)
    for issue in dict.fromkeys(issues):
        kinds[(issue.severity, issue.rule, issue.field, _VALUES.sub("_", issue.message))].append(issue)
    found = []
    for items in kinds.values():
        found.extend(items[:keep])
        if len(items) > keep:
            more = len(items) - keep
            message = f"{more} more like the {keep} above ({len(items)} of this kind in all)"
            found.append(replace(items[0], message=message, where="", key="", value=""))  # same id, element
    return found


class Assembly:
    def __init__(self, definition: StudyDefinition) -> None:
        self.definition = definition
        self.parts = SubjectRecords()
        self.warnings: list[Issue] = []
        self.errors: list[Issue] = []
        self.unmapped = Unmapped()
        self.coverage = Coverage()

    def add(self, part: SubjectPart) -> None:
        records = part.records
        for name in ("subjects", "exposures", "adverse_events", "findings", "visits", "dispositions", "eligibility",
                     "medications", "medical_history", "procedures", "supplemental", "unplanned_elements",
                     "bare_meddra"):  # fmt: skip
            getattr(self.parts, name).extend(getattr(records, name))
        self.warnings.extend(part.warnings)
        self.errors.extend(part.errors)
        for key, items in part.unmapped.found.items():
            self.unmapped.found.setdefault(key, []).extend(items)
        self.coverage.add(part.coverage)

    def add_unmapped(self, items: Iterable[Located], reason: str) -> None:
        """Resources no subject group can hold (e.g. an Observation naming no Patient): not mapped, with `reason`."""
        for item in items:
            self.unmapped.add_reason(item, reason, "patient" if item.type == "Consent" else "subject")

    def all_warnings(self) -> list[Issue]:
        bare = meddra_levels_warning(self.parts.bare_meddra)
        return condense([*self.warnings, *([bare] if bare else [])])

    def records(self) -> m.TrialRecords:
        parts = self.parts
        return m.TrialRecords(
            definition=self.definition,
            subjects=tuple(sorted(parts.subjects, key=lambda r: r.subject_id)),
            exposures=tuple(sorted(parts.exposures, key=lambda r: (r.subject_id, r.start, r.treatment))),
            adverse_events=tuple(sorted(parts.adverse_events, key=lambda r: (r.subject_id, r.ae_id))),
            findings=tuple(sorted(parts.findings, key=finding_order(self.definition))),
            visits=tuple(sorted(parts.visits, key=lambda r: (r.subject_id, r.visit_num))),
            dispositions=tuple(sorted(parts.dispositions, key=lambda r: (r.subject_id, r.event))),
            eligibility=tuple(sorted(parts.eligibility, key=lambda r: (r.subject_id, r.criterion_id))),
            medications=tuple(sorted(parts.medications, key=lambda r: (r.subject_id, r.cm_id))),
            medical_history=tuple(sorted(parts.medical_history, key=lambda r: (r.subject_id, r.mh_id))),
            procedures=tuple(sorted(parts.procedures, key=lambda r: (r.subject_id, r.pr_id))),
            supplemental=tuple(sorted(parts.supplemental, key=lambda r: (r.rdomain, r.subject_id, r.record, r.qnam))),
            unplanned_elements=tuple(sorted(parts.unplanned_elements, key=lambda r: (r.subject_id, r.start))),
        )


def finding_order(definition: StudyDefinition) -> Callable[[m.Finding], tuple[str, int, float, str, int]]:
    """Subject, then instrument in definition order, visit, time point and test in definition order."""
    rank = {(i.code, t.testcd): (n, k) for n, i in enumerate(definition.instruments) for k, t in enumerate(i.tests)}

    def key(row: m.Finding) -> tuple[str, int, float, str, int]:
        instrument, test = rank[(row.instrument, row.testcd)]
        visit = row.visit_num if row.visit_num == row.visit_num else math.inf  # no visit (NaN): last
        return (row.subject_id, instrument, visit, row.timepoint or "", test)

    return key
