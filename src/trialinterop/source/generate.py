"""Synthetic but realistic records for any study definition, for tests, demos and benchmarks.

Deterministic: every draw comes from one `random.Random(seed)`, never the clock. Each subject first gets a *plan*
(site, consent date, arm, subject attributes, screen failure, fate, special features), then rows are derived from the
plan and the definition: visits from its schedule (planned day + window jitter, arm-specific visits for their arm
only), exposures from the arm's elements and interventions (`given_when` honoured, one row per dosing period for
daily dosing, `preceded_by_date` when the intervention needs a procedure first), findings for every instrument a
visit lists (results within each test's range, totals sometimes collected and sometimes left to be derived), adverse
events, concomitant medications, medical history and dispositions.

So that small sets (20 subjects) still exercise every branch the converters must handle, minimum counts of the rare
situations (screen failures, death, withdrawals, missed and unplanned visits, assessments and single tests not done,
serious/partial-date/uncoded AEs, subjects meeting each `given_when`) are forced onto deterministically chosen
subjects once the trial has at least 10 subjects.

Decisions: day 1 is the first dose; a visit without a planned day is a screening visit when it comes before the
first dosed visit and is otherwise conditional (not generated), as is a visit planned on the same day as a lower
numbered one of the same arm (an alternative, e.g. a retrieval visit). An element opened by a visit that names no
intervention changes the arm's treatment: it gives the arm's intervention the previous element did not.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from trialinterop.definition.model import Arm, FindingTest, Instrument, Intervention, PlannedVisit, StudyDefinition
from trialinterop.iso8601 import compare_dtc
from trialinterop.source import generate_catalog as c
from trialinterop.source import models as m
from trialinterop.source.generate_ids import SubjectIds

MAX_AES = 6  # per treated subject, forced ones included
DEFAULT_START = date(2021, 9, 1)
FEATURE_RATES = {
    "missed_visit": 0.12,
    "unplanned_visit": 0.08,
    "test_not_done": 0.05,
    "serious_ae": 0.1,
    "partial_ae": 0.12,
    "uncoded_ae": 0.1,
}
FEATURE_MINIMUM = {
    "missed_visit": 2,
    "unplanned_visit": 1,
    "test_not_done": 1,
    "serious_ae": 2,
    "partial_ae": 2,
    "uncoded_ae": 1,
}
NOT_DONE_RATE = 0.05  # per subject and instrument: one whole assessment not done
_INTERVALS = {"QOD": 2, "QW": 7, "Q2W": 14, "Q3W": 21, "Q4W": 28, "QM": 30}
_DURATION = re.compile(r"^P(\d+)([DWMY])$")
_DAYS = {"D": 1, "W": 7, "M": 30, "Y": 365}


def generate_records(definition: StudyDefinition, *, subjects: int, seed: int) -> m.TrialRecords:
    """`subjects` synthetic subjects for `definition`; identical output for identical (definition, subjects, seed)."""
    if subjects < 1:
        raise ValueError("subjects must be at least 1")
    rng = random.Random(seed)
    trial = _Trial.of(definition, subjects)
    rows = _Rows()
    for plan in _plan_subjects(trial, subjects, rng):
        _SubjectBuilder(trial, plan, rng, rows).build()
    return m.TrialRecords(
        definition=definition,
        subjects=tuple(sorted(rows.subjects, key=lambda r: r.subject_id)),
        exposures=tuple(sorted(rows.exposures, key=lambda r: (r.subject_id, r.start, r.treatment))),
        adverse_events=tuple(sorted(rows.adverse_events, key=lambda r: (r.subject_id, r.ae_id))),
        findings=tuple(sorted(rows.findings, key=finding_order(definition))),
        visits=tuple(sorted(rows.visits, key=lambda r: (r.subject_id, r.visit_num))),
        dispositions=tuple(sorted(rows.dispositions, key=lambda r: (r.subject_id, r.event))),
        eligibility=tuple(sorted(rows.eligibility, key=lambda r: (r.subject_id, r.criterion_id))),
        medications=tuple(sorted(rows.medications, key=lambda r: (r.subject_id, r.cm_id))),
        medical_history=tuple(sorted(rows.medical_history, key=lambda r: (r.subject_id, r.mh_id))),
    )


generate_trial = generate_records  # the earlier name


def finding_order(definition: StudyDefinition):
    """Sort key of findings: instrument (definition order), subject, visit, timepoint, test (definition order)."""
    instruments = {i.code: n for n, i in enumerate(definition.instruments)}
    tests = {(i.code, t.testcd): n for i in definition.instruments for n, t in enumerate(i.tests)}

    def key(f: m.Finding) -> tuple:
        return (instruments.get(f.instrument, -1), f.subject_id, f.visit_num, f.timepoint or "",
                tests.get((f.instrument, f.testcd), -1))  # fmt: skip

    return key


# --- the trial: what every subject's rows are derived from -------------------------------------------------------


def duration_days(text: str | None) -> int | None:
    """ISO 8601 `PnD`/`PnW`/`PnM`/`PnY` in days (a month as 30, a year as 365); None for anything else."""
    match = _DURATION.match(text or "")
    return int(match[1]) * _DAYS[match[2]] if match else None


def _years(text: str | None) -> int | None:
    match = _DURATION.match(text or "")
    return int(match[1]) if match and match[2] == "Y" else None


@dataclass(frozen=True)
class _Trial:
    definition: StudyDefinition
    first_consent: date
    last_consent: date
    cutoff: date
    schedule_days: int
    visits: dict[str, tuple[PlannedVisit, ...]]  # by arm code: the visits a subject of that arm is planned to have
    screening: tuple[PlannedVisit, ...]  # visits without a planned day before dosing (at the screening date)

    @classmethod
    def of(cls, definition: StudyDefinition, subjects: int) -> _Trial:
        facts = definition.study
        start = date.fromisoformat(facts.start_date) if facts.start_date else DEFAULT_START
        first = start + timedelta(days=14)
        days = [v.planned_day for v in definition.visits.planned if v.planned_day is not None]
        schedule = max([d for d in days if d > 0] + [1])
        if facts.data_cutoff_date:
            cutoff = date.fromisoformat(facts.data_cutoff_date)
            span = max(30, min(1200, (cutoff - first).days - 120))
        else:
            span = 730 if subjects > 50 else 365
            cutoff = first + timedelta(days=span + schedule + 120)
        dosed = [v.number for v in definition.visits.planned if v.planned_day is not None and v.planned_day >= 1]
        first_dosed = min(dosed, default=float("inf"))
        screening = tuple(v for v in definition.visits.planned if v.planned_day is None and v.number < first_dosed)
        visits = {arm.code: _arm_visits(definition, arm) for arm in definition.arms}
        return cls(definition, first, first + timedelta(days=span), cutoff, schedule, visits, screening)

    @property
    def multi_arm(self) -> bool:
        return len(self.definition.arms) > 1


def _arm_visits(definition: StudyDefinition, arm: Arm) -> tuple[PlannedVisit, ...]:
    out: list[PlannedVisit] = []
    days: set[int] = set()
    for visit in sorted(definition.visits.planned, key=lambda v: v.number):
        if visit.planned_day is None or (visit.arms and arm.code not in visit.arms) or visit.planned_day in days:
            continue
        days.add(visit.planned_day)
        out.append(visit)
    return tuple(out)


def _day(day1: date, planned_day: int) -> date:
    """The date of a study day (no day 0: day -1 is the day before day 1)."""
    return day1 + timedelta(days=planned_day - 1 if planned_day > 0 else planned_day)


# --- plan ---------------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    subject_id: str
    site_id: str
    country: str
    consent: date
    enrolled: bool = True
    arm: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    fate: str = "ONGOING"  # or DEATH or one of WITHDRAWALS
    features: set[str] = field(default_factory=set)
    not_done: set[str] = field(default_factory=set)  # instruments with one assessment not done


@dataclass
class _Rows:
    subjects: list[m.Subject] = field(default_factory=list)
    exposures: list[m.Exposure] = field(default_factory=list)
    adverse_events: list[m.AdverseEvent] = field(default_factory=list)
    findings: list[m.Finding] = field(default_factory=list)
    visits: list[m.Visit] = field(default_factory=list)
    dispositions: list[m.Disposition] = field(default_factory=list)
    eligibility: list[m.EligibilityException] = field(default_factory=list)
    medications: list[m.ConcomitantMedication] = field(default_factory=list)
    medical_history: list[m.MedicalHistoryEvent] = field(default_factory=list)


def _plan_subjects(trial: _Trial, n: int, rng: random.Random) -> list[_Plan]:
    definition = trial.definition
    sites = sorted(definition.sites, key=lambda s: s.id)
    ids = SubjectIds(definition.subjects.id_pattern, [s.id for s in sites], n, rng)
    span = (trial.last_consent - trial.first_consent).days
    step = span / n
    plans: list[_Plan] = []
    for i in range(n):
        site = sites[i % len(sites)] if i < len(sites) else rng.choice(sites)
        consent = trial.first_consent + timedelta(days=int(i * step + rng.uniform(0, step * 0.8)))
        plans.append(_Plan(ids.next(site.id), site.id, site.country, consent))
    big = n >= 10
    k_fail = max(2, round(0.1 * n)) if big else round(0.1 * n)
    k_death = max(1, round(0.03 * n)) if big else 0
    k_withdraw = max(2, round(0.15 * n)) if big else round(0.1 * n)
    order = list(range(n))
    rng.shuffle(order)
    for i in order[:k_fail]:
        plans[i].enrolled = False
    for i in order[k_fail : k_fail + k_death]:
        plans[i].fate = "DEATH"
    for j, i in enumerate(order[k_fail + k_death : k_fail + k_death + k_withdraw]):
        plans[i].fate = c.WITHDRAWALS[j % len(c.WITHDRAWALS)]
    enrolled = [p for p in plans if p.enrolled]
    _assign_arms(trial, enrolled, rng)
    _assign_attributes(trial, plans, enrolled, rng, big=big)
    followed = [p for p in enrolled if p.fate == "ONGOING"]
    for feature, rate in FEATURE_RATES.items():
        _spread(followed, feature, rate, FEATURE_MINIMUM[feature] if big else 0, rng, lambda p: p.features)
    for instrument in definition.instruments:
        _spread(followed, instrument.code, NOT_DONE_RATE, 1 if big else 0, rng, lambda p: p.not_done)
    return plans


def _spread(plans: list[_Plan], name: str, rate: float, minimum: int, rng: random.Random, where) -> None:
    """Give `name` to each plan with probability `rate`, then to more until `minimum` plans have it."""
    for p in plans:
        if rng.random() < rate:
            where(p).add(name)
    candidates = list(plans)
    rng.shuffle(candidates)
    for p in candidates:
        if sum(name in where(q) for q in plans) >= minimum:
            break
        where(p).add(name)


def _assign_arms(trial: _Trial, enrolled: list[_Plan], rng: random.Random) -> None:
    """Randomisation in blocks of one of each arm (shuffled); a one-arm study leaves `arm` empty (that arm)."""
    arms = [a.code for a in trial.definition.arms]
    if not trial.multi_arm:
        return
    block: list[str] = []
    for p in enrolled:
        if not block:
            block = list(arms)
            rng.shuffle(block)
        p.arm = block.pop()


def _assign_attributes(
    trial: _Trial, plans: list[_Plan], enrolled: list[_Plan], rng: random.Random, *, big: bool
) -> None:
    """A value of each subject attribute; about 30 % of the enrolled subjects (at least 4 in a big trial) of an arm
    meeting an intervention's `given_when` are made to meet it, so conditional treatments are given."""
    definition = trial.definition
    for p in plans:
        for attribute in definition.subjects.attributes:
            p.attributes[attribute.name] = rng.choice(attribute.values)
    for intervention in definition.interventions:
        if not intervention.given_when:
            continue
        arms = {a.code for a in definition.arms if intervention.code in a.interventions}
        eligible = [p for p in enrolled if (p.arm or definition.arms[0].code) in arms]
        wanted = round(0.3 * len(eligible))
        if big:
            wanted = max(wanted, min(4, len(eligible)))
        for p in rng.sample(eligible, wanted):
            for condition in intervention.given_when:
                p.attributes[condition.attribute] = rng.choice(condition.values)
        for p in eligible:
            if not _meets(p.attributes, intervention):
                for condition in intervention.given_when[:1]:  # keep non-qualifying subjects clearly outside
                    others = [a for a in _values(definition, condition.attribute) if a not in condition.values]
                    if others and rng.random() < 0.5:
                        p.attributes[condition.attribute] = rng.choice(others)


def _values(definition: StudyDefinition, name: str) -> tuple[str, ...]:
    return next((a.values for a in definition.subjects.attributes if a.name == name), ())


def _meets(attributes: dict[str, str], intervention: Intervention) -> bool:
    return all(attributes.get(cond.attribute) in cond.values for cond in intervention.given_when)


# --- rows of one subject ------------------------------------------------------------------------------------------


def _dt(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _at(day: date, rng: random.Random, first_hour: int = 8, last_hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(first_hour, last_hour), rng.choice((0, 15, 30, 45)))


class _SubjectBuilder:
    def __init__(self, trial: _Trial, plan: _Plan, rng: random.Random, rows: _Rows) -> None:
        self.trial, self.definition, self.plan, self.rng, self.rows = trial, trial.definition, plan, rng, rows
        self.sid = plan.subject_id
        self.arm: Arm = (trial.definition.arm(plan.arm) if plan.arm else None) or trial.definition.arms[0]

    def build(self) -> None:
        rng, plan = self.rng, self.plan
        sex = self.definition.eligibility.sex
        self.sex = "F" if sex == "FEMALE" else "M" if sex == "MALE" else rng.choice("FM")
        screening = plan.consent + timedelta(days=rng.randint(0, 3))
        days = [v.planned_day for v in self.trial.visits[self.arm.code] if v.planned_day is not None]
        earliest = min(days, default=1)
        lead = -earliest + rng.randint(0, 2) if earliest < 0 else rng.randint(5, 28)
        day1 = screening + timedelta(days=lead)
        self.day1 = day1
        self.end = self.trial.cutoff
        if plan.enrolled and plan.fate != "ONGOING":
            latest = max(1, min((self.trial.cutoff - day1).days - 1, self.trial.schedule_days - 30))
            self.end = day1 + timedelta(days=rng.randint(min(latest, max(14, self.trial.schedule_days // 10)), latest))
        self._subject(self.end.isoformat() if plan.fate == "DEATH" else None)
        self._history()
        if not plan.enrolled:
            self._screen_failure(screening)
            return
        visit_dates = self._visits(screening)
        final = max(self.trial.visits[self.arm.code], key=lambda v: v.planned_day or 0, default=None)
        if plan.fate == "ONGOING" and final is not None and final.number in visit_dates:
            self.end = visit_dates[final.number]  # completed: nothing is collected after the last visit
        self._exposures(visit_dates)
        self._findings(visit_dates)
        reported_by = max(visit_dates.values()) if visit_dates else None
        self._adverse_events(reported_by=reported_by)
        self._medications(reported_by=reported_by if plan.fate == "ONGOING" else None)
        self._disposition(visit_dates, final)

    def _subject(self, death_date: str | None) -> None:
        rng, plan = self.rng, self.plan
        eligibility = self.definition.eligibility
        low = max(_years(eligibility.minimum_age) or 18, 25)
        high = min((_years(eligibility.maximum_age) or 90) - 1, low + 35)
        age = rng.randint(low, high)
        born = plan.consent - timedelta(days=int(age * 365.25) + rng.randint(1, 360))
        age = plan.consent.year - born.year - ((plan.consent.month, plan.consent.day) < (born.month, born.day))
        partial = rng.random() < 0.25
        race = rng.choices(
            [("WHITE",), ("BLACK OR AFRICAN AMERICAN",), ("ASIAN",), ("AMERICAN INDIAN OR ALASKA NATIVE",),
             ("WHITE", "BLACK OR AFRICAN AMERICAN"), ("OTHER",), ("NOT REPORTED",)],
            weights=[58, 17, 9, 4, 6, 3, 3],
        )[0]  # fmt: skip
        # the two categories FDA expects collected (FB5701); NOT REPORTED is valid CT but draws a regulator warning
        ethnicity = rng.choices(["NOT HISPANIC OR LATINO", "HISPANIC OR LATINO"], [72, 28])[0]
        self.rows.subjects.append(
            m.Subject(
                subject_id=self.sid,
                site_id=plan.site_id,
                sex=self.sex,
                country=plan.country,
                consent_date=plan.consent.isoformat(),
                enrolled="Y" if plan.enrolled else "N",
                birth_date=born.isoformat()[:7] if partial else born.isoformat(),
                age=age if partial else None,
                race=race,
                ethnicity=ethnicity,
                arm=plan.arm,
                death_date=death_date,
                attributes=tuple(
                    (a.name, plan.attributes[a.name])
                    for a in self.definition.subjects.attributes
                    if a.name in plan.attributes
                ),
            )
        )

    def _screen_failure(self, screening: date) -> None:
        rng = self.rng
        criteria = self.definition.eligibility.criteria
        visits = self.trial.screening or self.trial.visits[self.arm.code][:1]
        if visits:
            self.rows.visits.append(m.Visit(self.sid, visits[0].number, "Y", screening.isoformat()))
        reason = "Did not meet eligibility criteria"
        if criteria:
            criterion = rng.choice(criteria)
            result = "N" if criterion.category == "INCLUSION" else "Y"
            self.rows.eligibility.append(m.EligibilityException(self.sid, criterion.id, result, screening.isoformat()))
            reason = criterion.short or criterion.text
        failed = screening + timedelta(days=rng.randint(1, 7))
        self.rows.dispositions.append(
            m.Disposition(self.sid, "SCREEN FAILURE", f"Screen failure: {reason}"[:200], failed.isoformat(),
                          failed.isoformat())
        )  # fmt: skip

    # --- visits ---------------------------------------------------------------------------------------------------

    def _visits(self, screening: date) -> dict[float, date]:
        """Visit rows; returns the dates of visits that took place by visit number."""
        rng, plan = self.rng, self.plan
        present: list[tuple[PlannedVisit, date]] = [(v, screening) for v in self.trial.screening]
        for pv in sorted(self.trial.visits[self.arm.code], key=lambda v: (v.planned_day, v.number)):
            before, after = pv.window_before or 0, pv.window_after or 0
            when = _day(self.day1, cast(int, pv.planned_day)) + timedelta(days=rng.randint(-before // 2, after // 2))
            if pv.planned_day == 1 or ((pv.planned_day or 0) < 0 and not before and not after):
                when = _day(self.day1, cast(int, pv.planned_day))
            if when > self.end or (plan.fate != "ONGOING" and when >= self.end):
                break
            present.append((pv, when))
        follow_ups = [(pv, d) for pv, d in present[:-1] if pv.planned_day is not None and pv.planned_day > 1]
        missed = rng.choice(follow_ups)[0].number if "missed_visit" in plan.features and follow_ups else None
        planned_numbers = {v.number for v in self.definition.visits.planned}
        occurred: dict[float, date] = {}
        unplanned_done = False
        for index, (pv, when) in enumerate(present):
            if pv.number == missed:
                self.rows.visits.append(m.Visit(self.sid, pv.number, "N", None, rng.choice(c.MISSED_REASONS)))
            else:
                self.rows.visits.append(m.Visit(self.sid, pv.number, "Y", when.isoformat()))
                occurred[pv.number] = when
            nxt = present[index + 1][1] if index + 1 < len(present) else None
            if (
                "unplanned_visit" in plan.features
                and self.definition.visits.unscheduled_allowed
                and not unplanned_done
                and (pv.planned_day or 0) > 1
                and nxt is not None
                and (nxt - when).days >= 6
            ):
                unplanned_done = True
                gap = (nxt - when).days
                extra = when + timedelta(days=rng.randint(max(1, gap // 4), gap - 2))
                num = round(pv.number + 0.01, 2)
                while num in planned_numbers:
                    num = round(num + 0.01, 2)
                self.rows.visits.append(
                    m.Visit(self.sid, num, "Y", extra.isoformat(), None, rng.choice(c.UNPLANNED_REASONS))
                )
        return occurred

    # --- exposures ------------------------------------------------------------------------------------------------

    def _exposures(self, visit_dates: dict[float, date]) -> None:
        rng = self.rng
        given = [i for i in self.definition.interventions if i.code in self.arm.interventions]
        given = [i for i in given if _meets(self.plan.attributes, i)]
        periods = self._periods(visit_dates, {i.code for i in given})
        self.visit_days = sorted(visit_dates.values())
        self.first_dose = _at(self.day1, rng, 9, 11)
        route = next((self.definition.intervention(code) for code, _, _ in periods), None)
        minutes = rng.randint(40, 50) if route is not None and route.route == "INTRAVENOUS" else rng.randint(2, 10)
        self.first_dose_end = self.first_dose + timedelta(minutes=minutes)
        self.intravenous = route is not None and route.route == "INTRAVENOUS"
        used = set()
        for code, start, end in periods:
            intervention = cast(Intervention, self.definition.intervention(code))
            used.add(code)
            if start > self.end:
                continue
            first = self.first_dose if start == self.day1 else _at(start, rng, 9, 15)
            self._administer(intervention, first, min(end, self.end) if end else None)
        for intervention in given:
            if intervention.code in used:
                continue
            procedure = None
            if intervention.preceded_by:
                procedure = self.day1 + timedelta(days=rng.randint(7, 14))
                day = procedure + timedelta(days=rng.randint(21, 35))
            else:
                day = self.day1 + timedelta(days=rng.randint(14, 42))
            if day > self.end:
                continue
            self._administer(intervention, _at(day, rng, 9, 15), None, procedure)

    def _periods(self, visit_dates: dict[float, date], given: set[str]) -> list[tuple[str, date, date | None]]:
        """(intervention, first day, last day or None) of each dosing element of the subject's arm, in order."""
        periods: list[list] = []
        cursor = self.day1
        previous: str | None = None
        for code in self.arm.elements:
            element = self.definition.element(code)
            if element is None or element.starts_at.event not in ("first_dose", "visit"):
                continue
            starts = element.starts_at
            if starts.event == "visit":
                planned = self.definition.visits.visit(cast(float, starts.visit))
                start = visit_dates.get(cast(float, starts.visit)) or (
                    _day(self.day1, planned.planned_day) if planned and planned.planned_day else cursor
                )
                others = [i for i in self.arm.interventions if i != previous and i in given]
                intervention = starts.intervention or (others[0] if len(others) == 1 else previous)
            else:
                start, intervention = cursor, starts.intervention
            if intervention is None or intervention not in given:
                continue
            if periods and (periods[-1][2] is None or periods[-1][2] >= start):
                periods[-1][2] = start - timedelta(days=1)
            days = duration_days(element.duration)
            periods.append([intervention, start, start + timedelta(days=days - 1) if days else None])
            cursor = start + timedelta(days=days or 1)
            previous = intervention
        if not periods:
            first = next((i for i in self.arm.interventions if i in given), None)
            if first is not None:
                periods.append([first, self.day1, None])
        return [(p[0], p[1], p[2]) for p in periods]

    def _administer(
        self, intervention: Intervention, start: datetime, last: date | None, procedure: date | None = None
    ) -> None:
        """Exposure rows: daily dosing as one row per interval between visits (supplies are dispensed at visits:
        constant dosing within a row, dates only), else one per administration (date and time)."""
        rng, frequency = self.rng, intervention.frequency or "ONCE"
        lot = f"{intervention.code[:6].upper()}-{start.year}-{rng.randint(1, 60):03d}"
        base: dict[str, Any] = dict(
            subject_id=self.sid,
            treatment=intervention.treatment,
            dose=intervention.dose,
            dose_unit=intervention.dose_unit,
            route=intervention.route or "UNKNOWN",
            dose_form=intervention.dose_form,
            frequency=intervention.frequency,
            lot=lot,
            preceded_by_date=procedure.isoformat() if procedure else None,
        )
        if frequency == "QD":
            end = last or min(self.end, _day(self.day1, self.trial.schedule_days))
            cuts = [d for d in self.visit_days if start.date() < d <= end]
            for begin, finish in zip([start.date(), *cuts], [*(d - timedelta(days=1) for d in cuts), end], strict=True):
                if finish >= begin:
                    self.rows.exposures.append(m.Exposure(start=begin.isoformat(), end=finish.isoformat(), **base))
            return
        interval = _INTERVALS.get(frequency)
        count = 1 if interval is None else (intervention.doses or 10_000)
        minutes = rng.randint(40, 50) if intervention.route == "INTRAVENOUS" else 5
        for n in range(count):
            when = start + timedelta(days=n * (interval or 0))
            if when.date() > self.end or (last is not None and when.date() > last):
                break
            end = self.first_dose_end if when == self.first_dose else when + timedelta(minutes=minutes)
            self.rows.exposures.append(m.Exposure(start=_dt(when), end=_dt(end), **base))

    # --- findings -------------------------------------------------------------------------------------------------

    def _findings(self, visit_dates: dict[float, date]) -> None:
        rng, plan = self.rng, self.plan
        planned = {v.number: v for v in self.definition.visits.planned}
        levels: dict[tuple[str, str], tuple[float, float]] = {}
        references: dict[tuple[str, str], str] = {}
        for instrument in self.definition.instruments:
            numbers = [n for n in sorted(visit_dates) if instrument.code in planned[n].assessments]
            later = [n for n in numbers if (planned[n].planned_day or 0) > 1]
            not_done = rng.choice(later) if instrument.code in plan.not_done and later else None
            single = rng.choice(numbers) if "test_not_done" in plan.features and numbers else None
            for num in numbers:
                if num == not_done:
                    reason = rng.choice(c.NOT_DONE_REASONS)
                    for test in instrument.tests:
                        if not test.total_of:
                            self._finding(instrument, test, num, None, status="NOT DONE", reason=reason)
                    continue
                when = visit_dates[num]
                stamp = when.isoformat() if instrument.domain == "QS" else _dt(_at(when, rng))
                skip = rng.choice([t for t in instrument.tests if not t.total_of]) if num == single else None
                results: dict[str, float | None] = {}
                for test in instrument.tests:
                    if test.total_of:
                        continue
                    if test is skip:
                        results[test.testcd] = None
                        self._finding(instrument, test, num, stamp, status="NOT DONE",
                                      reason=rng.choice(c.TEST_NOT_DONE_REASONS))  # fmt: skip
                        continue
                    text, value = self._result(test, levels, (instrument.code, test.testcd))
                    results[test.testcd] = value
                    reference = None
                    if test.reference and value is not None:
                        key = (instrument.code, test.testcd)
                        if key not in references:
                            references[key] = _format(test, value * rng.uniform(1.05, 1.6))
                        reference = references[key]
                    self._finding(instrument, test, num, stamp, result=text, reference=reference)
                for test in instrument.tests:
                    parts = [results.get(t) for t in test.total_of]
                    if test.total_of and all(p is not None for p in parts) and rng.random() < 0.7:
                        total = sum(cast(float, p) for p in parts)
                        self._finding(instrument, test, num, stamp, result=_format(test, total))

    def _result(self, test: FindingTest, levels: dict, key: tuple[str, str]) -> tuple[str, float | None]:
        """A result text of the test (and its number): a subject's level drifts from visit to visit."""
        rng = self.rng
        if test.result_type in ("text", "coded"):
            return (rng.choice(c.TEXT_RESULTS) if rng.random() < 0.3 else c.TEXT_RESULTS[0]), None
        low, high = test.range or (None, None)
        normal_low, normal_high = test.normal_range or (None, None)
        if key not in levels:
            levels[key] = (_centre(test, rng),) * 2
        centre, level = levels[key]
        if normal_low is not None and normal_high is not None:
            spread = (normal_high - normal_low) / 6
        elif low is not None and high is not None:
            width = high - low
            spread = width / 8 if test.result_type == "integer" and width <= 20 else width / 40
        else:
            spread = 3.0
        if level != centre or rng.random() < 0.9:  # not the first visit: drift, pulled back towards the centre
            level = level + rng.gauss(0, spread / 2) + 0.2 * (centre - level)
        if test.result_type == "integer":
            level += rng.choice((-0.5, 0, 0.5)) if spread < 1 else 0
        if low is not None:
            level = max(low, level)
        if high is not None:
            level = min(high, level)
        levels[key] = (centre, level)
        text = _format(test, level)
        return text, float(text)

    def _finding(
        self,
        instrument: Instrument,
        test: FindingTest,
        num: float,
        stamp: str | None,
        *,
        result: str | None = None,
        status: str | None = None,
        reason: str | None = None,
        reference: str | None = None,
    ) -> None:
        self.rows.findings.append(
            m.Finding(
                subject_id=self.sid,
                instrument=instrument.code,
                testcd=test.testcd,
                visit_num=num,
                datetime=stamp,
                result=result,
                unit=test.unit if result is not None else None,
                status=status,
                reason_not_done=reason,
                position=instrument.position if stamp is not None else None,
                reference_result=reference,
            )
        )

    # --- adverse events -------------------------------------------------------------------------------------------

    def _adverse_events(self, *, reported_by: date | None) -> None:
        """For a subject still in follow-up, an event with a partial start is kept only when that month is certainly
        before the subject's last visit: a complete date is itself a contact (RFPENDTC), a partial one is not, and
        an event after the last contact would have no EPOCH."""
        rng, plan = self.rng, self.plan
        events: list[dict] = []
        count = rng.choices(range(7), weights=[15, 20, 20, 17, 13, 9, 6])[0]
        forced = sum(f in plan.features for f in ("serious_ae", "uncoded_ae", "partial_ae"))
        forced += plan.fate in ("DEATH", "ADVERSE EVENT")
        for _ in range(min(count, MAX_AES - forced)):
            if rng.random() < 0.35:
                events.append(self._early_event())
            else:
                events.append(self._later_event(rng.choice(c.LATER_TERMS)))
        if "serious_ae" in plan.features:
            events.append(self._later_event(rng.choice(c.SERIOUS_TERMS), serious=True))
        if "uncoded_ae" in plan.features:
            events.append(self._later_event(None))
        if "partial_ae" in plan.features:
            events.append(self._later_event(rng.choice(c.LATER_TERMS), partial=True))
        if plan.fate == "DEATH":
            events.append(self._fatal_event())
        if plan.fate == "ADVERSE EVENT":
            start = self.end - timedelta(days=rng.randint(10, 40))
            start = max(start, self.day1)
            events.append(
                self._event(c.WITHDRAWAL_AE, start.isoformat(), None, severity="SEVERE", action="DRUG WITHDRAWN")
            )
        if plan.fate == "ONGOING" and reported_by is not None:
            events = [e for e in events if _reported(e["start"], reported_by)]
        events.sort(key=lambda e: e["start"])
        for ae_id, event in enumerate(events, start=1):
            self.rows.adverse_events.append(m.AdverseEvent(subject_id=self.sid, ae_id=ae_id, **event))

    def _early_event(self) -> dict:
        rng = self.rng
        names = c.EARLY_TERMS + ((c.INFUSION_TERM,) if self.intravenous else ())
        name = rng.choice(names)
        if name == c.INFUSION_TERM:
            start = self.first_dose + timedelta(minutes=rng.randint(10, 30))
            end = start + timedelta(minutes=rng.randint(30, 180))
            return self._event(name, _dt(start), _dt(end), action="DRUG INTERRUPTED", related=True)
        start = self.first_dose_end + timedelta(minutes=rng.randint(30, 600))
        end_day = start.date() + timedelta(days=rng.randint(0, 3))
        action = "DOSE NOT CHANGED" if start.date() == self.first_dose.date() else "NOT APPLICABLE"
        return self._event(name, _dt(start), end_day.isoformat(), action=action, related=True)

    def _later_event(self, name: str | None, *, serious: bool = False, partial: bool = False) -> dict:
        rng = self.rng
        available = (self.end - self.day1).days
        start = self.day1 + timedelta(days=rng.randint(min(5, available), max(min(5, available), available - 3)))
        chronic = name in c.CHRONIC_TERMS or name is None
        ongoing = rng.random() < (0.35 if chronic else 0.08)
        end: date | None = None if ongoing else start + timedelta(days=rng.randint(2, 45 if chronic else 20))
        if end is not None and end > self.end:
            end = None
        start_text = start.isoformat()
        if partial:
            start_text = start_text[:7]
            if end is not None:
                end = max(end, date(start.year, start.month, 28) + timedelta(days=4))
                if end > self.end:
                    end = None
        severity = "SEVERE" if serious else rng.choices(["MILD", "MODERATE", "SEVERE"], [60, 32, 8])[0]
        return self._event(
            name, start_text, end.isoformat() if end else None, severity=severity, serious=serious,
            action="NOT APPLICABLE",
        )  # fmt: skip

    def _fatal_event(self) -> dict:
        start = max(self.day1, self.end - timedelta(days=self.rng.randint(5, 12)))
        return self._event(
            c.FATAL_TERM, start.isoformat(), self.end.isoformat(), severity="SEVERE", serious=True, fatal=True,
            action="NOT APPLICABLE",
        )  # fmt: skip

    def _event(
        self,
        name: str | None,
        start: str,
        end: str | None,
        *,
        action: str,
        severity: str | None = None,
        serious: bool = False,
        fatal: bool = False,
        related: bool = False,
    ) -> dict:
        rng = self.rng
        severity = severity or rng.choices(["MILD", "MODERATE", "SEVERE"], [55, 38, 7])[0]
        if related:
            relationship = rng.choice(("POSSIBLY RELATED", "RELATED", "POSSIBLY RELATED"))
        else:
            relationship = rng.choices(["NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED"], [60, 30, 10])[0]
        if fatal:
            outcome = "FATAL"
        elif end is not None:
            outcome = "RECOVERED/RESOLVED"
        else:
            outcome = rng.choice(("NOT RECOVERED/NOT RESOLVED", "RECOVERING/RESOLVING"))
        event: dict = {
            "start": start,
            "end": end,
            "serious": "Y" if serious else "N",
            "severity": severity,
            "relationship": relationship,
            "action": action,
            "outcome": outcome,
            "ctcae_grade": 5 if fatal else {"MILD": 1, "MODERATE": 2, "SEVERE": 3}[severity],
        }
        if serious:
            event.update(
                death="Y" if fatal else "N",
                life_threatening="N",
                hospitalization="Y",
                disability="N",
                congenital_anomaly="N",
                medically_important="N",
            )
        if name is None:
            event["term"] = rng.choice(c.UNCODED_VERBATIM)
            return event
        term = c.TERMS[name]
        event.update(
            term=rng.choice(c.VERBATIM[name]),
            llt=term.pt,
            llt_code=term.pt_code,
            pt=term.pt,
            pt_code=term.pt_code,
            hlt=term.hlt[0] if term.hlt else None,
            hlt_code=term.hlt[1] if term.hlt else None,
            hlgt=term.hlgt[0] if term.hlgt else None,
            hlgt_code=term.hlgt[1] if term.hlgt else None,
            soc=term.soc[0],
            soc_code=term.soc[1],
            meddra_version=c.MEDDRA_VERSION,
        )
        return event

    # --- medical history, medications, disposition ---------------------------------------------------------------

    def _history(self) -> None:
        """The study's condition (primary diagnosis) and 0-3 general conditions, collected at screening."""
        rng, consent = self.rng, self.plan.consent
        rows: list[tuple[str, str | None, str | None, str, str, str | None, str]] = []
        conditions = self.definition.study.conditions
        if conditions:
            onset = consent - timedelta(days=rng.randint(200, 3000))
            name = conditions[0].name
            rows.append((name, None, None, c.PRIMARY_DIAGNOSIS, onset.isoformat()[:7], None, "Y"))  # not MedDRA-coded
        self.chronic: list[str] = []
        for entry in rng.sample(c.HISTORY, rng.choices(range(4), weights=[35, 35, 20, 10])[0]):
            onset = consent - timedelta(days=rng.randint(365, 9000))
            start = onset.isoformat()[:4] if rng.random() < 0.5 else onset.isoformat()[:7]
            end = (onset + timedelta(days=rng.randint(5, 30))).isoformat()[:7] if entry.resolved else None
            rows.append((entry.term, entry.decoded, entry.body_system, c.GENERAL_HISTORY, start, end,
                         "N" if entry.resolved else "Y"))  # fmt: skip
            if not entry.resolved:
                self.chronic.append(entry.decoded)
        for mh_id, (term, decoded, body, category, start, end, ongoing) in enumerate(rows, start=1):
            self.rows.medical_history.append(
                m.MedicalHistoryEvent(self.sid, mh_id, term, decoded, body, category, start, end, ongoing)
            )

    def _medications(self, *, reported_by: date | None) -> None:
        """A treatment for most ongoing conditions (started before consent, ongoing), and 0-2 short courses; for a
        subject still in the study, only courses over by the last visit (`reported_by`): nothing is collected later."""
        rng = self.rng
        taken: list[tuple[c.Medication, str, str | None, str]] = []
        for condition in self.chronic:
            drug = next((d for d in c.MEDICATIONS if d.chronic and d.indication == condition), None)
            if drug is not None and rng.random() < 0.7:
                started = self.plan.consent - timedelta(days=rng.randint(60, 2000))
                taken.append((drug, started.isoformat()[:7], None, "Y"))
        short = [d for d in c.MEDICATIONS if not d.chronic]
        for _ in range(rng.choices(range(3), weights=[50, 35, 15])[0]):
            available = max(1, (self.end - self.day1).days)
            first = self.day1 + timedelta(days=rng.randint(0, available))
            last = first + timedelta(days=rng.randint(1, 10))
            if last > self.end:
                continue
            drug = rng.choice(short)
            if reported_by is not None and last > reported_by:
                continue
            taken.append((drug, first.isoformat(), last.isoformat(), "N"))
        for cm_id, (drug, start, end, ongoing) in enumerate(taken, start=1):
            self.rows.medications.append(
                m.ConcomitantMedication(
                    subject_id=self.sid, cm_id=cm_id, term=drug.term, decoded=drug.decoded, atc_class=drug.atc_class,
                    indication=drug.indication, dose=drug.dose, dose_unit=drug.dose_unit, route=drug.route,
                    frequency=drug.frequency, start=start, end=end, ongoing=ongoing,
                )
            )  # fmt: skip

    def _disposition(self, visit_dates: dict[float, date], final: PlannedVisit | None) -> None:
        plan = self.plan
        last_visit = max(visit_dates.values()) if visit_dates else None
        last = last_visit.isoformat() if last_visit else None
        if plan.fate == "DEATH":
            self.rows.dispositions.append(
                m.Disposition(self.sid, "DEATH", c.DEATH_TERM, self.end.isoformat(), self.end.isoformat())
            )
        elif plan.fate != "ONGOING":
            contact = last if plan.fate == "LOST TO FOLLOW-UP" else self.end.isoformat()
            term = c.WITHDRAWAL_TERMS[plan.fate]
            self.rows.dispositions.append(m.Disposition(self.sid, plan.fate, term, self.end.isoformat(), contact))
        elif final is not None and final.number in visit_dates:
            when = visit_dates[final.number].isoformat()
            self.rows.dispositions.append(
                m.Disposition(self.sid, "COMPLETED", f"Completed the study ({final.name})"[:200], when, when)
            )


def _reported(start: str, last_visit: date) -> bool:
    """A complete start, or a partial start certainly before the last visit."""
    return len(start) >= 10 or compare_dtc(start, last_visit.isoformat()) < 0


def _centre(test: FindingTest, rng: random.Random) -> float:
    """A subject's own level of a test: inside the normal range, else in the lower middle of the allowed range."""
    low, high = test.range or (None, None)
    normal_low, normal_high = test.normal_range or (None, None)
    if normal_low is not None and normal_high is not None:
        return rng.uniform(normal_low, normal_high)
    if low is not None and high is not None:
        width = high - low
        if test.result_type == "integer" and width <= 20:
            return rng.uniform(low, low + 0.6 * width)
        return low + width * rng.uniform(0.33, 0.45)
    base = low if low is not None else (high - 50 if high is not None else 0.0)
    return base + rng.uniform(1, 40)


def _format(test: FindingTest, value: float) -> str:
    """A number as the test collects it: integers whole, floats with the test's decimals (default 1, 2 below 10),
    kept within the test's range."""
    low, high = test.range or (None, None)
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    if test.result_type == "integer":
        return str(round(value))
    decimals = test.decimals if test.decimals is not None else (2 if abs(value) < 10 else 1)
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text
