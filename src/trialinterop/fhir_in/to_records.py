"""One subject group's FHIR resources -> its records (`SubjectReader`, run by fhir_in.subjects.map_subject): the
inverse of `trialinterop.fhir` and, where it speaks, of the HL7 FHIR-to-CDISC Joint Mapping IG (DM from Patient +
ResearchSubject with STUDYID from the parent study and SITEID from the site-level study; AE from AdverseEvent, see
fhir_in.adverse_events; findings from Observation).

The study definition is given to the reader (fhir_in.pipeline decides it once: the one given with --study, else
rebuilt from the input, which cannot know the findings instruments).
Subject: Patient + ResearchSubject (assigned/actual arm, + age and subject-attribute Observations); the site (see
`_site`); the informed consent date (see `_consent_date`). Exposures: MedicationAdministration matched to a study
intervention (+ the Procedure of its `preceded_by` it cites); any other administration is a concomitant medication.
Visits: Encounter. Findings: Observations matched to the definition's tests (fhir_in.findings). Dispositions:
fhir_in.dispositions. Eligibility exceptions: Observations coded with the criteria CodeSystem. Concomitant
medications and medical history: MedicationStatement, MedicationRequest and Condition (fhir_in.history).

Each resource is mapped under `FhirInput.attempt`: a problem is recorded and that resource left out, so one run lists
every problem. What maps to nothing goes to `unmapped`; every resource mapped is marked with its datasets (coverage).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from typing import Any

from trialinterop.countries import to_alpha3
from trialinterop.ct import Terminology
from trialinterop.definition import StudyDefinition
from trialinterop.errors import InputError
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir_in.adverse_events import AdverseEventReader, ae_number
from trialinterop.fhir_in.arms import subject_arms
from trialinterop.fhir_in.collected import visit_number
from trialinterop.fhir_in.dispositions import read_dispositions, read_unplanned_elements
from trialinterop.fhir_in.findings import TestIndex, identifier_key, is_derived, read_finding
from trialinterop.fhir_in.history import HistoryReader
from trialinterop.fhir_in.interventions import administered
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.observations import read_observed_findings
from trialinterop.fhir_in.procedures import read_procedures
from trialinterop.fhir_in.supplemental import exposure_values, resulting_concept, unread_ae_values
from trialinterop.fhir_in.terms import cdisc_route, cdisc_unit
from trialinterop.fhir_in.to_study import attribute_value
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

Resource = dict[str, Any]


@dataclasses.dataclass
class SubjectRecords:
    """The records one subject group gave (unsorted; fhir_in.assemble sorts and joins the groups)."""

    subjects: list[m.Subject] = dataclasses.field(default_factory=list)
    exposures: list[m.Exposure] = dataclasses.field(default_factory=list)
    adverse_events: list[m.AdverseEvent] = dataclasses.field(default_factory=list)
    findings: list[m.Finding] = dataclasses.field(default_factory=list)
    visits: list[m.Visit] = dataclasses.field(default_factory=list)
    dispositions: list[m.Disposition] = dataclasses.field(default_factory=list)
    eligibility: list[m.EligibilityException] = dataclasses.field(default_factory=list)
    medications: list[m.ConcomitantMedication] = dataclasses.field(default_factory=list)
    medical_history: list[m.MedicalHistoryEvent] = dataclasses.field(default_factory=list)
    procedures: list[m.Procedure] = dataclasses.field(default_factory=list)
    supplemental: list[m.SupplementalValue] = dataclasses.field(default_factory=list)
    unplanned_elements: list[m.UnplannedElement] = dataclasses.field(default_factory=list)
    bare_meddra: list[Located] = dataclasses.field(default_factory=list)
    """AdverseEvents coded to a MedDRA PT without the levels above it (one warning for the whole input)."""


NOT_IN_STUDY = "the Patient takes part in no ResearchSubject of this study"
CANDIDATE = "a candidate who has not given informed consent (not a study subject)"


class SubjectReader:
    """Maps the resources of one subject group (`fhir`: the group over the shared resources) under `definition`."""

    def __init__(
        self,
        fhir: FhirInput,
        terminology: Terminology,
        definition: StudyDefinition,
        *,
        site: str | None = None,
        tests: TestIndex | None = None,
    ) -> None:
        self.fhir = fhir
        self.terms = terminology
        self.is_r4 = fhir.version == "R4"
        self.definition = definition
        self.site_default = site
        self.test_index = tests
        """The definition's tests by code (built once per run by the caller, else here)."""
        sid, base = self.definition.study.id, self.definition.code_system_base
        kinds = ("subject", "site", "ae", "observation", "cm", "mh", "aespid", "cmspid", "mhspid")
        self.systems = {kind: codes.identifier_system(base, sid, kind) for kind in kinds}
        self.visit_system = codes.sponsor_code_system(base, sid, "visit")
        self.patient_subject: dict[int, str] = {}
        """id() of a Patient resource -> subject id."""
        self._subject_by_reference: dict[str, str] = {}
        """Reference text -> subject id, once resolved (a subject's resources repeat one reference)."""
        self.unmapped = Unmapped()
        self.other_medications: list[Located] = []
        self.exposure_routes: list[m.SupplementalValue] = []
        """SUPPEX EXSRCRT: routes no CDISC ROUTE term maps, as given (fhir_in.terms.cdisc_route)."""
        self.preceding: set[int] = set()
        """id() of the Procedures study administrations cite (their date is EX's; not PR records)."""
        self.observed: list[m.Finding] = []
        """Vital signs and laboratory results outside the study's instruments (fhir_in.observations)."""
        """MedicationAdministrations of anything but a study intervention (read as CM)."""

    # --- subjects -------------------------------------------------------------------------------------------------
    def records(self) -> SubjectRecords:
        out = SubjectRecords()
        for item in self.fhir.each("ResearchSubject"):
            with self.fhir.attempt(item):
                if self._unconsented_candidate(item):
                    self.fhir.ignore(item, CANDIDATE)
                    continue
                subject, rows = self._subject(item)
                out.subjects.append(subject)
                out.dispositions.extend(rows)
                self.fhir.map_to(item, "DM")
                if rows:
                    self.fhir.map_to(item, "DS")
                elements = read_unplanned_elements(item, subject.subject_id)
                out.unplanned_elements.extend(elements)
                if elements:
                    self.fhir.map_to(item, "SE")
        if not out.subjects:
            return out
        observations = self._observations_by_kind()
        characteristics = self._characteristics(observations)
        out.subjects = [dataclasses.replace(s, **characteristics.get(s.subject_id, {})) for s in out.subjects]
        out.exposures = self._exposures()
        out.subjects = [self._record_arms(s, out.exposures) for s in out.subjects]
        out.adverse_events = self._adverse_events(out.bare_meddra, out.supplemental)
        out.findings = [*self._findings(observations), *self.observed]
        out.visits = self._visits()
        out.eligibility = self._eligibility(observations)
        history = HistoryReader(
            self.fhir,
            self.subject_of,
            self.systems,
            self.unmapped,
            visit_system=self.visit_system,
            interventions=self.definition.interventions,
        )
        out.medications = history.medications(self.other_medications)
        out.medical_history = history.medical_history()
        out.supplemental += [*self.exposure_routes, *history.supplemental]
        out.procedures = read_procedures(self.fhir, self.subject_of, self._study_visit, self.unmapped, self.preceding)
        return out

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

    def _unconsented_candidate(self, item: Located) -> bool:
        """An R4 ResearchSubject in state candidate (or potential-candidate) with no consent date anywhere: not yet a
        subject of the study (DM holds those who gave informed consent)."""
        if not self.is_r4 or item.resource.get("status") not in ("candidate", "potential-candidate"):
            return False
        try:
            self._consent_date(item)
        except InputError:
            return True
        return False

    def _subject(self, item: Located) -> tuple[m.Subject, list[m.Disposition]]:
        rs = item.resource
        key = "individual" if self.is_r4 else "subject"
        if not rs.get(key):
            raise item.fail(f"ResearchSubject.{key}", "required: the Patient taking part")
        patient_item = self.fhir.resolve(rs[key], item, f"ResearchSubject.{key}", "Patient")
        patient = patient_item.resource
        self.fhir.map_to(patient_item, "DM")
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
        ethnic = self._coded_text(ethnicity, _omb(patient, codes.US_CORE_ETHNICITY, codes.ETHNICITY_OMB), ("ETHNIC",))
        gender = patient.get("gender")
        sex = reverse(codes.GENDER, gender)
        if sex is None:
            self.fhir.warn(patient_item, "Patient.gender", f"gender {gender!r} gives no SEX: assumed U (unknown)")
        address = (patient.get("address") or [{}])[0]
        consent = self._consent_date(item, required=False)
        if patient.get("deceasedBoolean") is True:
            message = "deceased, but no date: DTHDTC unknown and DTHFL not set (give deceasedDateTime)"
            self.fhir.warn(patient_item, "Patient.deceasedBoolean", message)
        subject = m.Subject(
            subject_id=subject_id,
            site_id=site.id,
            sex=sex or "U",
            country=self._country(item, address.get("country"), site),
            consent_date=(record_dtc(consent) or consent) if consent else None,
            enrolled="N" if state == "ineligible" else "Y",
            birth_date=patient.get("birthDate"),
            race=self._coded_text(race_text, _omb(patient, codes.US_CORE_RACE, codes.RACE_OMB), ("RACE", "RACEDM")),
            ethnicity=(ethnic or (None,))[0],
            arm=arm,
            actual_arm=actual_arm,
            death_date=original_dtc(patient, "deceasedDateTime"),
            collection_date=fields(patient, sponsor.DEMOGRAPHICS).get("collection_date"),
            origin=patient_item.origin,
        )
        rows = read_dispositions(
            self.fhir, item, subject_id, state=state, progress=progress, patient=patient, terms=self.terms
        )
        return subject, rows

    def _coded_text(self, text: str | None, omb: tuple[str, ...], codelists: tuple[str, ...]) -> tuple[str, ...]:
        """A US Core race/ethnicity: its `text` ('|'-separated, as to-fhir writes it) when every part is a term of
        one of `codelists`, else the terms of its OMB category codes (a display text such as 'White' from another
        writer), else the text as given (conform reports it)."""
        parts = tuple(text.split("|")) if text else ()
        if parts and all(any(self.terms.has(c, p) for c in codelists) for p in parts):
            return parts
        return omb or parts

    def _site(self, item: Located) -> Any:
        """The study site of a ResearchSubject: SITEID is the identifier of its (site-level) ResearchStudy, else of a
        site the study or the Patient names (R5 ResearchStudy.site, Patient.managingOrganization: a Location or
        Organization whose identifier is a site of the study), else the only site of the study or `--site`, with a
        warning."""
        if not item.resource.get("study"):
            raise item.fail("ResearchSubject.study", "required: the (site-level) ResearchStudy")
        site_item = self.fhir.resolve(item.resource["study"], item, "ResearchSubject.study", "ResearchStudy")
        resource = site_item.resource
        site_id = identifier_value(resource, self.systems["site"]) or identifier_value(resource, None)
        site = self.definition.site(site_id or "")
        if site is not None:
            return site
        for candidate, element in self._site_candidates(item, site_item):
            for value in _identifier_values(candidate.resource):
                if self.definition.site(value) is not None:
                    self.fhir.warn(item, element, f"no site-level ResearchStudy: SITEID {value} from {candidate.where}")
                    return self.definition.site(value)
        sites = self.definition.sites
        fallback = self.site_default or (sites[0].id if len(sites) == 1 else None)
        if fallback is not None and self.definition.site(fallback) is not None:
            why = "--site" if self.site_default else "the study's only site"
            self.fhir.warn(
                item, "ResearchSubject.study", f"the input does not tell the site: SITEID {fallback} ({why})"
            )
            return self.definition.site(fallback)
        known = ", ".join(s.id for s in sites) or "none"
        raise item.fail(
            "ResearchSubject.study",
            f"cannot tell the site: not a site-level ResearchStudy (partOf the trial) whose identifier is a site of "
            f"the study (got {site_id!r} from {site_item.type}/{resource.get('id', '?')}), no site Location or "
            f"Organization; give --site (sites: {known})",
        )

    def _site_candidates(self, item: Located, study: Located) -> list[tuple[Located, str]]:
        """Locations and Organizations that may name the subject's site."""
        found = []
        for ref in study.resource.get("site") or []:
            target = self.fhir.find(str(ref.get("reference"))) if isinstance(ref, dict) else None
            if target is not None:
                found.append((target, "ResearchStudy.site"))
        patient_ref = item.resource.get("individual" if self.is_r4 else "subject")
        patient = self.fhir.find(str((patient_ref or {}).get("reference"))) if isinstance(patient_ref, dict) else None
        if patient is not None:
            organization = patient.resource.get("managingOrganization")
            target = self.fhir.find(str(organization.get("reference"))) if isinstance(organization, dict) else None
            if target is not None:
                found.append((target, "Patient.managingOrganization"))
        return found

    def _country(self, item: Located, given: Any, site: Any) -> str:
        """DM.COUNTRY is the site's country (SDTMIG); a Patient address in another country is reported."""
        alpha3 = to_alpha3(given) if isinstance(given, str) else None
        if given and alpha3 != site.country:
            self.fhir.warn(
                item,
                "Patient.address.country",
                f"the Patient's country {given!r} is not the site's ({site.country}): DM.COUNTRY is the site's",
            )
        return str(site.country)

    def _consent_date(self, item: Located, *, required: bool = True) -> str | None:
        """RFICDTC: ResearchSubject.period.start (R5: the progress entry whose milestone or reason is informed
        consent, else the first progress startDate), else the date of its Consent (referenced, or any Consent of
        the Patient); None when there is none and not `required` (a subject whose source records no consent)."""
        rs = item.resource
        if self.is_r4:
            found, element = (rs.get("period") or {}).get("start"), "ResearchSubject.period.start"
        else:
            progress = [p for p in rs.get("progress") or [] if isinstance(p, dict)]
            consent = [
                p for p in progress if _mentions_consent(p.get("milestone")) or _mentions_consent(p.get("reason"))
            ]
            found = next((p.get("startDate") for p in [*consent, *progress[:1]] if p.get("startDate")), None)
            element = "ResearchSubject.progress.startDate"
        if found:
            for consent_item in self.fhir.of_type("Consent"):  # the subject's consent record: the same RFICDTC
                self.fhir.map_to(consent_item, "DM")
            return str(found)
        refs = rs.get("consent")
        consents = [self.fhir.resolve(ref, item, "ResearchSubject.consent", "Consent")
                    for ref in (refs if isinstance(refs, list) else [refs] if refs else [])]  # fmt: skip
        consents += [c for c in self.fhir.of_type("Consent") if c not in consents]
        for consent_item in consents:
            found = consent_item.resource.get("dateTime" if self.is_r4 else "date")
            if found:
                self.fhir.map_to(consent_item, "DM")
                return str(found)
        if not required:
            return None
        raise item.fail(element, "required: the informed consent date (RFICDTC), here or as the Consent's date")

    def subject_of(self, item: Located, element: str = "subject") -> str:
        ref = item.resource.get(element)
        text = ref.get("reference") if isinstance(ref, dict) else None
        cached = self._subject_by_reference.get(text) if isinstance(text, str) else None
        if cached is not None:
            return cached
        path = f"{item.type}.{element}"
        if not ref:
            raise item.fail(path, "required: the Patient")
        patient = self.fhir.resolve(ref, item, path, "Patient")
        found = self.patient_subject.get(id(patient.resource))
        if found is not None and isinstance(text, str) and not text.startswith("#"):
            self._subject_by_reference[text] = found  # the same reference text names the same Patient
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
        self.tests = self.test_index or TestIndex(definition)
        self._candidates: dict[int, tuple[Any, ...]] = {}
        characteristic = codes.sponsor_code_system(base, sid, "subject-characteristic")
        criteria = codes.sponsor_code_system(base, sid, "criteria")
        found: dict[str, list[tuple[str, Located]]] = defaultdict(list)
        fhir, tests, known = self.fhir, self.tests, self._candidates
        for item in fhir.each("Observation"):
            try:  # FhirInput.attempt, as a try: this loop runs once per Observation
                concept = item.resource.get("code")
                subject_id = self.subject_of(item)
                candidates = tests.candidates(concept)
                if candidates:
                    known[id(item.resource)] = candidates
                    kind: str | None = None if is_derived(item.resource) else "FINDING"
                    if kind is None:
                        fhir.ignore(item, "a derived total of a study test (SDTM derives it again)")
                        continue
                elif code_in(concept, codes.LOINC) == codes.LOINC_AGE[0]:
                    kind = "AGE"
                elif code_in(concept, characteristic) in self.attribute_names:
                    kind = "ATTRIBUTE"
                elif code_in(concept, criteria):
                    kind = "IE"
                else:
                    self._observed(item, subject_id, concept)
                    continue
                found[kind].append((subject_id, item))
            except Exception as exc:
                if not fhir.recorded(item, exc):
                    raise
        return found

    def _observed(self, item: Located, subject_id: str, concept: Any) -> None:
        """A vital-signs or laboratory Observation of no instrument of the study: VS/LB (fhir_in.observations) when
        its LOINC code is in mappings/loinc.csv, else listed as not mapped."""
        rows = read_observed_findings(self.fhir, item, subject_id, self._study_visit(item))
        if rows is None:
            self.unmapped.add(item, concept)
            return
        self.observed.extend(rows)
        self.fhir.map_to(item, rows[0].instrument.split("-")[1])

    def _study_visit(self, item: Located) -> float | None:
        """VISITNUM of the resource's `encounter` when that is a study visit, else None (one that resolves to nothing,
        such as a Reference with only a display: VISITNUM blank, with a warning; `collected.visit_number`)."""
        return visit_number(self.fhir, item, "encounter", self.visit_system)

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
            self.fhir.map_to(item, "DM")
            value = (item.resource.get("valueQuantity") or {}).get("value")
            values[sid]["age"] = int(value) if isinstance(value, int | float) else None
        for sid, item in found.get("ATTRIBUTE", []):
            self.fhir.current = item
            self.fhir.map_to(item, "DM")
            value = attribute_value(item.resource)
            if value is not None:
                attributes[sid][names[code_in(item.resource.get("code"), system) or ""]] = value
        order = [a.name for a in self.definition.subjects.attributes]
        for sid, given in attributes.items():
            values[sid]["attributes"] = tuple((name, given[name]) for name in order if name in given)
        return values

    def _visit_num(self, item: Located, key: list[str]) -> float:
        """From the visit part of the sponsor identifier '<SUBJID>/<VISITNUM>/...' (`key`: its parts after the subject
        id, `findings.identifier_key`), else the Encounter's visit code."""
        try:
            if len(key) >= 2:
                return _visit_float(key[0])
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
        domains = {i.code: i.domain for i in self.definition.instruments}
        fhir, system, candidates, match = self.fhir, self.systems["observation"], self._candidates, self.tests.match
        for sid, item in found.get("FINDING", []):
            fhir.current = item
            try:  # FhirInput.attempt, as a try: this loop runs once per finding
                key = identifier_key(item.resource, system, sid)
                test = match(item, key, candidates.get(id(item.resource)))
                if test is not None:
                    row = read_finding(item, test, sid, self._visit_num(item, key), key)
                    rows.append(row)
                    fhir.map_to(item, domains.get(row.instrument, row.instrument))
                else:
                    fhir.ignore(item, "a derived total of a study test (SDTM derives it again)")
            except Exception as exc:
                if not fhir.recorded(item, exc):
                    raise
        return rows

    def _eligibility(self, found: dict[str, list[tuple[str, Located]]]) -> list[m.EligibilityException]:
        system = codes.sponsor_code_system(self.definition.code_system_base, self.definition.study.id, "criteria")
        rows = []
        for sid, item in found.get("IE", []):
            with self.fhir.attempt(item):
                obs = item.resource
                if not isinstance(obs.get("valueBoolean"), bool):
                    raise item.fail("Observation.valueBoolean", "an eligibility answer must be true or false")
                criterion = code_in(obs.get("code"), system) or ""
                result = "Y" if obs["valueBoolean"] else "N"
                when = original_dtc(obs, "effectiveDateTime")
                rows.append(m.EligibilityException(sid, criterion, result, when, origin=item.origin))
                self.fhir.map_to(item, "IE")
        return rows

    # --- visits and exposures -------------------------------------------------------------------------------------
    def _visits(self) -> list[m.Visit]:
        rows: list[m.Visit] = []
        for item in self.fhir.each("Encounter"):
            with self.fhir.attempt(item):
                self._visit(item, rows)
        return rows

    def _visit(self, item: Located, rows: list[m.Visit]) -> None:
        encounter = item.resource
        code = next((code_in(t, self.visit_system) for t in encounter.get("type") or []), None)
        if code is None:
            if id(encounter) not in self.fhir.referenced:
                self.unmapped.add_reason(
                    item, "an Encounter that is no study visit (no visit code of the study)", "type"
                )
            return
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
        self.fhir.map_to(item, "SV")

    def _exposures(self) -> list[m.Exposure]:
        rows, routes = [], []
        for item in self.fhir.each("MedicationAdministration"):
            with self.fhir.attempt(item):
                found = administered(self.fhir, item, self.definition)
                if found is None:
                    self.other_medications.append(item)  # not a study intervention: CM (fhir_in.history)
                    continue
                route = (item.resource.get("dosage") or {}).get("route")
                term, given = cdisc_route(self.fhir, item, "MedicationAdministration.dosage.route", route,
                                          "SUPPEX EXSRCRT")  # fmt: skip
                rows.append(self._exposure(item, *found, route=term or ""))
                if given is not None:
                    routes.append((rows[-1], given, item.origin))
                self.fhir.map_to(item, "EX")
        self.exposure_routes = exposure_values(rows, routes, "EXSRCRT")
        return rows

    def _exposure(self, item: Located, treatment: str, lot: str | None, *, route: str) -> m.Exposure:
        given = item.resource
        sid = self.subject_of(item)
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
        collected = fields(dosage, sponsor.EXPOSURE)
        return m.Exposure(
            sid,
            treatment,
            start,
            float(value) if value is not None else None,
            cdisc_unit(self.fhir, item, "MedicationAdministration.dosage.dose", dose),
            route,
            end=original_dtc(period, "end"),
            dose_form=collected.get("dose_form"),
            frequency=collected.get("frequency"),
            lot=lot,
            preceded_by_date=self._preceded_by(item),
            visit_num=visit_number(self.fhir, item, "context" if self.is_r4 else "encounter", self.visit_system),
            origin=item.origin,
        )

    def _preceded_by(self, item: Located) -> str | None:
        """The date of the Procedure the administration cites (the intervention's `preceded_by`)."""
        for ref in item.resource.get("supportingInformation") or []:
            info = self.fhir.resolve(ref, item, "MedicationAdministration.supportingInformation")
            if info.type == "Procedure":
                procedure = info.resource
                self.preceding.add(id(procedure))
                return original_dtc(procedure, "performedDateTime") or original_dtc(procedure, "occurrenceDateTime")
        return None

    # --- adverse events -------------------------------------------------------------------------------------------
    def _adverse_events(self, bare: list[Located], supplemental: list[m.SupplementalValue]) -> list[m.AdverseEvent]:
        """Every AdverseEvent; one without an identifier is numbered after the subject's highest AESPID."""
        found = []
        for item in self.fhir.each("AdverseEvent"):
            with self.fhir.attempt(item):
                found.append((item, self.subject_of(item), ae_number(item, self.systems["ae"])))
        highest: dict[str, int] = defaultdict(int)
        for _, sid, number in found:
            highest[sid] = max(highest[sid], number or 0)
        reader = AdverseEventReader(self.fhir, self.terms, self.systems["aespid"])
        events = []
        for item, sid, number in found:
            with self.fhir.attempt(item):
                if number is None:
                    highest[sid] += 1
                    number = highest[sid]
                    message = f"no identifier: AESPID assumed {number} (input order)"
                    self.fhir.warn(item, "AdverseEvent.identifier", message)
                event = reader.read(item, sid, number)
                events.append(event)
                supplemental += reader.supplemental_values(item, sid, number)
                supplemental += unread_ae_values(self.fhir, item, sid, number, resulting_concept(self.fhir, item))
                self.fhir.map_to(item, "AE")
                if event.pt_code is not None and not extensions(item.resource, sponsor.MEDDRA_HIERARCHY):
                    bare.append(item)
        return events


@functools.lru_cache(maxsize=4096)
def _visit_float(text: str) -> float:
    """VISITNUM from its text: one float object per distinct visit (every finding of a visit holds it)."""
    return float(text)


def meddra_levels_warning(bare: list[Located]) -> Issue | None:
    """One warning when events coded to a MedDRA PT carry no levels above it (FHIR codes only the PT/LLT)."""
    if not bare:
        return None
    return Issue(
        "FHIR-IN",
        Severity.WARNING,
        f"{len(bare)} AdverseEvent(s) coded to a MedDRA PT give no HLT, HLGT or SOC (no sponsor "
        "meddra-hierarchy extension; first one here): AEHLT, AEHLGT, AEBODSYS and AESOC left blank",
        where=bare[0].where,
        field=f"AdverseEvent.extension({sponsor.MEDDRA_HIERARCHY})",
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


def _identifier_values(resource: Resource) -> list[str]:
    found = resource.get("identifier")
    items = found if isinstance(found, list) else [found] if isinstance(found, dict) else []
    return [i["value"] for i in items if isinstance(i, dict) and isinstance(i.get("value"), str)]


def _mentions_consent(concepts: Any) -> bool:
    """True when a CodeableConcept (or a list of them) codes or names informed consent."""
    for concept in concepts if isinstance(concepts, list) else [concepts]:
        texts = [concept.get("text")] if isinstance(concept, dict) else []
        texts += [c.get(k) for c in codings(concept) for k in ("code", "display")]
        if any(isinstance(t, str) and "consent" in t.casefold() for t in texts):
            return True
    return False
