"""Concomitant medications from MedicationStatements and medical history from Conditions: the inverse of
fhir.build_history, and a sensible reading of FHIR from elsewhere.

CM: CMTRT = the medication's text, else its first coding display (R4 medicationCodeableConcept / R5
medication.concept, or the code of the referenced Medication); CMDECOD = the first coding display; ongoing from R4
status (active / completed / stopped ...) or R5 adherence (taking / stopped ...); start and end from effectivePeriod
(or effectiveDateTime: the start); the indication from the reason's text or display; dose, unit, route and frequency
from the first Dosage (a route no CDISC ROUTE term maps: CMROUTE blank, the route as given in SUPPCM CMSRCRT); the
ATC class from the sponsor concomitant-medication extension; CMDTC from dateAsserted.

MH: every Condition that no AdverseEvent names as the condition it resulted in (that one is read with its event).
MHTERM = code text, else the first coding display; MHDECOD = the MedDRA coding's display; MHCAT = the text of a
category that has no HL7 condition-category coding; ongoing from clinicalStatus; start and end from onset and
abatement dateTime (or Period); the body system from the sponsor medical-history extension; MHLLT/MHHLT/MHHLGT from
the sponsor meddra-hierarchy extension; MHSEV = the AESEV term of severity (NCI or SNOMED CT code, or a text equal to
a term; another severity: MHSEV blank, the severity as given in SUPPMH MHSRCSEV); MHDTC from recordedDate.

Both: VISITNUM from the referenced visit Encounter (R4 MedicationStatement / MedicationAdministration.context, else
.encounter); --SPID from the
identifier in the study's cmspid / mhspid system (`fhir_in.collected`).

CMSPID / MHSPID: the number ending the identifier; a resource without one is numbered after the subject's highest,
with a warning. One naming no term, or entered in error, is listed as not mapped (fhir_in.unmapped). A
MedicationStatement or MedicationRequest of a study intervention is no concomitant medication: it is left out of CM and
counted as not mapped (STUDY_TREATMENT; EX is read from MedicationAdministrations).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from trialinterop.definition import model as d
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir_in.collected import sponsor_id, visit_number
from trialinterop.fhir_in.interventions import medication_of, names_intervention
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.supplemental import QVAL_LIMIT
from trialinterop.fhir_in.terms import cdisc_route, cdisc_severity, cdisc_unit
from trialinterop.fhir_in.unmapped import Unmapped
from trialinterop.fhir_in.values import code_in, codings, fields, original_dtc, record_number, resulting_references
from trialinterop.source import models as m

Resource = dict[str, Any]
SubjectOf = Callable[[Located], str]
ONGOING_STATUS = {"active": "Y", "intended": "Y", "on-hold": "Y", "completed": "N", "stopped": "N", "not-taken": "N"}
"""R4 MedicationStatement.status -> the ongoing answer (unknown: none)."""
ONGOING_CLINICAL = {"active": "Y", "recurrence": "Y", "relapse": "Y", "inactive": "N", "remission": "N",
                    "resolved": "N"}  # fmt: skip
"""Condition.clinicalStatus -> the ongoing answer (unknown: none)."""
ONGOING_ADHERENCE = {"taking": "Y", "on": "Y", "not": "N", "stopped": "N"}
"""First word of an R5 MedicationStatement.adherence code (taking-as-directed, on-hold, not-taking...) -> ongoing."""
DOSE_RANGE = "a dose range (doseRange): CMDOSE holds one number and this package has no CMDOSTXT, so CMDOSE is blank"
STUDY_TREATMENT = (
    "names a study intervention: an order or a report of the study treatment is no concomitant medication (CM), and "
    "EX is read from MedicationAdministrations"
)


def _name(concept: Any) -> str | None:
    """text, else the first coding display."""
    text = concept.get("text") if isinstance(concept, dict) else None
    return text or next((c["display"] for c in codings(concept) if c.get("display")), None)


def _display(concept: Any, system: str | None = None) -> str | None:
    """The first coding display (of `system` when given)."""
    found = (c["display"] for c in codings(concept) if c.get("display") and system in (None, c.get("system")))
    return next(found, None)


def _numbered(fhir: FhirInput, found: list[tuple[Located, str, int | None]]) -> Iterator[tuple[Located, str, int]]:
    """Each (resource, subject, number); a missing number is the subject's highest + 1 (input order), with a warning."""
    highest: dict[str, int] = defaultdict(int)
    for _, sid, number in found:
        highest[sid] = max(highest[sid], number or 0)
    for item, sid, number in found:
        if number is None:
            highest[sid] += 1
            number = highest[sid]
            fhir.warn(item, f"{item.type}.identifier", f"no identifier: number assumed {number} (input order)")
        yield item, sid, number


def _start_end(resource: Resource, prefix: str) -> tuple[str | None, str | None]:
    """(start, end) of `prefix`Period, else (`prefix`DateTime, None)."""
    period = resource.get(prefix + "Period")
    if isinstance(period, dict):
        return original_dtc(period, "start"), original_dtc(period, "end")
    return original_dtc(resource, prefix + "DateTime"), None


def _number(value: Any, item: Located, element: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise item.fail(element, f"a number expected, got {value!r}")
    return float(value)


class HistoryReader:
    """Reads the CM and MH records of a FHIR input; what maps to nothing goes to `unmapped`."""

    def __init__(
        self,
        fhir: FhirInput,
        subject_of: SubjectOf,
        systems: dict[str, str],
        unmapped: Unmapped,
        *,
        visit_system: str | None = None,
        interventions: tuple[d.Intervention, ...] = (),
    ) -> None:
        self.fhir, self.subject_of, self.systems, self.unmapped = fhir, subject_of, systems, unmapped
        self.interventions = interventions
        """The study's interventions: statements and requests of them are not CM."""
        self.visit_system = visit_system
        """The study's visit CodeSystem (VISITNUM from a referenced Encounter's type)."""
        self.is_r4 = fhir.version == "R4"
        self.resulting: set[int] = set()
        """id() of the Conditions that AdverseEvents resulted in."""
        self.supplemental: list[m.SupplementalValue] = []
        """SUPPCM and SUPPMH values: a route no CDISC ROUTE term maps (CMSRCRT), a severity no AESEV term maps
        (MHSRCSEV), as given."""

    def _found(
        self, items: list[Located], what: str, keep: Callable[[Located], bool]
    ) -> list[tuple[Located, str, int]]:
        """The resources that `keep` accepts, with their subject and number."""
        found = []
        for item in items:
            with self.fhir.attempt(item):
                if keep(item):
                    found.append((item, self.subject_of(item), record_number(item, self.systems[what.lower()], what)))
        return list(_numbered(self.fhir, found))

    # --- concomitant medications ----------------------------------------------------------------------------------
    def medications(self, administrations: Sequence[Located] = ()) -> list[m.ConcomitantMedication]:
        """CM from MedicationStatements, MedicationRequests and the `administrations` of anything but a study
        intervention (MedicationAdministration), numbered together per subject in that order."""
        items = [*self.fhir.of_type("MedicationStatement"), *self.fhir.of_type("MedicationRequest"), *administrations]
        rows = []
        for item, sid, number in self._found(items, "CM", self._mappable_statement):
            with self.fhir.attempt(item):
                rows.append(self._medication(item, sid, number))
                self.fhir.map_to(item, "CM")
        return rows

    def _medication_concept(self, item: Located) -> Any:
        """The medication as a CodeableConcept (interventions.medication_of)."""
        return medication_of(self.fhir, item)[0]

    def _mappable_statement(self, item: Located) -> bool:
        concept = self._medication_concept(item)
        if not _name(concept):
            self.unmapped.add(item, concept, "medication")
            return False
        if item.type != "MedicationAdministration" and names_intervention(self.fhir, item, self.interventions):
            self.fhir.ignore(item, STUDY_TREATMENT)
            return False
        return True

    def _ongoing(self, statement: Resource) -> str | None:
        if statement.get("resourceType") != "MedicationStatement":
            return None
        if self.is_r4:
            return ONGOING_STATUS.get(str(statement.get("status")))
        code = code_in((statement.get("adherence") or {}).get("code"), codes.R5_ADHERENCE_SYSTEM)
        return ONGOING_ADHERENCE.get(code.split("-")[0]) if code else None

    def _medication(self, item: Located, sid: str, number: int) -> m.ConcomitantMedication:
        statement = item.resource
        concept = self._medication_concept(item)
        reasons = statement.get("reasonCode") if self.is_r4 else statement.get("reason")
        reason = (reasons or [{}])[0]
        reason = reason if self.is_r4 else reason.get("concept")
        kind = item.type
        if kind == "MedicationAdministration":
            dosage = statement.get("dosage") or {}
            quantity = dosage.get("dose") or {}
            start, end = _start_end(statement, "effective" if self.is_r4 else "occurence")
        else:
            name = "dosageInstruction" if kind == "MedicationRequest" else "dosage"
            dosage = (statement.get(name) or [{}])[0]
            rate = (dosage.get("doseAndRate") or [{}])[0]
            quantity = rate.get("doseQuantity") or {}
            if not quantity and rate.get("doseRange"):
                self.fhir.warn(item, f"{kind}.{name}.doseAndRate.doseRange", DOSE_RANGE)
                self.fhir.leave_out(item, f"{kind}.{name}", DOSE_RANGE)
            bounds = ((dosage.get("timing") or {}).get("repeat") or {}).get("boundsPeriod")
            start, end = _start_end(statement, "effective")
            if kind == "MedicationRequest" and isinstance(bounds, dict):
                start, end = original_dtc(bounds, "start"), original_dtc(bounds, "end")
        route, given = cdisc_route(self.fhir, item, f"{kind}.dosage.route", dosage.get("route"), "SUPPCM CMSRCRT")
        self._keep_given(item, "CM", sid, number, "CMSRCRT", given)
        return m.ConcomitantMedication(
            subject_id=sid,
            cm_id=number,
            term=str(_name(concept)),
            decoded=_display(concept),
            atc_class=fields(statement, sponsor.CONCOMITANT_MEDICATION).get("atc_class"),
            indication=_name(reason),
            dose=_number(quantity.get("value"), item, f"{kind}.dosage.dose.value"),
            dose_unit=cdisc_unit(self.fhir, item, f"{kind}.dosage.dose", quantity),
            route=route,
            frequency=_name((dosage.get("timing") or {}).get("code")),
            start=start,
            end=end,
            ongoing=self._ongoing(statement),
            **self._collected(
                item, "CM", "context" if self.is_r4 and kind != "MedicationRequest" else "encounter", "dateAsserted"
            ),
            origin=item.origin,
        )

    # --- medical history ------------------------------------------------------------------------------------------
    def medical_history(self) -> list[m.MedicalHistoryEvent]:
        self.resulting = self._resulting_conditions()
        rows = []
        for item, sid, number in self._found(self.fhir.of_type("Condition"), "MH", self._mappable_condition):
            with self.fhir.attempt(item):
                rows.append(self._history(item, sid, number))
                self.fhir.map_to(item, "MH")
        return rows

    def _resulting_conditions(self) -> set[int]:
        """id() of the Conditions that AdverseEvents resulted in (read as part of the event)."""
        found = set()
        for item in self.fhir.of_type("AdverseEvent"):
            for ref, element in resulting_references(item.resource, r4=self.is_r4):
                with self.fhir.attempt(item):
                    target = self.fhir.resolve(ref, item, element)
                    found.add(id(target.resource))
                    self.fhir.map_to(target, "AE")
        return found

    def _mappable_condition(self, item: Located) -> bool:
        """False for a Condition read with its AdverseEvent, and (listed as not mapped) one without a term."""
        if id(item.resource) in self.resulting:
            return False
        concept = item.resource.get("code")
        if not _name(concept):
            self.unmapped.add(item, concept)
            return False
        return True

    def _history(self, item: Located, sid: str, number: int) -> m.MedicalHistoryEvent:
        condition = item.resource
        concept = condition.get("code")
        categories = [c for c in condition.get("category") or [] if not code_in(c, codes.CONDITION_CATEGORY_SYSTEM)]
        onset, _ = _start_end(condition, "onset")
        abated, abatement_end = _start_end(condition, "abatement")
        status = code_in(condition.get("clinicalStatus"), codes.CONDITION_CLINICAL_SYSTEM)
        levels = fields(condition, sponsor.MEDDRA_HIERARCHY)
        return m.MedicalHistoryEvent(
            subject_id=sid,
            mh_id=number,
            term=str(_name(concept)),
            decoded=_display(concept, codes.MEDDRA),
            body_system=fields(condition, sponsor.MEDICAL_HISTORY).get("body_system"),
            category=next((_name(c) for c in categories if _name(c)), None),
            start=onset,
            end=abated or abatement_end,
            ongoing=ONGOING_CLINICAL.get(str(status)),
            **self._collected(item, "MH", "encounter", "recordedDate"),
            llt=levels.get("llt"),
            hlt=levels.get("hlt"),
            hlgt=levels.get("hlgt"),
            severity=self._severity(item, sid, number),
            origin=item.origin,
        )

    def _severity(self, item: Located, sid: str, number: int) -> str | None:
        """MHSEV: the AESEV term of Condition.severity (fhir_in.terms.cdisc_severity); one no term maps is kept as
        given in SUPPMH MHSRCSEV."""
        term, given = cdisc_severity(self.fhir, item, "Condition.severity", item.resource.get("severity"),
                                     "SUPPMH MHSRCSEV")  # fmt: skip
        self._keep_given(item, "MH", sid, number, "MHSRCSEV", given)
        return term

    def _keep_given(self, item: Located, domain: str, sid: str, number: int, qnam: str, given: str | None) -> None:
        """A code no CDISC term maps, as given, for SUPP`domain` (nothing when it mapped or was absent)."""
        if given is not None:
            self.supplemental.append(
                m.SupplementalValue(domain, sid, number, qnam, given[:QVAL_LIMIT], origin=item.origin)
            )

    def _collected(self, item: Located, domain: str, visit: str, date: str) -> dict[str, Any]:
        """VISITNUM (the `visit` Encounter reference), --DTC (dateTime `date`) and --SPID of a CM / MH resource."""
        return {
            "visit_num": visit_number(self.fhir, item, visit, self.visit_system),
            "collection_date": original_dtc(item.resource, date),
            "sponsor_id": sponsor_id(item.resource, self.systems.get(domain.lower() + "spid")),
        }
