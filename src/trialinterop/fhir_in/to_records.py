"""FHIR resources -> `TrialRecords`, the inverse of `trialinterop.fhir` and, where it speaks, of the HL7
FHIR-to-CDISC Joint Mapping IG (DM from Patient + ResearchSubject with STUDYID from the parent study and SITEID from
the site-level study; AE from AdverseEvent, see fhir_in.adverse_events; findings from Observation).

Subject: Patient + ResearchSubject (+ age, severity-group and methotrexate Observations); the informed consent date
from ResearchSubject.period.start (R5 progress.startDate), else the referenced Consent's date. Exposures:
MedicationAdministration matched to a study intervention (+ the apheresis Procedure it cites). Visits: Encounter. mRSS
and FVC: Observations keyed by the sponsor test codes / LOINC. Dispositions: fhir_in.dispositions. Eligibility
exceptions: Observations coded with the criteria CodeSystem.

The registry record comes from the input (fhir_in.to_study) or, given `study`, from that study.json
(fhir_in.given_study). Every fallback taken is a warning in `FhirTrial.warnings`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path
from typing import Any

from trialinterop.ct import Terminology, load_terminology
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_observations import MRSS_TESTCD
from trialinterop.fhir_in.adverse_events import AdverseEventReader, ae_number
from trialinterop.fhir_in.arms import check_subject_arms
from trialinterop.fhir_in.dispositions import read_dispositions
from trialinterop.fhir_in.given_study import read_given_study
from trialinterop.fhir_in.interventions import administered
from trialinterop.fhir_in.load import FhirInput, Located, fail, read_fhir
from trialinterop.fhir_in.to_study import build_study, main_study
from trialinterop.fhir_in.values import (
    code_in,
    codings,
    extension_value,
    extensions,
    fields,
    identifier_value,
    original_dtc,
    record_dtc,
    reverse,
)
from trialinterop.issues import Issue
from trialinterop.source import models as m

Resource = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class FhirTrial:
    records: m.TrialRecords
    warnings: tuple[Issue, ...] = ()
    """What was assumed where the input did not say (each names resource and element)."""


def read_fhir_trial(source: str | Path, *, version: str = "auto", study: str | Path | None = None) -> FhirTrial:
    """Read a Bundle file or NDJSON folder and rebuild the trial's records; `study` is a study.json that replaces the
    registry record carried in the input."""
    fhir = read_fhir(source, version=version)
    records = fhir_to_records(fhir, study=study)
    return FhirTrial(records, tuple(fhir.warnings))


def load_fhir_trial(source: str | Path, *, version: str = "auto", study: str | Path | None = None) -> m.TrialRecords:
    """The records of `read_fhir_trial` (its warnings dropped)."""
    return read_fhir_trial(source, version=version, study=study).records


def fhir_to_records(
    fhir: FhirInput, terminology: Terminology | None = None, *, study: str | Path | None = None
) -> m.TrialRecords:
    """The records of the trial; an element of the wrong JSON type anywhere is an InputError naming its resource."""
    try:
        given = read_given_study(fhir, study) if study is not None else None
        return _Reader(fhir, terminology or load_terminology(), given).records()
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        where = fhir.current.where if fhir.current is not None else str(fhir.source)
        detail = f"{type(exc).__name__}: {exc}"
        raise fail(f"malformed resource: an element has the wrong JSON type or shape ({detail})", where=where) from None


class _Reader:
    def __init__(self, fhir: FhirInput, terminology: Terminology, given: m.Study | None) -> None:
        self.fhir = fhir
        self.terms = terminology
        self.is_r4 = fhir.version == "R4"
        self.study = given if given is not None else build_study(fhir, main_study(fhir))
        sid = self.study.study_id
        self.systems = {kind: codes.identifier_system(sid, kind) for kind in ("subject", "site", "ae", "observation")}
        self.visit_system = codes.sponsor_code_system(sid, "visit")
        self.patient_subject: dict[int, str] = {}
        """id() of a Patient resource -> subject id."""

    # --- subjects -------------------------------------------------------------------------------------------------
    def records(self) -> m.TrialRecords:
        subjects, dispositions = [], []
        for item in self.fhir.each("ResearchSubject"):
            subject, rows = self._subject(item)
            subjects.append(subject)
            dispositions.extend(rows)
        observations = self._observations_by_kind()
        characteristics = self._characteristics(observations)
        subjects = [dataclasses.replace(s, **characteristics.get(s.subject_id, {})) for s in subjects]
        return m.TrialRecords(
            study=self.study,
            subjects=tuple(sorted(subjects, key=lambda r: r.subject_id)),
            exposures=tuple(sorted(self._exposures(), key=lambda r: (r.subject_id, r.start, r.treatment))),
            adverse_events=tuple(sorted(self._adverse_events(), key=lambda r: (r.subject_id, r.ae_id))),
            skin_scores=tuple(sorted(self._skin_scores(observations), key=lambda r: (r.subject_id, r.visit_num))),
            spirometry=tuple(sorted(self._spirometry(observations), key=lambda r: (r.subject_id, r.visit_num))),
            visits=tuple(sorted(self._visits(), key=lambda r: (r.subject_id, r.visit_num))),
            dispositions=tuple(sorted(dispositions, key=lambda r: (r.subject_id, r.event))),
            eligibility=tuple(sorted(self._eligibility(observations), key=lambda r: (r.subject_id, r.criterion_id))),
        )

    def _subject(self, item: Located) -> tuple[m.Subject, list[m.Disposition]]:
        rs = item.resource
        key = "individual" if self.is_r4 else "subject"
        if not rs.get(key):
            raise item.fail(f"ResearchSubject.{key}", "required: the Patient taking part")
        patient_item = self.fhir.resolve(rs[key], item, f"ResearchSubject.{key}", "Patient")
        patient = patient_item.resource
        subject_id = identifier_value(rs, self.systems["subject"]) or identifier_value(patient, self.systems["subject"])
        subject_id = subject_id or identifier_value(rs, None)
        if not subject_id and identifier_value(patient, None):
            subject_id = identifier_value(patient, None)
            message = f"no ResearchSubject.identifier: SUBJID assumed {subject_id!r}, the Patient's identifier"
            self.fhir.warn(item, "ResearchSubject.identifier", message)
        if not subject_id:
            raise item.fail(
                "ResearchSubject.identifier", "no subject identifier (SUBJID) on ResearchSubject or Patient"
            )
        self.patient_subject[id(patient)] = subject_id
        site = self._site(item)
        progress = (rs.get("progress") or [{}])[0]
        state = rs.get("status") if self.is_r4 else code_in(progress.get("subjectState"), codes.SUBJECT_STATE_SYSTEM)
        if state is None:
            element = "ResearchSubject.status" if self.is_r4 else "ResearchSubject.progress.subjectState"
            self.fhir.warn(item, element, "no subject state: assumed enrolled and still on study")
        check_subject_arms(item, self.study, self.fhir.version)
        race_text = extension_value(_extension(patient, codes.US_CORE_RACE), "text")
        ethnicity = extension_value(_extension(patient, codes.US_CORE_ETHNICITY), "text")
        gender = patient.get("gender")
        sex = reverse(codes.GENDER, gender)
        if sex is None:
            self.fhir.warn(patient_item, "Patient.gender", f"gender {gender!r} gives no SEX: assumed U (unknown)")
        address = (patient.get("address") or [{}])[0]
        consent = self._consent_date(item)
        if patient.get("deceasedBoolean") is True:
            message = "deceased, but no date: DTHDTC unknown and DTHFL not set (give deceasedDateTime)"
            self.fhir.warn(patient_item, "Patient.deceasedBoolean", message)
        subject = m.Subject(
            subject_id=subject_id,
            site_id=site.site_id,
            sex=sex or "U",
            country=address.get("country") or site.country,
            consent_date=record_dtc(consent) or consent,
            enrolled="N" if state == "ineligible" else "Y",
            birth_date=patient.get("birthDate"),
            race=tuple(race_text.split("|")) if race_text else _omb(patient, codes.US_CORE_RACE, codes.RACE_OMB),
            ethnicity=ethnicity or (_omb(patient, codes.US_CORE_ETHNICITY, codes.ETHNICITY_OMB) or (None,))[0],
            death_date=original_dtc(patient, "deceasedDateTime"),
            origin=patient_item.origin,
        )
        rows = read_dispositions(
            self.fhir, item, subject_id, state=state, progress=progress, patient=patient, terms=self.terms
        )
        return subject, rows

    def _site(self, item: Located) -> m.Site:
        """The study site of a ResearchSubject: SITEID is the identifier of its (site-level) ResearchStudy."""
        if not item.resource.get("study"):
            raise item.fail("ResearchSubject.study", "required: the (site-level) ResearchStudy")
        site_item = self.fhir.resolve(item.resource["study"], item, "ResearchSubject.study", "ResearchStudy")
        resource = site_item.resource
        site_id = identifier_value(resource, self.systems["site"]) or identifier_value(resource, None)
        site = self.study.site(site_id or "")
        if site is None:
            known = ", ".join(s.site_id for s in self.study.sites) or "none"
            raise item.fail(
                "ResearchSubject.study",
                f"must be a site-level ResearchStudy (partOf the trial) whose identifier is a site of the study "
                f"(SITEID; got {site_id!r} from {site_item.type}/{resource.get('id', '?')}; sites: {known})",
            )
        return site

    def _consent_date(self, item: Located) -> str:
        """RFICDTC: ResearchSubject.period.start (R5 progress.startDate), else the date of its Consent."""
        rs = item.resource
        if self.is_r4:
            found, element = (rs.get("period") or {}).get("start"), "ResearchSubject.period.start"
        else:
            found, element = ((rs.get("progress") or [{}])[0]).get("startDate"), "ResearchSubject.progress.startDate"
        if found:
            return found
        refs = rs.get("consent")
        for ref in refs if isinstance(refs, list) else [refs] if refs else []:
            consent = self.fhir.resolve(ref, item, "ResearchSubject.consent", "Consent").resource
            found = consent.get("dateTime" if self.is_r4 else "date")
            if found:
                return found
        raise item.fail(element, "required: the informed consent date (RFICDTC), here or as the Consent's date")

    def subject_of(self, item: Located, element: str = "subject") -> str:
        path = f"{item.type}.{element}"
        ref = item.resource.get(element)
        if not ref:
            raise item.fail(path, "required: the Patient")
        patient = self.fhir.resolve(ref, item, path, "Patient")
        found = self.patient_subject.get(id(patient.resource))
        if found is None:
            raise item.fail(path, "the Patient takes part in no ResearchSubject of the input")
        return found

    # --- observations ---------------------------------------------------------------------------------------------
    def _observations_by_kind(self) -> dict[str, list[tuple[str, Located]]]:
        """Observations by what they record: AGE, SEVGRP, MTX, MRSS, FVC, FVCPRED, FVCPP, IE (others skipped)."""
        sid = self.study.study_id
        qs_system = codes.sponsor_code_system(sid, "qstestcd")
        characteristic = codes.sponsor_code_system(sid, "subject-characteristic")
        criteria = codes.sponsor_code_system(sid, "criteria")
        loinc = {
            codes.LOINC_AGE[0]: "AGE",
            codes.LOINC_FVC[0]: "FVC",
            codes.LOINC_FVC_PREDICTED[0]: "FVCPRED",
            codes.LOINC_FVC_PERCENT[0]: "FVCPP",
        }
        found: dict[str, list[tuple[str, Located]]] = defaultdict(list)
        for item in self.fhir.each("Observation"):
            concept = item.resource.get("code")
            kind = loinc.get(code_in(concept, codes.LOINC) or "")
            if kind is None and code_in(concept, qs_system):
                kind = "MRSS"
            elif kind is None and code_in(concept, characteristic) in ("SEVGRP", "MTX"):
                kind = code_in(concept, characteristic)
            elif kind is None and code_in(concept, criteria):
                kind = "IE"
            if kind is not None:
                found[kind].append((self.subject_of(item), item))
        return found

    def _characteristics(self, found: dict[str, list[tuple[str, Located]]]) -> dict[str, dict[str, Any]]:
        """Subject id -> age, severity_group, methotrexate as read from the screening Observations."""
        values: dict[str, dict[str, Any]] = defaultdict(dict)
        for kind in ("AGE", "SEVGRP", "MTX"):
            for sid, item in found.get(kind, []):
                self.fhir.current = item
                obs = item.resource
                if kind == "AGE":
                    value = (obs.get("valueQuantity") or {}).get("value")
                    values[sid]["age"] = int(value) if isinstance(value, int | float) else None
                elif kind == "SEVGRP":
                    values[sid]["severity_group"] = (obs.get("valueCodeableConcept") or {}).get("text")
                elif isinstance(obs.get("valueBoolean"), bool):
                    values[sid]["methotrexate"] = "Y" if obs["valueBoolean"] else "N"
        return values

    def _visit_num(self, item: Located) -> float:
        """From the visit part of the sponsor identifier '<SUBJID>/<VISITNUM>/...', else the Encounter's visit code."""
        value = identifier_value(item.resource, self.systems["observation"])
        parts = value.split("/") if value else []
        try:
            if len(parts) >= 3:
                return float(parts[1])
        except ValueError:
            pass
        encounter = item.resource.get("encounter")
        if encounter:
            visit = self.fhir.resolve(encounter, item, f"{item.type}.encounter", "Encounter")
            code = next((code_in(t, self.visit_system) for t in visit.resource.get("type") or []), None)
            if code:
                return float(code)
        raise item.fail(f"{item.type}.encounter", "cannot tell the visit (no sponsor identifier, no visit Encounter)")

    def _skin_scores(self, found: dict[str, list[tuple[str, Located]]]) -> list[m.SkinScore]:
        qs_system = codes.sponsor_code_system(self.study.study_id, "qstestcd")
        grouped: dict[tuple[str, float], dict[str, Located]] = defaultdict(dict)
        for sid, item in found.get("MRSS", []):
            self.fhir.current = item
            grouped[(sid, self._visit_num(item))][code_in(item.resource.get("code"), qs_system) or ""] = item
        rows = []
        for (sid, visit_num), by_code in grouped.items():
            total = by_code.get(codes.MRSS_TOTAL_TESTCD)
            anchor = total or next(iter(by_code.values()))
            self.fhir.current = anchor
            obs = anchor.resource
            when = original_dtc(obs, "effectiveDateTime")
            if total is not None and obs.get("status") == "cancelled":
                reason = (obs.get("dataAbsentReason") or {}).get("text")
                rows.append(m.SkinScore(sid, visit_num, when, not_done_reason=reason, origin=anchor.origin))
                continue
            scores = tuple(_integer(by_code[cd].resource) if cd in by_code else None for cd in MRSS_TESTCD)
            derived = "Derived" in str(((total.resource if total else {}).get("method") or {}).get("text"))
            value = None if total is None or derived else _integer(total.resource)
            rows.append(m.SkinScore(sid, visit_num, when, scores, value, origin=anchor.origin))
        return rows

    def _spirometry(self, found: dict[str, list[tuple[str, Located]]]) -> list[m.Spirometry]:
        grouped: dict[tuple[str, float], dict[str, Located]] = defaultdict(dict)
        for kind in ("FVC", "FVCPRED", "FVCPP"):
            for sid, item in found.get(kind, []):
                self.fhir.current = item
                grouped[(sid, self._visit_num(item))][kind] = item
        rows = []
        for (sid, visit_num), by_kind in grouped.items():
            fvc = by_kind.get("FVC")
            anchor = fvc or next(iter(by_kind.values()))
            self.fhir.current = anchor
            obs = anchor.resource
            position = None
            for component in obs.get("component") or []:
                concept = component.get("valueCodeableConcept")
                position = (concept or {}).get("text") or component.get("valueString") or position
            reason = (obs.get("dataAbsentReason") or {}).get("text") if obs.get("status") == "cancelled" else None
            rows.append(
                m.Spirometry(
                    sid,
                    visit_num,
                    original_dtc(obs, "effectiveDateTime"),
                    _quantity(fvc),
                    _quantity(by_kind.get("FVCPRED")),
                    _quantity(by_kind.get("FVCPP")),
                    position,
                    reason,
                    origin=anchor.origin,
                )
            )
        return rows

    def _eligibility(self, found: dict[str, list[tuple[str, Located]]]) -> list[m.EligibilityException]:
        system = codes.sponsor_code_system(self.study.study_id, "criteria")
        rows = []
        for sid, item in found.get("IE", []):
            self.fhir.current = item
            obs = item.resource
            if not isinstance(obs.get("valueBoolean"), bool):
                raise item.fail("Observation.valueBoolean", "an eligibility answer must be true or false")
            criterion = code_in(obs.get("code"), system) or ""
            result = "Y" if obs["valueBoolean"] else "N"
            when = original_dtc(obs, "effectiveDateTime")
            rows.append(m.EligibilityException(sid, criterion, result, when, origin=item.origin))
        return rows

    # --- visits and exposures -------------------------------------------------------------------------------------
    def _visits(self) -> list[m.Visit]:
        rows = []
        for item in self.fhir.each("Encounter"):
            encounter = item.resource
            code = next((code_in(t, self.visit_system) for t in encounter.get("type") or []), None)
            if code is None:
                continue  # not a study visit
            occurred = encounter.get("status") in ("finished", "completed", "in-progress", "arrived")
            period = encounter.get("period" if self.is_r4 else "actualPeriod") or {}
            if self.is_r4:
                reason = ((encounter.get("reasonCode") or [{}])[0]).get("text")
            else:
                values = ((encounter.get("reason") or [{}])[0]).get("value") or [{}]
                reason = (values[0].get("concept") or {}).get("text")
            rows.append(
                m.Visit(
                    self.subject_of(item),
                    float(code),
                    "Y" if occurred else "N",
                    original_dtc(period, "start"),
                    None if occurred else reason,
                    reason if occurred else None,
                    origin=item.origin,
                )
            )
        return rows

    def _exposures(self) -> list[m.Exposure]:
        rows = []
        for item in self.fhir.each("MedicationAdministration"):
            given = item.resource
            sid = self.subject_of(item)
            treatment, lot = administered(self.fhir, item, self.study)
            when_key = "effective" if self.is_r4 else "occurence"
            period = given.get(when_key + "Period") or {}
            start = original_dtc(period, "start") or original_dtc(given, when_key + "DateTime")
            if start is None:
                raise item.fail(f"MedicationAdministration.{when_key}[x]", "required: when it was given (EXSTDTC)")
            dosage = given.get("dosage") or {}
            dose = dosage.get("dose") or {}
            if not isinstance(dose.get("value"), int | float):
                raise item.fail("MedicationAdministration.dosage.dose.value", "required: the dose given (EXDOSE)")
            route = dosage.get("route") or {}
            collected = fields(dosage, sponsor.EXPOSURE)
            rows.append(
                m.Exposure(
                    sid,
                    treatment,
                    start,
                    float(dose["value"]),
                    dose.get("unit") or dose.get("code") or "",
                    route.get("text") or next((c.get("display") for c in codings(route)), None) or "",
                    end=original_dtc(period, "end"),
                    dose_form=collected.get("dose_form"),
                    frequency=collected.get("frequency"),
                    lot=lot,
                    apheresis_date=self._apheresis(item),
                    origin=item.origin,
                )
            )
        return rows

    def _apheresis(self, item: Located) -> str | None:
        for ref in item.resource.get("supportingInformation") or []:
            info = self.fhir.resolve(ref, item, "MedicationAdministration.supportingInformation")
            if info.type == "Procedure":
                procedure = info.resource
                return original_dtc(procedure, "performedDateTime") or original_dtc(procedure, "occurrenceDateTime")
        return None

    # --- adverse events -------------------------------------------------------------------------------------------
    def _adverse_events(self) -> list[m.AdverseEvent]:
        """Every AdverseEvent; one without an identifier is numbered after the subject's highest AESPID."""
        found = [
            (item, self.subject_of(item), ae_number(item, self.systems["ae"]))
            for item in self.fhir.each("AdverseEvent")
        ]
        highest: dict[str, int] = defaultdict(int)
        for _, sid, number in found:
            highest[sid] = max(highest[sid], number or 0)
        reader = AdverseEventReader(self.fhir, self.terms)
        events = []
        for item, sid, number in found:
            self.fhir.current = item
            if number is None:
                highest[sid] += 1
                number = highest[sid]
                self.fhir.warn(item, "AdverseEvent.identifier", f"no identifier: AESPID assumed {number} (input order)")
            events.append(reader.read(item, sid, number))
        self._check_meddra_levels(found, events)
        return events

    def _check_meddra_levels(self, found: list[tuple[Located, str, int | None]], events: list[m.AdverseEvent]) -> None:
        """One warning when events coded to a MedDRA PT carry no levels above it (FHIR codes only the PT/LLT)."""
        bare = [
            item
            for (item, _, _), event in zip(found, events, strict=True)
            if event.pt_code is not None and not extensions(item.resource, sponsor.MEDDRA_HIERARCHY)
        ]
        if bare:
            self.fhir.warn(
                bare[0],
                f"AdverseEvent.extension({sponsor.MEDDRA_HIERARCHY})",
                f"{len(bare)} AdverseEvent(s) coded to a MedDRA PT give no HLT, HLGT or SOC (no sponsor "
                "meddra-hierarchy extension; first one here): AEHLT, AEHLGT, AEBODSYS and AESOC left blank",
            )


def _extension(element: Any, url: str) -> Resource | None:
    found = extensions(element, url)
    return found[0] if found else None


def _omb(patient: Resource, url: str, table: dict[str, tuple[str, str, str]]) -> tuple[str, ...]:
    """CDISC terms from the OMB category codings of a US Core race/ethnicity extension (when it has no text)."""
    found = []
    for part in (_extension(patient, url) or {}).get("extension") or []:
        coding = part.get("valueCoding") or {}
        term = next((k for k, (_, code, _) in table.items() if code == coding.get("code")), None)
        if term:
            found.append(term)
    return tuple(found)


def _integer(obs: Resource) -> int | None:
    value = obs.get("valueInteger")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _quantity(item: Located | None) -> float | None:
    if item is None:
        return None
    value = (item.resource.get("valueQuantity") or {}).get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
