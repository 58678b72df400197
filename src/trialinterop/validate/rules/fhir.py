"""FHIR output: resource ids, references that resolve, and agreement with the SDTM package (DM, AE)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pandas as pd

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import text


def _resources(ctx: Context, kind: str | None = None) -> list[dict]:
    return [r for r in ctx.package.fhir.resources if kind is None or r.get("resourceType") == kind]


def _references(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


@rule(
    id="TI-FH001",
    split="package",
    severity=Severity.ERROR,
    scope="FHIR resources",
    message="FHIR resource lacks resourceType or id, or its id is not unique within its type",
    references=["FHIR R4/R5 Resource.id", "FHIR Bundle.entry"],
)
def check_fhir_ids(ctx: Context) -> Iterator[Finding]:
    """Every resource has a type and an id, unique within its type."""
    seen: Counter[tuple[str, str]] = Counter()
    for number, resource in enumerate(_resources(ctx), start=1):
        kind, rid = resource.get("resourceType"), resource.get("id")
        if not isinstance(kind, str) or not isinstance(rid, str) or not rid:
            yield Finding("FHIR", f"resource {number}", "id", str(rid or ""), f"resourceType {kind!r}")
            continue
        seen[(kind, rid)] += 1
        if seen[(kind, rid)] == 2:
            yield Finding("FHIR", f"{kind}/{rid}", "id", rid, "duplicate")


@rule(
    id="TI-FH002",
    split="package",
    severity=Severity.ERROR,
    scope="FHIR resources",
    message="Reference does not resolve to a resource in the output",
    references=["FHIR R4/R5 References", "FHIR Bundle (transaction/collection) reference resolution"],
)
def check_fhir_references(ctx: Context) -> Iterator[Finding]:
    """Relative references (Type/id) and urn:uuid full URLs point at resources present in the Bundle/NDJSON."""
    known = {f"{r.get('resourceType')}/{r.get('id')}" for r in _resources(ctx)}
    for _, bundle in ctx.package.fhir.bundles:
        known |= {e["fullUrl"] for e in bundle.get("entry") or [] if isinstance(e, dict) and e.get("fullUrl")}
    for resource in _resources(ctx):
        for ref in _references({k: v for k, v in resource.items() if k != "contained"}):
            if ref.startswith("#") or (ref.startswith(("http://", "https://")) and ref not in known):
                continue
            if ref not in known:
                yield Finding("FHIR", f"{resource.get('resourceType')}/{resource.get('id')}", "reference", ref)


def _identifier_values(resource: dict) -> set[str]:
    values = set()
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
            values.add(identifier["value"])
    return values


def _aliases(ctx: Context) -> dict[str, str]:
    """fullUrl (urn:uuid:... in Bundles) -> Type/id, so references of either form can be followed."""
    out = {}
    for _, bundle in ctx.package.fhir.bundles:
        for entry in bundle.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and entry.get("fullUrl"):
                out[entry["fullUrl"]] = f"{resource.get('resourceType')}/{resource.get('id')}"
    return out


def _subject_ids(ctx: Context) -> dict[str, set[str]]:
    """Patient/ResearchSubject reference -> identifier values (USUBJID or SUBJID as the FHIR side carries them)."""
    aliases = _aliases(ctx)
    out: dict[str, set[str]] = {}
    for resource in _resources(ctx, "Patient") + _resources(ctx, "ResearchSubject"):
        out[f"{resource['resourceType']}/{resource.get('id')}"] = _identifier_values(resource)
    for resource in _resources(ctx, "ResearchSubject"):
        subject = (resource.get("subject") or resource.get("individual") or {}).get("reference", "")
        subject = aliases.get(subject, subject)
        if subject in out:
            out[subject] |= out[f"ResearchSubject/{resource.get('id')}"]
    for alias, target in aliases.items():
        if target in out:
            out[alias] = out[target]
    return out


def _usubjid_of(dm) -> dict[str, str]:
    """Identifier value -> USUBJID, accepting either USUBJID or SUBJID on the FHIR side."""
    usubjid = text(dm.frame["USUBJID"])
    out = dict(zip(usubjid, usubjid, strict=True))
    if "SUBJID" in dm.frame.columns:
        out.update(zip(text(dm.frame["SUBJID"]), usubjid, strict=True))
    return out


@rule(
    id="TI-FH003",
    split="package",
    severity=Severity.ERROR,
    scope="DM and FHIR Patient/ResearchSubject",
    message="DM subject has no FHIR Patient/ResearchSubject with that identifier",
    references=["trialinterop SDTM-FHIR agreement (DM.USUBJID/SUBJID = identifier.value)"],
)
def check_subjects_agree(ctx: Context) -> Iterator[Finding]:
    """When both outputs are given, each DM subject appears on the FHIR side under its USUBJID or SUBJID."""
    dm = ctx.get("DM")
    if dm is None or not _resources(ctx, "Patient") or "USUBJID" not in dm.frame.columns:
        return
    identifiers = set().union(*_subject_ids(ctx).values())
    subjid = text(dm.frame["SUBJID"]) if "SUBJID" in dm.frame.columns else text(dm.frame["USUBJID"])
    for usubjid, sid in zip(text(dm.frame["USUBJID"]), subjid, strict=True):
        if usubjid not in identifiers and sid not in identifiers:
            yield Finding("DM", usubjid, "USUBJID", usubjid)


def _onset(resource: dict) -> str:
    for key in ("onsetDateTime", "occurrenceDateTime", "date"):
        if isinstance(resource.get(key), str):
            return resource[key][:10]
    period = resource.get("occurrencePeriod") or {}
    return str(period.get("start", ""))[:10]


@rule(
    id="TI-FH004",
    split="package",
    severity=Severity.ERROR,
    scope="AE and FHIR AdverseEvent",
    message="AE records and FHIR AdverseEvents disagree (per subject and start date)",
    references=["trialinterop SDTM-FHIR agreement (one AdverseEvent per AE record, same subject and start date)"],
)
def check_adverse_events_agree(ctx: Context) -> Iterator[Finding]:
    """Each AE row has one AdverseEvent for the same subject starting on the same date, and vice versa."""
    ae = ctx.get("AE")
    events = _resources(ctx, "AdverseEvent")
    if ae is None or not events or "USUBJID" not in ae.frame.columns:
        return
    subject_ids = _subject_ids(ctx)
    dm = ctx.get("DM")
    to_usubjid = _usubjid_of(dm) if dm is not None and "USUBJID" in dm.frame.columns else {}
    fhir: Counter[tuple[str, str]] = Counter()
    for event in events:
        ref = (event.get("subject") or {}).get("reference", "")
        found = sorted({to_usubjid.get(i, "") for i in subject_ids.get(ref, set())} - {""})
        fhir[(found[0] if found else ref, _onset(event))] += 1
    sdtm: Counter[tuple[str, str]] = Counter()
    no_start = pd.Series("", index=ae.frame.index)
    starts = text(ae.frame["AESTDTC"]) if "AESTDTC" in ae.frame.columns else no_start
    for subject, start in zip(text(ae.frame["USUBJID"]), starts.str.slice(0, 10), strict=True):
        sdtm[(subject, start)] += 1
    for key in sorted(set(sdtm) | set(fhir)):
        if sdtm[key] != fhir[key]:
            detail = f"{sdtm[key]} AE record(s), {fhir[key]} AdverseEvent(s)"
            yield Finding("AE", f"{key[0]}, start {key[1] or '(none)'}", "AESTDTC", key[1], detail)


def _subject_start(resource: dict) -> str:
    """When the subject's participation started: R4 period.start, R5 the earliest progress.startDate."""
    start = (resource.get("period") or {}).get("start")
    if isinstance(start, str):
        return start[:10]
    found = [p.get("startDate") for p in resource.get("progress") or [] if isinstance(p, dict)]
    dates = [d for d in found if isinstance(d, str)]
    return min(dates)[:10] if dates else ""


@rule(
    id="TI-FH005",
    split="package",
    severity=Severity.ERROR,
    scope="DM and FHIR ResearchSubject/Patient",
    message="DM dates and the subject's FHIR resources disagree (RFICDTC vs ResearchSubject start, BRTHDTC vs "
    "Patient.birthDate)",
    references=[
        "trialinterop SDTM-FHIR agreement",
        "HL7 FHIR-to-CDISC Joint Mapping IG (DM: BRTHDTC = Patient.birthDate)",
    ],
)
def check_subject_dates_agree(ctx: Context) -> Iterator[Finding]:
    """Informed consent (RFICDTC) is when the ResearchSubject's participation starts (R4 period.start, R5
    progress.startDate); BRTHDTC equals Patient.birthDate. Compared where both sides have the date."""
    dm = ctx.get("DM")
    if dm is None or "USUBJID" not in dm.frame.columns:
        return
    to_usubjid = _usubjid_of(dm)
    usubjids = text(dm.frame["USUBJID"])
    for variable, kind, fhir_date in (
        ("RFICDTC", "ResearchSubject", _subject_start),
        ("BRTHDTC", "Patient", lambda r: str(r.get("birthDate") or "")),
    ):
        if variable not in dm.frame.columns:
            continue
        expected = dict(zip(usubjids, text(dm.frame[variable]).str.slice(0, 10), strict=True))
        for resource in _resources(ctx, kind):
            found = fhir_date(resource)
            for usubjid in sorted({to_usubjid.get(i, "") for i in _identifier_values(resource)} - {""}):
                if expected.get(usubjid) and found and found != expected[usubjid]:
                    detail = f"{kind}/{resource.get('id')} says {found}"
                    yield Finding("DM", usubjid, variable, expected[usubjid], detail)
