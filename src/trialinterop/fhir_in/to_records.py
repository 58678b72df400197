"""FHIR resources -> `TrialRecords`, the inverse of `trialinterop.fhir` and, where it speaks, of the HL7
FHIR-to-CDISC Joint Mapping IG (DM from Patient + ResearchSubject with SITEID from the site-level study; AE from
AdverseEvent: term, MedDRA coding, dates, seriousness, severity, causality, outcome; findings from Observation).
An AdverseEvent without onset, seriousness, severity, causality, action or outcome reads back as an incomplete AE
with None in those fields (never a default term).

Subject: Patient + ResearchSubject (+ age, severity-group and methotrexate Observations). Exposures:
MedicationAdministration (+ the apheresis Procedure it cites). Visits: Encounter. mRSS and FVC: Observations keyed by
the sponsor test codes / LOINC. Dispositions: the sponsor disposition extension of ResearchSubject, else its end
state. Eligibility exceptions: Observations coded with the criteria CodeSystem.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path
from typing import Any

from trialinterop.ct import Terminology, load_terminology
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_observations import MRSS_TESTCD
from trialinterop.fhir_in.load import FhirInput, Located, fail, read_fhir
from trialinterop.fhir_in.to_study import build_study, main_study
from trialinterop.fhir_in.values import (
    cdisc_term,
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
from trialinterop.source import models as m
from trialinterop.source.models import SERIOUSNESS_CRITERIA

Resource = dict[str, Any]
SUSPECT = "AdverseEvent.suspectEntity.causality.entityRelatedness"
R4_OCCURRENCE_EXTENSION = "http://hl7.org/fhir/5.0/StructureDefinition/extension-AdverseEvent.occurrence"


def load_fhir_trial(source: str | Path, *, version: str = "auto") -> m.TrialRecords:
    """Read a Bundle file or NDJSON folder and rebuild the trial's records."""
    return fhir_to_records(read_fhir(source, version=version))


def fhir_to_records(fhir: FhirInput, terminology: Terminology | None = None) -> m.TrialRecords:
    """The records of the trial; an element of the wrong JSON type anywhere is an InputError naming its resource."""
    try:
        return _Reader(fhir, terminology or load_terminology()).records()
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        where = fhir.current.where if fhir.current is not None else str(fhir.source)
        detail = f"{type(exc).__name__}: {exc}"
        raise fail(f"malformed resource: an element has the wrong JSON type or shape ({detail})", where=where) from None


class _Reader:
    def __init__(self, fhir: FhirInput, terminology: Terminology) -> None:
        self.fhir = fhir
        self.terms = terminology
        self.is_r4 = fhir.version == "R4"
        self.study = build_study(fhir, main_study(fhir))
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
        subject_id = subject_id or identifier_value(rs, None) or identifier_value(patient, None)
        if not subject_id:
            raise item.fail(
                "ResearchSubject.identifier", "no subject identifier (SUBJID) on ResearchSubject or Patient"
            )
        self.patient_subject[id(patient)] = subject_id
        if not rs.get("study"):
            raise item.fail("ResearchSubject.study", "required: the (site-level) ResearchStudy")
        site_item = self.fhir.resolve(rs["study"], item, "ResearchSubject.study", "ResearchStudy")
        site_id = identifier_value(site_item.resource, self.systems["site"]) or identifier_value(
            site_item.resource, None
        )
        site = self.study.site(site_id or "")
        if site is None:
            raise item.fail("ResearchSubject.study", "must be a site-level ResearchStudy (partOf the trial) for SITEID")
        progress = (rs.get("progress") or [{}])[0]
        consent = (rs.get("period") or {}).get("start") if self.is_r4 else progress.get("startDate")
        if not consent:
            where = "ResearchSubject.period.start" if self.is_r4 else "ResearchSubject.progress.startDate"
            raise item.fail(where, "required: the informed consent date (RFICDTC)")
        state = rs.get("status") if self.is_r4 else code_in(progress.get("subjectState"), codes.SUBJECT_STATE_SYSTEM)
        race_text = extension_value(_extension(patient, codes.US_CORE_RACE), "text")
        ethnicity = extension_value(_extension(patient, codes.US_CORE_ETHNICITY), "text")
        gender = patient.get("gender")
        address = (patient.get("address") or [{}])[0]
        subject = m.Subject(
            subject_id=subject_id,
            site_id=site.site_id,
            sex=reverse(codes.GENDER, gender) or "U",
            country=address.get("country") or site.country,
            consent_date=record_dtc(consent) or consent,
            enrolled="N" if state == "ineligible" else "Y",
            birth_date=patient.get("birthDate"),
            race=tuple(race_text.split("|")) if race_text else _omb(patient, codes.US_CORE_RACE, codes.RACE_OMB),
            ethnicity=ethnicity or (_omb(patient, codes.US_CORE_ETHNICITY, codes.ETHNICITY_OMB) or (None,))[0],
            death_date=original_dtc(patient, "deceasedDateTime"),
            origin=patient_item.origin,
        )
        return subject, self._dispositions(item, subject_id, state, progress)

    def _dispositions(self, item: Located, subject_id: str, state: Any, progress: Resource) -> list[m.Disposition]:
        rows = []
        for extension in extensions(item.resource, sponsor.DISPOSITION):
            facts = {name: values[0] for name, values in sponsor.read_fields(extension).items()}
            if not facts.get("event") or not facts.get("event_date"):
                raise item.fail(f"ResearchSubject.extension({sponsor.DISPOSITION})", "needs event and event_date")
            rows.append(
                m.Disposition(
                    subject_id,
                    facts["event"],
                    facts.get("term", facts["event"]),
                    facts["event_date"],
                    facts.get("last_contact_date"),
                    origin=item.origin,
                )
            )
        if rows or state in (None, "on-study", "active", "candidate", "eligible"):
            return rows
        end = (item.resource.get("period") or {}).get("end") if self.is_r4 else progress.get("endDate")
        if not end:
            return rows
        if self.is_r4:
            event = {"ineligible": "SCREEN FAILURE", "off-study": "COMPLETED"}.get(state, "WITHDRAWAL BY SUBJECT")
            term = event.capitalize()
        else:
            reason = progress.get("reason")
            event = cdisc_term(item, "ResearchSubject.progress.reason", reason, "NCOMPLT", self.terms)
            term = (reason or {}).get("text") or event
        return [m.Disposition(subject_id, event, term, record_dtc(end) or end, origin=item.origin)]

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
            treatment, lot = self._medication(item)
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
                    route.get("text") or next((c.get("display") for c in codings(route)), ""),
                    end=original_dtc(period, "end"),
                    dose_form=collected.get("dose_form"),
                    frequency=collected.get("frequency"),
                    lot=lot,
                    apheresis_date=self._apheresis(item),
                    origin=item.origin,
                )
            )
        return rows

    def _medication(self, item: Located) -> tuple[str, str | None]:
        """Treatment name (the intervention's) and lot of an administration."""
        given = item.resource
        ref = given.get("medicationReference") if self.is_r4 else (given.get("medication") or {}).get("reference")
        if ref is None:
            concept = given.get("medicationCodeableConcept") if self.is_r4 else (given.get("medication") or {})
            concept = concept.get("concept", concept) if not self.is_r4 else concept
            text = (concept or {}).get("text")
            if not text:
                raise item.fail("MedicationAdministration.medication[x]", "required: the treatment given (EXTRT)")
            return text, None
        element = (
            "MedicationAdministration.medicationReference" if self.is_r4 else "MedicationAdministration.medication"
        )
        medication = self.fhir.resolve(ref, item, element, "Medication").resource
        lot = (medication.get("batch") or {}).get("lotNumber")
        name = (medication.get("code") or {}).get("text")
        code = (identifier_value(medication, None) or "").split("/")[0]
        intervention = next((i for i in self.study.interventions if i.code == code or i.name == name), None)
        treatment = intervention.treatment if intervention is not None else name
        if not treatment:
            raise item.fail(element, "the Medication names no treatment (code.text)")
        return treatment, lot

    def _apheresis(self, item: Located) -> str | None:
        for ref in item.resource.get("supportingInformation") or []:
            info = self.fhir.resolve(ref, item, "MedicationAdministration.supportingInformation")
            if info.type == "Procedure":
                procedure = info.resource
                return original_dtc(procedure, "performedDateTime") or original_dtc(procedure, "occurrenceDateTime")
        return None

    # --- adverse events -------------------------------------------------------------------------------------------
    def _adverse_events(self) -> list[m.AdverseEvent]:
        return [self._adverse_event(item) for item in self.fhir.each("AdverseEvent")]

    def _adverse_event(self, item: Located) -> m.AdverseEvent:
        ae = item.resource
        r4 = self.is_r4
        sid = self.subject_of(item)
        ident = identifier_value(ae, self.systems["ae"]) or identifier_value(ae, None) or ""
        try:
            ae_id = int(ident.rsplit("/", 1)[-1])
        except ValueError:
            raise item.fail("AdverseEvent.identifier", f"AE number expected after '/', got {ident!r}") from None
        event_element = "AdverseEvent.event" if r4 else "AdverseEvent.code"
        concept = ae.get("event" if r4 else "code") or self._resulting_condition(item) or {}
        term = concept.get("text") or next((c.get("display") for c in codings(concept) if c.get("display")), None)
        if not term:
            raise item.fail(event_element + ".text", "required: the reported term (AETERM)")
        meddra = [c for c in codings(concept) if c.get("system") == codes.MEDDRA]
        pt = next((c for c in meddra if not c.get("userSelected")), None)
        llt = next((c for c in meddra if c.get("userSelected")), pt)
        hierarchy = fields(ae, sponsor.MEDDRA_HIERARCHY)
        own_llt = "llt" in hierarchy or "llt_code" in hierarchy  # the LLT has no coding of its own
        base = "http://hl7.org/fhir/uv/ae-research-backport-ig" if r4 else "http://hl7.org/fhir/uv/ae-research-ig"
        base += "/StructureDefinition"
        if r4:
            start = original_dtc(ae, "date")
            end = fields(ae, sponsor.AE_END).get("end") or record_dtc(extension_value(ae, base + "/resolve-date"))
            occurrence = extension_value(ae, R4_OCCURRENCE_EXTENSION)  # the Joint Mapping IG's AEENDTC
            end = end or record_dtc((occurrence or {}).get("end") if isinstance(occurrence, dict) else None)
            severity = ae.get("severity")
            suspects = extensions(ae, base + "/suspect-entity")
            causality = [extension_value(_extension(s, "causality"), "entityRelatedness") for s in suspects]
            action = extension_value(_extension(ae, base + "/mitigating-action"), "item")
            outcome = ae.get("outcome")
        else:
            period = ae.get("occurrencePeriod") or {}
            start = original_dtc(period, "start") or original_dtc(ae, "occurrenceDateTime")
            end = original_dtc(period, "end")
            severity = extension_value(ae, base + "/ae-severity")
            causality = [(s.get("causality") or {}).get("entityRelatedness") for s in ae.get("suspectEntity") or []]
            action = ((ae.get("mitigatingAction") or [{}])[0]).get("itemCodeableConcept")
            outcome = (ae.get("outcome") or [None])[0]
        criteria, specify = self._criteria(ae, base)
        answers = fields(ae, sponsor.SERIOUSNESS_ANSWERS)
        criteria |= {name: answers[name] for name in SERIOUSNESS_CRITERIA if name in answers}
        specify = specify or answers.get("serious_specify")
        seriousness = ae.get("seriousness")
        serious = (
            None if seriousness is None else "Y" if code_in(seriousness, codes.SERIOUSNESS_SYSTEM) == "serious" else "N"
        )
        grade = reverse(codes.CTCAE_GRADE, code_in(extension_value(ae, base + "/ae-grade"), codes.NCI), index=0)
        return m.AdverseEvent(
            subject_id=sid,
            ae_id=ae_id,
            term=term,
            start=start or None,
            serious=serious,
            severity=_optional_term(item, "AdverseEvent.severity", severity, "AESEV", self.terms),
            relationship=_optional_term(item, SUSPECT, causality[0] if causality else None, "AEREL", self.terms),
            action=_optional_term(item, "AdverseEvent.mitigatingAction", action, "ACN", self.terms),
            outcome=self._outcome(item, outcome) if outcome is not None else None,
            end=end,
            llt=hierarchy.get("llt") if own_llt else (llt or {}).get("display"),
            llt_code=_int(hierarchy.get("llt_code") if own_llt else (llt or {}).get("code")),
            pt=(pt or {}).get("display"),
            pt_code=_int((pt or {}).get("code")),
            hlt=hierarchy.get("hlt"),
            hlt_code=_int(hierarchy.get("hlt_code")),
            hlgt=hierarchy.get("hlgt"),
            hlgt_code=_int(hierarchy.get("hlgt_code")),
            soc=hierarchy.get("soc"),
            soc_code=_int(hierarchy.get("soc_code")),
            meddra_version=(pt or {}).get("version") or hierarchy.get("meddra_version"),
            serious_specify=specify,
            ctcae_grade=int(grade) if grade is not None else None,
            origin=item.origin,
            **criteria,
        )

    def _resulting_condition(self, item: Located) -> Resource | None:
        """The code of the Condition the event resulted in (the Joint Mapping IG's AETERM/MedDRA source) when the event
        itself carries no code."""
        element = "resultingCondition" if self.is_r4 else "resultingEffect"
        for ref in item.resource.get(element) or []:
            condition = self.fhir.resolve(ref, item, f"AdverseEvent.{element}", "Condition").resource
            return condition.get("code")
        return None

    def _outcome(self, item: Located, concept: Any) -> str:
        """AEOUT from the NCI code of the CDISC term, else from the R4 core outcome code."""
        core = reverse(codes.R4_AE_OUTCOME, code_in(concept, codes.R4_AE_OUTCOME_SYSTEM))
        if core is not None and not code_in(concept, codes.NCI):
            return core
        return cdisc_term(item, "AdverseEvent.outcome", concept, "OUT", self.terms)

    def _criteria(self, ae: Resource, base: str) -> tuple[dict[str, str], str | None]:
        answers, specify = {}, None
        for extension in extensions(ae, base + "/seriousness-criteria"):
            concept = extension_value(extension, "criterionCode")
            name = reverse(codes.SERIOUSNESS_CRITERIA, code_in(concept, codes.NCI), index=0)
            present = extension_value(extension, "criterionPresent")
            if name is None:
                continue
            answers[name] = "Y" if present else "N"
            if name == "medically_important":
                specify = (concept or {}).get("text")
        return answers, specify


def _optional_term(item: Located, element: str, concept: Any, codelist: str, terminology: Terminology) -> str | None:
    """`cdisc_term` of an element an incomplete AE may lack: absent stays None (never a default term)."""
    return None if concept is None else cdisc_term(item, element, concept, codelist, terminology)


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


def _int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _integer(obs: Resource) -> int | None:
    value = obs.get("valueInteger")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _quantity(item: Located | None) -> float | None:
    if item is None:
        return None
    value = (item.resource.get("valueQuantity") or {}).get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
