"""Synthetic but realistic records for NCT05016804 (AlloRx MSC infusion in systemic sclerosis), for tests and demos.

Deterministic: every draw comes from one `random.Random(seed)`, never the clock. Each subject first gets a *plan*
(site, consent date, screen failure, severity, fate, special features), then rows are derived from the plan and the
protocol schedule in study.json. So that small sets (the bundled 20-subject fixture) still exercise every branch the
converters must handle, minimum counts of the rare situations (screen failures, death, withdrawals, missed and
unplanned visits, not-done assessments, serious/partial-date/uncoded AEs, T-cell vaccine recipients) are forced onto
deterministically chosen subjects once the trial has at least 10 subjects.

MedDRA codes below are MedDRA facts (PT/LLT and SOC codes, and HLT/HLGT where checked); HLT/HLGT are left empty
where they were not verified rather than invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from trialinterop.iso8601 import compare_dtc
from trialinterop.source import models as m

MEDDRA_VERSION = "27.1"
MAX_AES = 6  # per treated subject, forced ones included
FIRST_CONSENT = date(2021, 9, 1)
LAST_CONSENT = date(2024, 12, 31)
DEFAULT_CUTOFF = date(2026, 6, 30)

_GENERAL = ("General disorders and administration site conditions", 10018065)
_INFECTIONS = ("Infections and infestations", 10021881)


@dataclass(frozen=True)
class _Term:
    pt: str
    pt_code: int
    soc: tuple[str, int]
    hlt: tuple[str, int] | None = None
    hlgt: tuple[str, int] | None = None


TERMS: dict[str, _Term] = {
    "Headache": _Term(
        "Headache",
        10019211,
        ("Nervous system disorders", 10029205),
        ("Headaches NEC", 10019233),
        ("Headaches", 10019231),
    ),
    "Pyrexia": _Term(
        "Pyrexia", 10037660, _GENERAL, ("Febrile disorders", 10016286), ("Body temperature conditions", 10005908)
    ),
    "Fatigue": _Term("Fatigue", 10016256, _GENERAL),
    "Nausea": _Term("Nausea", 10028813, ("Gastrointestinal disorders", 10017947)),
    "Infusion related reaction": _Term(
        "Infusion related reaction", 10051792, ("Injury, poisoning and procedural complications", 10022117)
    ),
    "Pneumonia": _Term("Pneumonia", 10035664, _INFECTIONS),
    "Urinary tract infection": _Term("Urinary tract infection", 10046571, _INFECTIONS),
    "Raynaud's phenomenon": _Term("Raynaud's phenomenon", 10037912, ("Vascular disorders", 10047065)),
    "Arthralgia": _Term("Arthralgia", 10003239, ("Musculoskeletal and connective tissue disorders", 10028395)),
}
VERBATIM: dict[str, tuple[str, ...]] = {
    "Headache": ("HEADACHE", "Headache", "Mild headache after infusion"),
    "Pyrexia": ("PYREXIA", "Pyrexia post infusion"),
    "Fatigue": ("FATIGUE", "Fatigue"),
    "Nausea": ("NAUSEA", "Nausea"),
    "Infusion related reaction": ("INFUSION RELATED REACTION", "Infusion related reaction"),
    "Pneumonia": ("PNEUMONIA", "Pneumonia"),
    "Urinary tract infection": ("URINARY TRACT INFECTION", "Urinary tract infection"),
    "Raynaud's phenomenon": ("RAYNAUD'S PHENOMENON", "Worsening Raynaud's phenomenon"),
    "Arthralgia": ("ARTHRALGIA", "Arthralgia"),
}
UNCODED_VERBATIM = ("Digital ulcer right index finger", "DIGITAL ULCER LEFT THUMB", "Skin tightness flare hands")
EARLY_TERMS = ("Infusion related reaction", "Headache", "Pyrexia", "Nausea", "Fatigue")
LATER_TERMS = ("Urinary tract infection", "Raynaud's phenomenon", "Arthralgia", "Fatigue", "Headache", "Nausea")
CHRONIC_TERMS = ("Raynaud's phenomenon", "Arthralgia")

MISSED_REASONS = ("SUBJECT UNAVAILABLE", "TRAVEL RESTRICTIONS", "SCHEDULING CONFLICT")
UNPLANNED_REASONS = ("ADVERSE EVENT FOLLOW-UP", "EVALUATION OF DIGITAL ULCER", "SKIN SCORE REASSESSMENT")
MRSS_NOT_DONE = ("ASSESSOR NOT AVAILABLE", "SUBJECT REFUSED")
FVC_NOT_DONE = ("SPIROMETER OUT OF SERVICE", "SUBJECT UNABLE TO PERFORM")
SCREEN_FAILURES = (
    ("EXCL001", "Y", "Active infection at screening"),
    ("EXCL005", "Y", "Clinically significant laboratory abnormalities"),
    ("INCL001", "N", "Diagnosis of systemic sclerosis not confirmed"),
    ("EXCL006", "Y", "Investigator judged participation unsafe"),
)
WITHDRAWALS = ("WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "ADVERSE EVENT")
WITHDRAWAL_TERMS = {
    "WITHDRAWAL BY SUBJECT": "Subject decided to leave the study",
    "LOST TO FOLLOW-UP": "Lost to follow-up after repeated contact attempts",
    "ADVERSE EVENT": "Withdrawn because of worsening Raynaud's phenomenon",
}
# Relative weight of each mRSS area when skin thickening is distributed (hands and fingers first, trunk least).
AREA_WEIGHTS = (3, 3, 3, 3, 2.5, 2.5, 1.5, 1.5, 2, 1, 0.7, 1, 1, 1.5, 1.5, 1.5, 1.5)
# Mean change of the mRSS total from screening by planned study day (slow improvement).
MRSS_TREND = {31: -1, 181: -3, 366: -5, 731: -7, 1096: -8, 1461: -9}
FEATURE_RATES = {
    "missed_visit": 0.12,
    "unplanned_visit": 0.08,
    "mrss_not_done": 0.05,
    "fvc_not_done": 0.05,
    "serious_ae": 0.1,
    "partial_ae": 0.12,
    "uncoded_ae": 0.1,
}
FEATURE_MINIMUM = {
    "missed_visit": 2,
    "unplanned_visit": 1,
    "mrss_not_done": 1,
    "fvc_not_done": 1,
    "serious_ae": 2,
    "partial_ae": 2,
    "uncoded_ae": 1,
}


@dataclass
class _Plan:
    subject_id: str
    site: m.Site
    consent: date
    enrolled: bool
    severe: bool
    fate: str = "ONGOING"  # or DEATH or one of WITHDRAWALS
    features: set[str] = field(default_factory=set)


@dataclass
class _Rows:
    subjects: list[m.Subject] = field(default_factory=list)
    exposures: list[m.Exposure] = field(default_factory=list)
    adverse_events: list[m.AdverseEvent] = field(default_factory=list)
    skin_scores: list[m.SkinScore] = field(default_factory=list)
    spirometry: list[m.Spirometry] = field(default_factory=list)
    visits: list[m.Visit] = field(default_factory=list)
    dispositions: list[m.Disposition] = field(default_factory=list)
    eligibility: list[m.EligibilityException] = field(default_factory=list)


def generate_trial(study: m.Study, *, subjects: int, seed: int) -> m.TrialRecords:
    """`subjects` synthetic subjects for `study`; identical output for identical (study, subjects, seed)."""
    if subjects < 1:
        raise ValueError("subjects must be at least 1")
    rng = random.Random(seed)
    cutoff = date.fromisoformat(study.data_cutoff_date) if study.data_cutoff_date else DEFAULT_CUTOFF
    plans = _plan_subjects(study, subjects, rng)
    rows = _Rows()
    for plan in plans:
        _SubjectBuilder(study, plan, rng, cutoff, rows).build()
    return m.TrialRecords(
        study=study,
        subjects=tuple(sorted(rows.subjects, key=lambda r: r.subject_id)),
        exposures=tuple(sorted(rows.exposures, key=lambda r: (r.subject_id, r.start, r.treatment))),
        adverse_events=tuple(sorted(rows.adverse_events, key=lambda r: (r.subject_id, r.ae_id))),
        skin_scores=tuple(sorted(rows.skin_scores, key=lambda r: (r.subject_id, r.visit_num))),
        spirometry=tuple(sorted(rows.spirometry, key=lambda r: (r.subject_id, r.visit_num))),
        visits=tuple(sorted(rows.visits, key=lambda r: (r.subject_id, r.visit_num))),
        dispositions=tuple(sorted(rows.dispositions, key=lambda r: (r.subject_id, r.event))),
        eligibility=tuple(sorted(rows.eligibility, key=lambda r: (r.subject_id, r.criterion_id))),
    )


# --- plan ---------------------------------------------------------------------------------------------------------


def _plan_subjects(study: m.Study, n: int, rng: random.Random) -> list[_Plan]:
    sites = sorted(study.sites, key=lambda s: s.site_id)
    counters = {s.site_id: 0 for s in sites}
    width = max(3, len(str(n)))
    span = (LAST_CONSENT - FIRST_CONSENT).days
    step = span / n
    plans: list[_Plan] = []
    for i in range(n):
        site = sites[i % len(sites)] if i < len(sites) else rng.choice(sites)
        counters[site.site_id] += 1
        consent = FIRST_CONSENT + timedelta(days=int(i * step + rng.uniform(0, step * 0.8)))
        plans.append(
            _Plan(f"{site.site_id}-{counters[site.site_id]:0{width}d}", site, consent, enrolled=True, severe=False)
        )
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
        plans[i].fate = WITHDRAWALS[j % len(WITHDRAWALS)]
    enrolled = [p for p in plans if p.enrolled]
    k_severe = round(0.3 * len(enrolled))
    if big:
        k_severe = max(k_severe, min(4, len(enrolled)))
    for p in rng.sample(enrolled, k_severe):
        p.severe = True
    for p in plans:
        if not p.enrolled:
            p.severe = rng.random() < 0.3
    followed = [p for p in enrolled if p.fate == "ONGOING"]
    for feature, rate in FEATURE_RATES.items():
        for p in followed:
            if rng.random() < rate:
                p.features.add(feature)
        if big:
            candidates = list(followed)
            rng.shuffle(candidates)
            for p in candidates:
                if sum(feature in q.features for q in followed) >= FEATURE_MINIMUM[feature]:
                    break
                p.features.add(feature)
    return plans


# --- rows of one subject ------------------------------------------------------------------------------------------


def _dt(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


class _SubjectBuilder:
    def __init__(self, study: m.Study, plan: _Plan, rng: random.Random, cutoff: date, rows: _Rows) -> None:
        self.study, self.plan, self.rng, self.cutoff, self.rows = study, plan, rng, cutoff, rows
        self.sid = plan.subject_id

    def build(self) -> None:
        rng, plan = self.rng, self.plan
        self.sex = "F" if rng.random() < 0.8 else "M"
        screening = plan.consent + timedelta(days=rng.randint(0, 3))
        infusion = screening + timedelta(days=rng.randint(5, 28))
        self.end = self.cutoff
        if plan.enrolled and plan.fate != "ONGOING":
            latest = min((self.cutoff - infusion).days - 1, 1400)
            self.end = infusion + timedelta(days=rng.randint(min(75, latest), latest))
        death_date = self.end.isoformat() if plan.fate == "DEATH" else None
        self._subject(death_date)
        screen_visit = next((v for v in self.study.visits if v.planned_day is None), None)
        if not plan.enrolled:
            self._screen_failure(screening, screen_visit)
            return
        self._exposures(infusion)
        visit_dates = self._visits(screening, infusion)
        final = max(self.study.visits, key=lambda v: v.visit_num)
        if plan.fate == "ONGOING" and final.visit_num in visit_dates:
            self.end = visit_dates[final.visit_num]  # completed: nothing is collected after the last visit
        self._assessments(visit_dates)
        self._adverse_events(infusion, reported_by=max(visit_dates.values()) if visit_dates else None)
        self._disposition(visit_dates)

    def _subject(self, death_date: str | None) -> None:
        rng, plan = self.rng, self.plan
        age = rng.randint(25, 70)
        born = plan.consent - timedelta(days=int(age * 365.25) + rng.randint(1, 360))
        age = plan.consent.year - born.year - ((plan.consent.month, plan.consent.day) < (born.month, born.day))
        partial = rng.random() < 0.25
        if plan.site.country == "ATG":
            race = rng.choices(
                [("BLACK OR AFRICAN AMERICAN",), ("WHITE",), ("WHITE", "BLACK OR AFRICAN AMERICAN"), ("OTHER",)],
                weights=[78, 8, 10, 4],
            )[0]
            ethnicity = rng.choices(["NOT HISPANIC OR LATINO", "HISPANIC OR LATINO", "NOT REPORTED"], [90, 5, 5])[0]
        else:
            race = rng.choices(
                [("WHITE",), ("AMERICAN INDIAN OR ALASKA NATIVE",), ("WHITE", "AMERICAN INDIAN OR ALASKA NATIVE")],
                weights=[75, 10, 15],
            )[0]
            ethnicity = rng.choices(["HISPANIC OR LATINO", "NOT HISPANIC OR LATINO", "NOT REPORTED"], [80, 15, 5])[0]
        self.rows.subjects.append(
            m.Subject(
                subject_id=self.sid,
                site_id=plan.site.site_id,
                sex=self.sex,
                country=plan.site.country,
                consent_date=plan.consent.isoformat(),
                enrolled="Y" if plan.enrolled else "N",
                birth_date=born.isoformat()[:7] if partial else born.isoformat(),
                age=age if partial else None,
                race=race,
                ethnicity=ethnicity,
                severity_group="SEVERE" if plan.severe else "NON-SEVERE",
                methotrexate="Y" if plan.severe else "N",
                death_date=death_date,
            )
        )

    def _screen_failure(self, screening: date, screen_visit: m.PlannedVisit | None) -> None:
        rng = self.rng
        options = [o for o in SCREEN_FAILURES if self.study.criterion(o[0]) is not None]
        criterion, result, reason = rng.choice(options) if options else ("", "", "Did not meet eligibility criteria")
        if screen_visit is not None:
            self.rows.visits.append(m.Visit(self.sid, screen_visit.visit_num, "Y", screening.isoformat()))
        if criterion:
            self.rows.eligibility.append(m.EligibilityException(self.sid, criterion, result, screening.isoformat()))
        failed = screening + timedelta(days=rng.randint(1, 7))
        self.rows.dispositions.append(
            m.Disposition(
                self.sid, "SCREEN FAILURE", f"Screen failure: {reason}", failed.isoformat(), failed.isoformat()
            )
        )

    def _exposures(self, infusion: date) -> None:
        rng = self.rng
        start = datetime(infusion.year, infusion.month, infusion.day, rng.randint(9, 11), rng.choice((0, 15, 30, 45)))
        self.infusion_start = start
        self.infusion_end = start + timedelta(minutes=rng.randint(40, 50))
        msc = self.study.intervention_for("ALLORX")
        self.rows.exposures.append(
            m.Exposure(
                subject_id=self.sid,
                treatment="ALLORX",
                start=_dt(start),
                end=_dt(self.infusion_end),
                dose=float(msc.dose) if msc and msc.dose is not None else 100.0,
                dose_unit=(msc.dose_unit if msc else None) or "10^6 Therapeutic Cells",
                route=(msc.route if msc else None) or "INTRAVENOUS",
                dose_form=(msc.dose_form if msc else None) or "INJECTION, SUSPENSION",
                frequency=(msc.frequency if msc else None) or "ONCE",
                lot=f"ALX-{infusion.year}-{rng.randint(1, 60):03d}",
            )
        )
        if not self.plan.severe:
            return
        apheresis = infusion + timedelta(days=rng.randint(7, 14))
        given = datetime.combine(apheresis + timedelta(days=rng.randint(21, 35)), datetime.min.time()).replace(
            hour=rng.randint(9, 15), minute=rng.choice((0, 10, 20, 30, 40, 50))
        )
        if given.date() > self.end:
            return
        tcv = self.study.intervention_for("AUTOLOGOUS T-CELL VACCINE")
        self.rows.exposures.append(
            m.Exposure(
                subject_id=self.sid,
                treatment="AUTOLOGOUS T-CELL VACCINE",
                start=_dt(given),
                end=_dt(given + timedelta(minutes=5)),
                dose=1.0,
                dose_unit="mL",
                route=(tcv.route if tcv else None) or "SUBCUTANEOUS",
                dose_form=(tcv.dose_form if tcv else None) or "INJECTION, SUSPENSION",
                frequency=(tcv.frequency if tcv else None) or "ONCE",
                lot=f"TCV-{self.sid}",
                apheresis_date=apheresis.isoformat(),
            )
        )

    def _visits(self, screening: date, infusion: date) -> dict[float, date]:
        """Visit rows; returns the dates of visits that took place by visit number."""
        rng, plan = self.rng, self.plan
        present: list[tuple[m.PlannedVisit, date]] = []
        for pv in sorted(self.study.visits, key=lambda v: v.visit_num):
            if pv.planned_day is None:
                when = screening
            else:
                window = pv.window_days or 0
                when = infusion + timedelta(days=pv.planned_day - 1 + rng.randint(-(window // 3), window // 3))
            if when > self.end or (plan.fate != "ONGOING" and when >= self.end):
                break
            present.append((pv, when))
        follow_ups = [(pv, d) for pv, d in present[:-1] if pv.planned_day is not None and pv.planned_day > 1]
        missed: float | None = None
        if "missed_visit" in plan.features and follow_ups:
            missed = rng.choice(follow_ups)[0].visit_num
        occurred: dict[float, date] = {}
        unplanned_done = False
        for index, (pv, when) in enumerate(present):
            if pv.visit_num == missed:
                self.rows.visits.append(m.Visit(self.sid, pv.visit_num, "N", None, rng.choice(MISSED_REASONS)))
            else:
                self.rows.visits.append(m.Visit(self.sid, pv.visit_num, "Y", when.isoformat()))
                occurred[pv.visit_num] = when
            nxt = present[index + 1][1] if index + 1 < len(present) else None
            if (
                "unplanned_visit" in plan.features
                and pv.planned_day is not None
                and pv.planned_day > 1
                and nxt is not None
                and (nxt - when).days > 20
                and not unplanned_done
            ):
                unplanned_done = True
                extra = when + timedelta(days=rng.randint(10, min(40, (nxt - when).days - 5)))
                num = round(pv.visit_num + 0.01, 2)
                self.rows.visits.append(
                    m.Visit(self.sid, num, "Y", extra.isoformat(), None, rng.choice(UNPLANNED_REASONS))
                )
        return occurred

    def _assessments(self, visit_dates: dict[float, date]) -> None:
        rng, plan = self.rng, self.plan
        planned = {v.visit_num: v for v in self.study.visits}
        mrss_visits = [n for n in visit_dates if "MRSS" in planned[n].assessments]
        fvc_visits = [n for n in visit_dates if "FVC" in planned[n].assessments]
        later_mrss = [n for n in mrss_visits if planned[n].planned_day is not None]
        later_fvc = [n for n in fvc_visits if planned[n].planned_day is not None]
        mrss_nd = rng.choice(later_mrss) if "mrss_not_done" in plan.features and later_mrss else None
        fvc_nd = rng.choice(later_fvc) if "fvc_not_done" in plan.features and later_fvc else None
        baseline_total = rng.randint(15, 35)
        scores = _distribute([0] * 17, baseline_total, rng)
        for num in mrss_visits:
            day = planned[num].planned_day
            if num == mrss_nd:
                self.rows.skin_scores.append(m.SkinScore(self.sid, num, not_done_reason=rng.choice(MRSS_NOT_DONE)))
                continue
            if day is not None:
                target = baseline_total + MRSS_TREND.get(day, 0) + rng.randint(-2, 2)
                scores = _distribute(scores, max(0, min(51, target)), rng)
            total = None if rng.random() < 0.3 else sum(scores)
            self.rows.skin_scores.append(m.SkinScore(self.sid, num, visit_dates[num].isoformat(), tuple(scores), total))
        predicted = round(rng.uniform(2.7, 3.5) if self.sex == "F" else rng.uniform(3.8, 4.6), 2)
        fvc = max(1.8, min(3.8, round(predicted * rng.uniform(0.6, 0.95), 2)))
        for num in fvc_visits:
            if num == fvc_nd:
                self.rows.spirometry.append(m.Spirometry(self.sid, num, not_done_reason=rng.choice(FVC_NOT_DONE)))
                continue
            if planned[num].planned_day is not None:
                fvc = max(1.8, min(3.8, round(fvc + rng.uniform(-0.08, 0.1), 2)))
            when = datetime.combine(visit_dates[num], datetime.min.time()).replace(
                hour=rng.randint(8, 12), minute=rng.choice((0, 15, 30, 45))
            )
            self.rows.spirometry.append(
                m.Spirometry(self.sid, num, _dt(when), fvc, predicted, round(100 * fvc / predicted, 1), "SITTING")
            )

    def _adverse_events(self, infusion: date, *, reported_by: date | None) -> None:
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
                events.append(self._later_event(infusion, rng.choice(LATER_TERMS)))
        if "serious_ae" in plan.features:
            events.append(
                self._later_event(infusion, rng.choice(("Pneumonia", "Urinary tract infection")), serious=True)
            )
        if "uncoded_ae" in plan.features:
            events.append(self._later_event(infusion, None))
        if "partial_ae" in plan.features:
            events.append(self._later_event(infusion, rng.choice(LATER_TERMS), partial=True))
        if plan.fate == "DEATH":
            events.append(self._fatal_event())
        if plan.fate == "ADVERSE EVENT":
            start = self.end - timedelta(days=rng.randint(10, 40))
            events.append(
                self._event("Raynaud's phenomenon", start.isoformat(), None, severity="SEVERE", action="NOT APPLICABLE")
            )
        if plan.fate == "ONGOING" and reported_by is not None:
            events = [e for e in events if _reported(e["start"], reported_by)]
        events.sort(key=lambda e: e["start"])
        for ae_id, event in enumerate(events, start=1):
            self.rows.adverse_events.append(m.AdverseEvent(subject_id=self.sid, ae_id=ae_id, **event))

    def _early_event(self) -> dict:
        rng = self.rng
        name = rng.choice(EARLY_TERMS)
        if name == "Infusion related reaction":
            start = self.infusion_start + timedelta(minutes=rng.randint(10, 30))
            end = start + timedelta(minutes=rng.randint(30, 180))
            return self._event(name, _dt(start), _dt(end), action="DRUG INTERRUPTED", related=True)
        start = self.infusion_end + timedelta(minutes=rng.randint(30, 600))
        end_day = start.date() + timedelta(days=rng.randint(0, 3))
        action = "DOSE NOT CHANGED" if start.date() == self.infusion_start.date() else "NOT APPLICABLE"
        return self._event(name, _dt(start), end_day.isoformat(), action=action, related=True)

    def _later_event(self, infusion: date, name: str | None, *, serious: bool = False, partial: bool = False) -> dict:
        rng = self.rng
        available = (self.end - infusion).days
        start = infusion + timedelta(days=rng.randint(min(5, available), max(min(5, available), available - 3)))
        chronic = name in CHRONIC_TERMS or name is None
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
            name,
            start_text,
            end.isoformat() if end else None,
            severity=severity,
            serious=serious,
            action="NOT APPLICABLE",
        )

    def _fatal_event(self) -> dict:
        start = self.end - timedelta(days=self.rng.randint(5, 12))
        return self._event(
            "Pneumonia",
            start.isoformat(),
            self.end.isoformat(),
            severity="SEVERE",
            serious=True,
            fatal=True,
            action="NOT APPLICABLE",
        )

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
            event["term"] = rng.choice(UNCODED_VERBATIM)
            return event
        term = TERMS[name]
        event.update(
            term=rng.choice(VERBATIM[name]),
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
            meddra_version=MEDDRA_VERSION,
        )
        return event

    def _disposition(self, visit_dates: dict[float, date]) -> None:
        plan = self.plan
        last_visit = max(visit_dates.values()) if visit_dates else None
        last = last_visit.isoformat() if last_visit else None
        if plan.fate == "DEATH":
            self.rows.dispositions.append(
                m.Disposition(self.sid, "DEATH", "Death due to pneumonia", self.end.isoformat(), self.end.isoformat())
            )
        elif plan.fate != "ONGOING":
            contact = last if plan.fate == "LOST TO FOLLOW-UP" else self.end.isoformat()
            term = WITHDRAWAL_TERMS[plan.fate]
            self.rows.dispositions.append(m.Disposition(self.sid, plan.fate, term, self.end.isoformat(), contact))
        else:
            final = max(self.study.visits, key=lambda v: v.visit_num)
            if final.visit_num in visit_dates and final.planned_day is not None:
                when = visit_dates[final.visit_num].isoformat()
                self.rows.dispositions.append(
                    m.Disposition(self.sid, "COMPLETED", "Completed 48-month follow-up", when, when)
                )


def _reported(start: str, last_visit: date) -> bool:
    """A complete start, or a partial start certainly before the last visit."""
    return len(start) >= 10 or compare_dtc(start, last_visit.isoformat()) < 0


def _distribute(scores: list[int], target: int, rng: random.Random) -> list[int]:
    """Move area scores (0-3) one step at a time, weighted by area, until they sum to `target` (clipped to 0-51)."""
    scores = list(scores)
    target = max(0, min(3 * len(scores), target))
    while sum(scores) < target:
        options = [i for i, s in enumerate(scores) if s < 3]
        scores[rng.choices(options, [AREA_WEIGHTS[i] for i in options])[0]] += 1
    while sum(scores) > target:
        options = [i for i, s in enumerate(scores) if s > 0]
        # Improvement shows first where thickening is mildest: weight the trunk and proximal areas higher.
        scores[rng.choices(options, [1 / AREA_WEIGHTS[i] for i in options])[0]] -= 1
    return scores
