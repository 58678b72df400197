"""Comparing records that went through FHIR: findings in one canonical order on both sides (the records folder keeps
its file order, the generator its own), the order FHIR -> records gives them: subject, instrument (definition order),
visit, time point, test (definition order)."""

from __future__ import annotations

import dataclasses

from trialinterop.source.models import TrialRecords


def canonical(records: TrialRecords) -> TrialRecords:
    """`records` with its findings in the canonical order."""
    instruments = records.definition.instruments
    rank = {(i.code, t.testcd): (n, k) for n, i in enumerate(instruments) for k, t in enumerate(i.tests)}
    findings = sorted(
        records.findings,
        key=lambda f: (f.subject_id, rank[(f.instrument, f.testcd)][0], f.visit_num, f.timepoint or "",
                       rank[(f.instrument, f.testcd)][1]),
    )  # fmt: skip
    return dataclasses.replace(records, findings=tuple(findings))
