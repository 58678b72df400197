"""FHIR resources -> `TrialRecords`, the inverse of `trialinterop.fhir` and, where it speaks, of the HL7
FHIR-to-CDISC Joint Mapping IG (DM from Patient + ResearchSubject with STUDYID from the parent study and SITEID from
the site-level study; AE from AdverseEvent, see fhir_in.adverse_events; findings from Observation).

The study definition is the one given (`study`: a definition file, a bundled study id or a `StudyDefinition`;
fhir_in.given_study), else rebuilt from the input (fhir_in.to_study), which cannot know the findings instruments.
Subject: Patient + ResearchSubject (assigned/actual arm, + age and subject-attribute Observations); the informed
consent date from ResearchSubject.period.start (R5 progress.startDate), else the referenced Consent's date.
Exposures: MedicationAdministration matched to a study intervention (+ the Procedure of its `preceded_by` it cites).
Visits: Encounter. Findings: Observations matched to the definition's tests (fhir_in.findings). Dispositions:
fhir_in.dispositions. Eligibility exceptions: Observations coded with the criteria CodeSystem. Concomitant
medications and medical history: MedicationStatement and Condition (fhir_in.history).

Every Observation, Condition and MedicationStatement is accounted for: one that maps to nothing (e.g. any finding when
the definition was rebuilt from FHIR) is listed with its count; `strict` (the default) refuses the input then, else
each is a warning. Every fallback taken is a warning in `FhirTrial.warnings`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trialinterop.ct import Terminology, load_terminology
from trialinterop.definition import StudyDefinition
from trialinterop.errors import InputError
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir_in.adverse_events import AdverseEventReader, ae_number
from trialinterop.fhir_in.arms import subject_arms
from trialinterop.fhir_in.dispositions import read_dispositions
from trialinterop.fhir_in.findings import TestIndex, identifier_key, is_derived, read_finding
from trialinterop.fhir_in.given_study import read_given_definition
from trialinterop.fhir_in.history import HistoryReader
from trialinterop.fhir_in.interventions import administered
from trialinterop.fhir_in.load import FhirInput, Located, fail, read_fhir
from trialinterop.fhir_in.to_study import attribute_value, build_definition, main_study
from trialinterop.fhir_in.unmapped import Unmapped
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
from trialinterop.issues import Issue, Severity
from trialinterop.source import models as m
from trialinterop.spec.from_definition import declared_codelists

Resource = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class FhirTrial:
    records: m.TrialRecords
    warnings: tuple[Issue, ...] = ()
    """What was assumed where the input did not say (each names resource and element)."""


StudyOption = str | Path | StudyDefinition | None


def read_fhir_trial(
    source: str | Path, *, version: str = "auto", study: StudyOption = None, strict: bool = True
) -> FhirTrial:
    """Read a Bundle file or NDJSON folder and rebuild the trial's records under the study definition `study` (a
    definition file, a bundled study id or a definition; None: rebuilt from the input). `strict`: Observations that
    map to nothing are an InputError (else warnings)."""
    fhir = read_fhir(source, version=version)
    records = fhir_to_records(fhir, study=study, strict=strict)
    return FhirTrial(records, tuple(fhir.warnings))


def load_fhir_trial(
    source: str | Path, *, version: str = "auto", study: StudyOption = None, strict: bool = True
) -> m.TrialRecords:
    """The records of `read_fhir_trial` (its warnings dropped)."""
    return read_fhir_trial(source, version=version, study=study, strict=strict).records


def fhir_to_records(
    fhir: FhirInput, terminology: Terminology | None = None, *, study: StudyOption = None, strict: bool = True
) -> m.TrialRecords:
    """The records of the trial; an element of the wrong JSON type anywhere is an InputError naming its resource."""
    try:
        given = read_given_definition(fhir, study) if study is not None else None
        reader = _Reader(fhir, terminology or load_terminology(), given)
        records = reader.records()
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        where = fhir.current.where if fhir.current is not None else str(fhir.source)
        detail = f"{type(exc).__name__}: {exc}"
        raise fail(f"malformed resource: an element has the wrong JSON type or shape ({detail})", where=where) from None
    if reader.unmapped.total and strict:
        issues = reader.unmapped.issues(given=given is not None, severity=Severity.ERROR)
        raise InputError(issues, summary=reader.unmapped.summary(given=given is not None))
    fhir.warnings.extend(reader.unmapped.issues(given=given is not None))
    return records


class _Reader:
    def __init__(self, fhir: FhirInput, terminology: Terminology, given: StudyDefinition | None) -> None:
        self.fhir = fhir
        self.is_r4 = fhir.version == "R4"
        self.definition = given if given is not None else build_definition(fhir, main_study(fhir))
        # the study's own codelists (e.g. its causality terms) replace the bundled ones, as in its specification
        self.terms = Terminology({**terminology.codelists, **declared_codelists(self.definition)})
        sid, base = self.definition.study.id, self.definition.code_system_base
        kinds = ("subject", "site", "ae", "observation", "cm", "mh")
        self.systems = {kind: codes.identifier_system(base, sid, kind) for kind in kinds}
        self.visit_system = codes.sponsor_code_system(base, sid, "visit")
        self.patient_subject: dict[int, str] = {}
        """id() of a Patient resource -> subject id."""
        self.unmapped = Unmapped()

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
        exposures = self._exposures()
        subjects = [self._record_arms(s, exposures) for s in subjects]
        history = HistoryReader(self.fhir, self.subject_of, self.systems, self.unmapped)
        return m.TrialRecords(
            definition=self.definition,
            subjects=tuple(sorted(subjects, key=lambda r: r.subject_id)),
            exposures=tuple(sorted(exposures, key=lambda r: (r.subject_id, r.start, r.treatment))),
            adverse_events=tuple(sorted(self._adverse_events(), key=lambda r: (r.subject_id, r.ae_id))),
            findings=tuple(sorted(self._findings(observations), key=self._finding_order())),
            visits=tuple(sorted(self._visits(), key=lambda r: (r.subject_id, r.visit_num))),
            dispositions=tuple(sorted(dispositions, key=lambda r: (r.subject_id, r.event))),
            eligibility=tuple(sorted(self._eligibility(observations), key=lambda r: (r.subject_id, r.criterion_id))),
            medications=tuple(sorted(history.medications(), key=lambda r: (r.subject_id, r.cm_id))),
            medical_history=tuple(sorted(history.medical_history(), key=lambda r: (r.subject_id, r.mh_id))),
        )

    def _finding_order(self) -> Callable[[m.Finding], tuple[str, int, float, str, int]]:
        """Subject, then instrument in definition order, visit, time point and test in definition order."""
        rank = {
            (i.code, t.testcd): (n, k) for n, i in enumerate(self.definition.instruments) for k, t in enumerate(i.tests)
        }

        def key(row: m.Finding) -> tuple[str, int, float, str, int]:
            instrument, test = rank[(row.instrument, row.testcd)]
            return (row.subject_id, instrument, row.visit_num, row.timepoint or "", test)

        return key

    def _record_arms(self, subject: m.Subject, exposures: list[m.Exposure]) -> m.Subject:
        """The arms as the records state them (the inverse of fhir.facts): the only arm of a one-arm study, assigned
        to an enrolled subject, is left implicit (None); the actual arm is left implicit when it is what the assigned
        arm implies (that arm when the subject received any of its interventions, else none)."""
        definition = self.definition
        assigned, actual = subject.arm, subject.actual_arm
        arm = definition.arm(assigned) if assigned else None
        treated = False
        if arm is not None:
            treatments = {i.treatment for i in definition.interventions if i.code in arm.interventions}
            treated = any(e.subject_id == subject.subject_id and e.treatment in treatments for e in exposures)
        if actual == (assigned if treated else None):
            actual = None
        if len(definition.arms) == 1 and subject.enrolled == "Y" and assigned == definition.arms[0].code:
            assigned = None
        return dataclasses.replace(subject, arm=assigned, actual_arm=actual)

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
        arm, actual_arm = subject_arms(item, self.definition, self.fhir.version)
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
            site_id=site.id,
            sex=sex or "U",
            country=address.get("country") or site.country,
            consent_date=record_dtc(consent) or consent,
            enrolled="N" if state == "ineligible" else "Y",
            birth_date=patient.get("birthDate"),
            race=tuple(race_text.split("|")) if race_text else _omb(patient, codes.US_CORE_RACE, codes.RACE_OMB),
            ethnicity=ethnicity or (_omb(patient, codes.US_CORE_ETHNICITY, codes.ETHNICITY_OMB) or (None,))[0],
            arm=arm,
            actual_arm=actual_arm,
            death_date=original_dtc(patient, "deceasedDateTime"),
            origin=patient_item.origin,
        )
        rows = read_dispositions(
            self.fhir, item, subject_id, state=state, progress=progress, patient=patient, terms=self.terms
        )
        return subject, rows

    def _site(self, item: Located) -> Any:
        """The study site of a ResearchSubject: SITEID is the identifier of its (site-level) ResearchStudy."""
        if not item.resource.get("study"):
            raise item.fail("ResearchSubject.study", "required: the (site-level) ResearchStudy")
        site_item = self.fhir.resolve(item.resource["study"], item, "ResearchSubject.study", "ResearchStudy")
        resource = site_item.resource
        site_id = identifier_value(resource, self.systems["site"]) or identifier_value(resource, None)
        site = self.definition.site(site_id or "")
        if site is None:
            known = ", ".join(s.id for s in self.definition.sites) or "none"
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
        """Observations by what they record: AGE, ATTRIBUTE (a subject attribute), IE (an eligibility answer), FINDING
        (a test of an instrument); derived totals of a known test are dropped (the SDTM builder derives them), any
        other Observation is counted as not mapped."""
        definition = self.definition
        sid, base = definition.study.id, definition.code_system_base
        self.tests = TestIndex(definition)
        characteristic = codes.sponsor_code_system(base, sid, "subject-characteristic")
        criteria = codes.sponsor_code_system(base, sid, "criteria")
        found: dict[str, list[tuple[str, Located]]] = defaultdict(list)
        for item in self.fhir.each("Observation"):
            concept = item.resource.get("code")
            subject_id = self.subject_of(item)
            if self.tests.candidates(concept):
                kind: str | None = None if is_derived(item.resource) else "FINDING"
                if kind is None:
                    continue
            elif code_in(concept, codes.LOINC) == codes.LOINC_AGE[0]:
                kind = "AGE"
            elif code_in(concept, characteristic) in self.attribute_names:
                kind = "ATTRIBUTE"
            elif code_in(concept, criteria):
                kind = "IE"
            else:
                self.unmapped.add(item, concept)
                continue
            found[kind].append((subject_id, item))
        return found

    @property
    def attribute_names(self) -> dict[str, str]:
        """Code in the subject-characteristic CodeSystem (QNAM or name) -> attribute name."""
        return {a.qnam or a.name: a.name for a in self.definition.subjects.attributes}

    def _characteristics(self, found: dict[str, list[tuple[str, Located]]]) -> dict[str, dict[str, Any]]:
        """Subject id -> age and attributes (definition order) as read from the screening Observations."""
        values: dict[str, dict[str, Any]] = defaultdict(dict)
        attributes: dict[str, dict[str, str]] = defaultdict(dict)
        names = self.attribute_names
        base, study_id = self.definition.code_system_base, self.definition.study.id
        system = codes.sponsor_code_system(base, study_id, "subject-characteristic")
        for sid, item in found.get("AGE", []):
            self.fhir.current = item
            value = (item.resource.get("valueQuantity") or {}).get("value")
            values[sid]["age"] = int(value) if isinstance(value, int | float) else None
        for sid, item in found.get("ATTRIBUTE", []):
            self.fhir.current = item
            value = attribute_value(item.resource)
            if value is not None:
                attributes[sid][names[code_in(item.resource.get("code"), system) or ""]] = value
        order = [a.name for a in self.definition.subjects.attributes]
        for sid, given in attributes.items():
            values[sid]["attributes"] = tuple((name, given[name]) for name in order if name in given)
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

    def _findings(self, found: dict[str, list[tuple[str, Located]]]) -> list[m.Finding]:
        rows = []
        for sid, item in found.get("FINDING", []):
            self.fhir.current = item
            key = identifier_key(item.resource, self.systems["observation"], sid)
            test = self.tests.match(item, key)
            if test is not None:
                rows.append(read_finding(item, test, sid, self._visit_num(item), key))
        return rows

    def _eligibility(self, found: dict[str, list[tuple[str, Located]]]) -> list[m.EligibilityException]:
        system = codes.sponsor_code_system(self.definition.code_system_base, self.definition.study.id, "criteria")
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
            treatment, lot = administered(self.fhir, item, self.definition)
            when_key = "effective" if self.is_r4 else "occurence"
            period = given.get(when_key + "Period") or {}
            start = original_dtc(period, "start") or original_dtc(given, when_key + "DateTime")
            if start is None:
                raise item.fail(f"MedicationAdministration.{when_key}[x]", "required: when it was given (EXSTDTC)")
            dosage = given.get("dosage") or {}
            dose = dosage.get("dose") or {}
            value = dose.get("value")
            if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
                raise item.fail("MedicationAdministration.dosage.dose.value", f"a number expected, got {value!r}")
            route = dosage.get("route") or {}
            collected = fields(dosage, sponsor.EXPOSURE)
            rows.append(
                m.Exposure(
                    sid,
                    treatment,
                    start,
                    float(value) if value is not None else None,
                    dose.get("unit") or dose.get("code") or None,
                    route.get("text") or next((c.get("display") for c in codings(route)), None) or "",
                    end=original_dtc(period, "end"),
                    dose_form=collected.get("dose_form"),
                    frequency=collected.get("frequency"),
                    lot=lot,
                    preceded_by_date=self._preceded_by(item),
                    origin=item.origin,
                )
            )
        return rows

    def _preceded_by(self, item: Located) -> str | None:
        """The date of the Procedure the administration cites (the intervention's `preceded_by`)."""
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
