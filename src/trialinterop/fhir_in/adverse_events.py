"""AdverseEvent -> AE record, as the HL7 AE Clinical Research IG (and its R4 backport) writes it and as the FHIR-to-
CDISC Joint Mapping IG reads R4 core: AETERM/MedDRA from event (R5 code) or resultingCondition -> Condition.code;
AESTDTC from date (R5 occurrence); AEENDTC from the IG's resolve-date or the R5 occurrence cross-version extension;
AESEV from severity (R4: else the backport's severity-or-grade extension); AESER (and, for R4 codes such as
SeriousResultsInDeath, the criterion) from seriousness; AEOUT from outcome (AESDTH = Y for a fatal serious event that
states no criteria); AEREL from the IG's causality or R4 core suspectEntity.causality (assessment,
productRelatedness); AEACN from the mitigating action; AEDTC from recordedDate; AESPID text from the identifier in
the study's aespid system; AESCAN/AESOD from the sponsor seriousness-answers extension.

An element that is absent stays None (an AE incomplete at a data cut). A coded qualifier (severity, seriousness,
causality, action, outcome) whose code no CDISC term maps leaves its variable blank and is kept as given in SUPPAE
(`UNMAPPED`: AESRCSEV...), with a warning: the issue's "unmapped code -> a warning, and the raw value in SUPP--". The
reported term (AETERM) and the dates are required: a present element not understood there is an error naming it.
AESPID is the number at the end of the identifier; without one the caller numbers the subject's events (with a
warning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trialinterop.ct import Terminology
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir_in.collected import sponsor_id
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.supplemental import QVAL_LIMIT
from trialinterop.fhir_in.terms import as_given
from trialinterop.fhir_in.values import (
    code_in,
    codings,
    extension_value,
    extensions,
    fields,
    matching_term,
    original_dtc,
    record_dtc,
    record_number,
    resulting_references,
    reverse,
)
from trialinterop.source import models as m
from trialinterop.source.models import SERIOUSNESS_CRITERIA

Resource = dict[str, Any]
SUSPECT = "AdverseEvent.suspectEntity.causality"
UNMAPPED = {"AESEV": ("AESEV", "AESRCSEV"), "NY": ("AESER", "AESRCSER"), "AEREL": ("AEREL", "AESRCREL"),
            "ACN": ("AEACN", "AESRCACN"), "OUT": ("AEOUT", "AESRCOUT")}  # fmt: skip
"""Codelist -> (the AE variable left blank, the SUPPAE QNAM of the code as given) when no term maps a code."""
XVER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-AdverseEvent."
R4_OCCURRENCE_EXTENSION = XVER + "occurrence"
R4_MITIGATING_ACTION_EXTENSION = XVER + "mitigatingAction"
R4_SERIOUS_CRITERIA = {
    "SeriousResultsInDeath": "death",
    "SeriousIsLifeThreatening": "life_threatening",
    "SeriousResultsInHospitalization": "hospitalization",
    "SeriousResultsInDisability": "disability",
    "SeriousIsBirthDefect": "congenital_anomaly",
    "SeriousRequiresPreventImpairment": "medically_important",
}
"""R4 core adverse-event-seriousness codes that name a criterion (R5 has only serious / non-serious)."""
PREVENT_IMPAIRMENT = "Requires intervention to prevent permanent impairment"


def ae_number(item: Located, system: str) -> int | None:
    """AESPID: the number that ends the identifier (sponsor system first); None without an identifier."""
    return record_number(item, system, "AE")


@dataclass(frozen=True)
class AdverseEventReader:
    fhir: FhirInput
    terms: Terminology
    spid_system: str | None = None
    """Identifier system of the study's AESPID (`fhir_in.collected.sponsor_id`)."""
    pending: list[tuple[str, str]] = field(default_factory=list)
    """(QNAM, code as given) of the AE being read: coded qualifiers no CDISC term maps (`supplemental_values`)."""

    @property
    def r4(self) -> bool:
        return self.fhir.version == "R4"

    def read(self, item: Located, subject_id: str, ae_id: int) -> m.AdverseEvent:
        self.pending.clear()
        ae = item.resource
        r4 = self.r4
        event_element = "AdverseEvent.event" if r4 else "AdverseEvent.code"
        concept = ae.get("event" if r4 else "code") or self._resulting_condition(item) or {}
        term = concept.get("text") or next((c.get("display") for c in codings(concept) if c.get("display")), None)
        if not term:
            raise item.fail(event_element + ".text", "required: the reported term (AETERM)")
        meddra = [c for c in codings(concept) if c.get("system") == codes.MEDDRA]
        self._report_unread(item, event_element, concept)
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
            severity = ae.get("severity") or extension_value(ae, base + "/severity-or-grade")  # the backport's
            url = base + "/mitigating-action"
            action = extension_value(_first(ae, url), "item")
            if action is None:
                url = R4_MITIGATING_ACTION_EXTENSION
                action = extension_value(_first(ae, url), "item")
            action_element = f"extension({url})"
            outcome = ae.get("outcome")
        else:
            period = ae.get("occurrencePeriod") or {}
            start = original_dtc(period, "start") or original_dtc(ae, "occurrenceDateTime")
            end = original_dtc(period, "end")
            severity = extension_value(ae, base + "/ae-severity")
            mitigating = (ae.get("mitigatingAction") or [{}])[0]
            action = mitigating.get("itemCodeableConcept") or (mitigating.get("itemReference") or None)
            action_element = "mitigatingAction"
            outcome = (ae.get("outcome") or [None])[0]
        if isinstance(action, dict) and ("reference" in action or "identifier" in action):
            shown = action.get("display") or action.get("reference") or "a Reference"
            self.fhir.warn(item, "AdverseEvent.mitigatingAction", f"given as a Reference ({shown}), not an AEACN term: "
                           "AEACN left blank")  # fmt: skip
            self.fhir.leave_out(item, action_element, "given as a Reference, not an AEACN term: AEACN blank")
            action = None
        criteria, specify = self._criteria(ae, base)
        answers = fields(ae, sponsor.SERIOUSNESS_ANSWERS)
        stated = bool(criteria) or any(name in answers for name in SERIOUSNESS_CRITERIA)
        criteria |= {name: answers[name] for name in SERIOUSNESS_CRITERIA if name in answers}
        specify = specify or answers.get("serious_specify")
        serious, criterion = self._seriousness(item, ae.get("seriousness"))
        if criterion is not None and criterion not in criteria:
            criteria[criterion] = "Y"
            if criterion == "medically_important":
                specify = specify or PREVENT_IMPAIRMENT
        out = self._outcome(item, outcome) if outcome is not None else None
        if out == "FATAL" and serious == "Y" and not stated:
            criteria.setdefault("death", "Y")  # the Joint Mapping IG: AESDTH from outcome 'fatal'
        grade = reverse(codes.CTCAE_GRADE, code_in(extension_value(ae, base + "/ae-grade"), codes.NCI), index=0)
        return m.AdverseEvent(
            subject_id=subject_id,
            ae_id=ae_id,
            term=term,
            start=start or None,
            serious=serious,
            severity=self._term(item, "AdverseEvent.severity", severity, "AESEV"),
            relationship=self._term(item, SUSPECT, self._causality(ae, base), "AEREL"),
            action=self._term(item, "AdverseEvent.mitigatingAction", action, "ACN"),
            outcome=out,
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
            collection_date=original_dtc(ae, "recordedDate"),
            sponsor_id=sponsor_id(ae, self.spid_system),
            cancer=answers.get("cancer"),
            overdose=answers.get("overdose"),
            origin=item.origin,
            **criteria,
        )

    def _report_unread(self, item: Located, element: str, concept: Any) -> None:
        """Warnings for what the AE carries that no AE variable holds: codes of other systems than MedDRA (AEDECOD
        and the MedDRA levels come from MedDRA only; AETERM is the text), categories, and suspect entities that
        resolve to nothing (causality is still read)."""
        other = [f"{c.get('system')}|{c.get('code')} ({c.get('display')})" for c in codings(concept)
                 if c.get("system") != codes.MEDDRA]  # fmt: skip
        if other:
            self.fhir.warn(
                item, element, f"{', '.join(other)}: not MedDRA, so no AEDECOD from it (kept in SUPPAE AESRCCD)"
            )
        for category in item.resource.get("category") or []:
            shown = ", ".join(f"{c.get('system')}|{c.get('code')}" for c in codings(category)) or category.get("text")
            self.fhir.warn(
                item, "AdverseEvent.category", f"{shown}: no AE variable holds the category (kept in SUPPAE AESRCCAT)"
            )
        for suspect in item.resource.get("suspectEntity") or []:
            instance = suspect.get("instance") if isinstance(suspect, dict) else None
            if self.r4 is False and isinstance(suspect, dict):
                instance = suspect.get("instanceReference") or instance
            text = instance.get("reference") if isinstance(instance, dict) else None
            if isinstance(text, str) and not text.startswith("#") and self.fhir.find(text) is None:
                self.fhir.warn(
                    item,
                    "AdverseEvent.suspectEntity.instance",
                    f"suspect entity {text!r} resolves to no resource of the input: kept in SUPPAE AESUSPCT (its "
                    "causality is read as AEREL)",
                )

    def _resulting_condition(self, item: Located) -> Resource | None:
        """The code of the Condition the event resulted in (the Joint Mapping IG's AETERM/MedDRA source) when the event
        itself carries no code."""
        for ref, element in resulting_references(item.resource, r4=self.r4):
            return self.fhir.resolve(ref, item, element, "Condition").resource.get("code")
        return None

    def _seriousness(self, item: Located, concept: Any) -> tuple[str | None, str | None]:
        """(AESER, criterion named by an R4 seriousness code); (None, None) when seriousness is absent."""
        if concept is None:
            return None, None
        candidates = [code_in(concept, codes.SERIOUSNESS_SYSTEM)]
        candidates += [c.get(key) for c in codings(concept) for key in ("code", "display")]
        candidates.append(concept.get("text") if isinstance(concept, dict) else None)
        for text in candidates:
            if not isinstance(text, str):
                continue
            if text in R4_SERIOUS_CRITERIA:
                return "Y", R4_SERIOUS_CRITERIA[text]
            folded = text.strip().casefold()
            if folded in ("serious", "non-serious"):
                return ("Y" if folded == "serious" else "N"), None
        self._keep(item, "AdverseEvent.seriousness", concept, "NY")  # not serious, non-serious nor an R4 code
        return None, None

    def _causality(self, ae: Resource, base: str) -> Any:
        """The first causality assessment: the IG's (R4 suspect-entity extension, R5 entityRelatedness), else R4
        core suspectEntity.causality assessment or productRelatedness (a string, read as text)."""
        if self.r4:
            for suspect in extensions(ae, base + "/suspect-entity"):
                return extension_value(_first(suspect, "causality"), "entityRelatedness")
            for suspect in ae.get("suspectEntity") or []:
                for causality in suspect.get("causality") or []:
                    related = causality.get("productRelatedness")
                    return causality.get("assessment") or ({"text": related} if related else None)
            return None
        for suspect in ae.get("suspectEntity") or []:
            return (suspect.get("causality") or {}).get("entityRelatedness")
        return None

    def _outcome(self, item: Located, concept: Any) -> str | None:
        """AEOUT from the NCI code of the CDISC term, else from the R4 core outcome code (None: no term maps it)."""
        core = reverse(codes.R4_AE_OUTCOME, code_in(concept, codes.R4_AE_OUTCOME_SYSTEM))
        if core is not None and not code_in(concept, codes.NCI):
            return core
        return self._term(item, "AdverseEvent.outcome", concept, "OUT")

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

    def _term(self, item: Located, element: str, concept: Any, codelist: str) -> str | None:
        """`matching_term` of an element an incomplete AE may lack: absent stays None (never a default term); a code
        no term maps: None, and the code as given is kept for SUPPAE (`UNMAPPED`)."""
        if concept is None:
            return None
        term = matching_term(concept, codelist, self.terms)
        if term is None:
            self._keep(item, element, concept, codelist)
        return term

    def _keep(self, item: Located, element: str, concept: Any, codelist: str) -> None:
        variable, qnam = UNMAPPED[codelist]
        given = (as_given(concept) if isinstance(concept, dict) else "") or str(concept)
        self.fhir.warn(item, element, f"{given} has no CDISC {codelist} term: {variable} left blank, kept in SUPPAE "
                       f"{qnam}")  # fmt: skip
        self.pending.append((qnam, given))

    def supplemental_values(self, item: Located, subject_id: str, ae_id: int) -> list[m.SupplementalValue]:
        """The SUPPAE values of the codes `read` could not map, for the AE it returned."""
        return [m.SupplementalValue("AE", subject_id, ae_id, qnam, given[:QVAL_LIMIT], origin=item.origin)
                for qnam, given in self.pending]  # fmt: skip


def _first(element: Any, url: str) -> Resource | None:
    found = extensions(element, url)
    return found[0] if found else None


def _int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
