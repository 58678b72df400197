"""The design parts of the study definition from TA, TE, TV, TI and the subject data: arms, epochs, elements (with
the subject event that starts each, inferred from SE), visits, interventions, sites, subjects, eligibility.

Where SDTM holds a rule only as text (TE TESTRL), the element's `starts_at` is the candidate event (consent, the
first disposition event, first or last dose of an intervention, the day after, a planned visit's date) whose date
equals SESTDTC for the most subjects; the match rate is noted in the report.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pandas as pd

from trialinterop.sdtm_in.carry import Carry
from trialinterop.sdtm_in.exposures import Product
from trialinterop.sdtm_in.package import SdtmInput, clean_number, integer, number, text
from trialinterop.sdtm_in.tables import date_part

DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
NOT_GIVEN = "not given in the SDTM package"


def ascii_text(value: str, length: int) -> str:
    return "".join(c if " " <= c <= "~" else "'" if c in "\u2018\u2019" else "?" for c in value)[:length]


def arms_and_elements(
    package: SdtmInput, carry: Carry, products: list[Product], consent: dict[str, str]
) -> dict[str, Any]:
    """arms, epochs, elements of the definition."""
    ta = package.domains["TA"].sort_values(["ARMCD", "TAETORD"], kind="mergesort")
    te = package.get("TE")
    te_rows = {str(r["ETCD"]).strip(): r for _, r in te.iterrows()} if te is not None else {}
    epochs: list[str] = []
    for epoch in package.domains["TA"].sort_values("TAETORD", kind="mergesort")["EPOCH"]:
        value = text(epoch)
        if value and value not in epochs:
            epochs.append(value)
    received = _received(package, products)
    arms = []
    element_epoch: dict[str, str] = {}
    for armcd, rows in ta.groupby("ARMCD", sort=False):
        code = str(armcd).strip()
        codes = [p.code for p in products if p.code in received.get(code, set())] or [p.code for p in products]
        placebo = all("PLACEBO" in p.extrt.upper() for p in products if p.code in codes)
        arms.append(
            {
                "code": code,
                "name": text(rows["ARM"].iloc[0]) or code,
                "type": "PLACEBO_COMPARATOR" if placebo else "EXPERIMENTAL",
                "elements": [str(e).strip() for e in rows["ETCD"]],
                "interventions": codes,
            }
        )
        for etcd, epoch in zip(rows["ETCD"], rows["EPOCH"], strict=True):
            element_epoch.setdefault(str(etcd).strip(), text(epoch) or epochs[0])
    carry.note("arm type: PLACEBO_COMPARATOR for an arm whose products are all placebo, else EXPERIMENTAL (decision)")
    starts = _element_starts(package, carry, products, consent)
    elements = []
    for etcd, epoch in element_epoch.items():
        row = te_rows.get(etcd)
        entry: dict[str, Any] = {
            "code": etcd,
            "name": (text(row["ELEMENT"]) if row is not None else None) or etcd,
            "epoch": epoch,
            "start_rule": (text(row["TESTRL"]) if row is not None else None) or NOT_GIVEN,
        }
        end_rule = text(row["TEENRL"]) if row is not None and "TEENRL" in row else None
        duration = text(row["TEDUR"]) if row is not None and "TEDUR" in row else None
        if end_rule:
            entry["end_rule"] = end_rule
        if duration and DURATION.match(duration):
            entry["duration"] = duration
        entry["starts_at"] = starts.get(etcd, {"event": "consent"})
        elements.append(entry)
    carry.plan(
        "TA",
        carried={
            v: "study.yaml arms, elements, epochs" for v in ("ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "EPOCH")
        }
        | {"STUDYID": "study.yaml study.id", "DOMAIN": "(the domain)"},
    )
    carry.plan(
        "TE",
        carried={v: "study.yaml elements" for v in ("ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR")}
        | {"STUDYID": "study.yaml study.id", "DOMAIN": "(the domain)"},
    )
    return {"arms": arms, "epochs": epochs, "elements": elements}


def _received(package: SdtmInput, products: list[Product]) -> dict[str, set[str]]:
    """ACTARMCD -> codes of the products its subjects received (EX)."""
    ex, dm = package.get("EX"), package.domains["DM"]
    if ex is None or "ACTARMCD" not in dm.columns:
        return {}
    arm_of = dict(zip(dm["USUBJID"], dm["ACTARMCD"].astype(str).str.strip(), strict=True))
    code_of: dict[tuple, str] = {(p.extrt, p.dose): p.code for p in products}
    out: dict[str, set[str]] = {}
    for usubjid, extrt, dose in zip(ex["USUBJID"], ex["EXTRT"], ex.get("EXDOSE", [None] * len(ex)), strict=True):
        code = code_of.get((text(extrt), number(dose)))
        if code:
            out.setdefault(arm_of.get(usubjid, ""), set()).add(code)
    return out


def _element_starts(
    package: SdtmInput, carry: Carry, products: list[Product], consent: dict[str, str]
) -> dict[str, dict[str, Any]]:
    se = package.get("SE")
    if se is None:
        return {}
    candidates = _candidate_dates(package, products, consent)
    planned = set(package.domains["TA"]["ETCD"].map(text))
    se = se[se["ETCD"].map(text).isin(planned)]  # an unplanned element (UNPLAN) has no starts_at
    se = se.assign(_start=date_part(se["SESTDTC"]))
    out: dict[str, dict[str, Any]] = {}
    for etcd, rows in se.groupby("ETCD", sort=False):
        pairs = list(zip(rows["USUBJID"], rows["_start"], strict=True))
        best, best_hits = None, -1
        for event, dates in candidates:
            hits = sum(1 for u, d in pairs if d and dates.get(u) == d)
            if hits > best_hits:
                best, best_hits = event, hits
        if best is not None:
            out[str(etcd).strip()] = best
            carry.note(f"element {etcd} starts_at {best}: matches SESTDTC of {best_hits} of {len(pairs)} SE rows")
    return out


def _candidate_dates(
    package: SdtmInput, products: list[Product], consent: dict[str, str]
) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """(starts_at, {USUBJID: date}) for each event a definition can name."""
    out: list[tuple[dict[str, Any], dict[str, str]]] = [({"event": "consent"}, consent)]
    ds = package.get("DS")
    if ds is not None and "DSCAT" in ds.columns:
        events = ds[ds["DSCAT"].astype(str).str.strip() == "DISPOSITION EVENT"]
        dated = events.assign(_date=date_part(events["DSSTDTC"]))
        dated = dated[dated["_date"].str.len() == 10]
        out.append(({"event": "disposition"}, _texts(dated.groupby("USUBJID")["_date"].min())))
    ex = package.get("EX")
    if ex is not None:
        ex = ex.assign(_start=date_part(ex["EXSTDTC"]), _end=date_part(ex.get("EXENDTC", ex["EXSTDTC"])))
        for p in products:
            rows = ex[(ex["EXTRT"].map(text) == p.extrt) & (ex.get("EXDOSE", pd.Series()).map(number) == p.dose)]
            rows = rows[rows["_start"].str.len() == 10]
            if rows.empty:
                continue
            first = rows.groupby("USUBJID")["_start"].min()
            last = rows.assign(_e=rows["_end"].where(rows["_end"].str.len() == 10, rows["_start"]))
            last_end = last.groupby("USUBJID")["_e"].max()
            out += [
                ({"event": "first_dose", "intervention": p.code}, _texts(first)),
                ({"event": "day_after_first_dose", "intervention": p.code}, _next_day(first)),
                ({"event": "last_dose", "intervention": p.code}, _texts(last_end)),
                ({"event": "day_after_last_dose", "intervention": p.code}, _next_day(last_end)),
            ]
    sv, tv = package.get("SV"), package.get("TV")
    if sv is not None and tv is not None:
        sv = sv.assign(_date=date_part(sv["SVSTDTC"]), _num=sv["VISITNUM"].map(lambda v: clean_number(number(v))))
        for visit in dict.fromkeys(tv["VISITNUM"].map(lambda v: clean_number(number(v)))):
            rows = sv[sv["_num"] == visit]
            dates = {str(u): str(d) for u, d in zip(rows["USUBJID"], rows["_date"], strict=True)}
            out.append(({"event": "visit", "visit": _visit_number(visit)}, dates))
    return out


def _texts(series: pd.Series) -> dict[str, str]:
    return {str(k): str(v) for k, v in series.items()}


def _next_day(dates: pd.Series) -> dict[str, str]:
    shifted = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce") + pd.Timedelta(days=1)
    return {str(u): d.strftime("%Y-%m-%d") for u, d in shifted.items() if not pd.isna(d)}


def _visit_number(value: float | None) -> int | float | None:
    return int(value) if value is not None and float(value).is_integer() else value


def visits(package: SdtmInput, carry: Carry, arms: list[str]) -> dict[str, Any]:
    tv = package.domains["TV"]
    planned: list[dict[str, Any]] = []
    seen: dict[float, dict[str, Any]] = {}
    for _, row in tv.iterrows():
        num = clean_number(number(row["VISITNUM"]))
        if num is None:
            continue
        armcd = text(row.get("ARMCD"))
        if num in seen:
            if armcd and "arms" in seen[num] and armcd not in seen[num]["arms"]:
                seen[num]["arms"].append(armcd)
            continue
        day = integer(row.get("VISITDY"))
        entry: dict[str, Any] = {
            "number": _visit_number(num),
            "name": ascii_text(text(row["VISIT"]) or f"VISIT {num}", 40),
            "planned_day": day if day else None,
            "start_rule": text(row.get("TVSTRL")) or NOT_GIVEN,
        }
        if text(row.get("TVENRL")):
            entry["end_rule"] = text(row.get("TVENRL"))
        if armcd and armcd in arms:
            entry["arms"] = [armcd]
        seen[num] = entry
        planned.append(entry)
    carry.plan(
        "TV",
        carried={v: "study.yaml visits" for v in ("VISITNUM", "VISIT", "VISITDY", "ARMCD", "TVSTRL", "TVENRL")}
        | {"STUDYID": "study.yaml study.id", "DOMAIN": "(the domain)"},
    )
    return {"planned": planned, "unscheduled": {"allowed": True, "name_prefix": _unscheduled_prefix(package, seen)}}


def _unscheduled_prefix(package: SdtmInput, planned: dict[float, Any]) -> str:
    """The most frequent VISIT of unplanned visits without its number (UNSCHEDULED 3.1 -> UNSCHEDULED)."""
    names: Counter[str] = Counter()
    for domain in ("SV",):
        frame = package.get(domain)
        if frame is None:
            continue
        for num, name in zip(frame["VISITNUM"], frame["VISIT"], strict=True):
            if clean_number(number(num)) not in planned and text(name):
                names[re.sub(r"\s*[\d.]+$", "", str(text(name)))] += 1
    prefix = names.most_common(1)[0][0] if names else "UNSCHEDULED"
    return ascii_text(prefix, 30) or "UNSCHEDULED"


def interventions(package: SdtmInput, products: list[Product], ts: dict[str, list[dict[str, Any]]]) -> list[dict]:
    types = [_intervention_type(v["value"]) for v in ts.get("INTTYPE", [])]
    out = []
    for p in products:
        entry: dict[str, Any] = {
            "code": p.code,
            "name": p.treatment,
            "type": types[0] if len(types) == 1 else "DRUG",
            "role": "PLACEBO" if "PLACEBO" in p.extrt.upper() else "INVESTIGATIONAL",
            "treatment": ascii_text(p.treatment, 200),
        }
        if p.treatment != p.extrt:
            entry["extrt"] = ascii_text(p.extrt, 200)
        for key, value in (
            ("dose", p.dose),
            ("dose_unit", p.unit),
            ("dose_form", p.form),
            ("route", p.route),
            ("frequency", p.frequency),
        ):
            if value is not None:
                entry[key] = int(value) if isinstance(value, float) and value.is_integer() else value
        entry["doses"] = None
        codes = [
            {"value": v["value"], "code": v["code"], "system": v["system"]}
            for v in ts.get("TRT", [])
            if v.get("code") and v.get("system") and v["value"].upper() == p.extrt.upper()
        ]
        if codes:
            entry["codes"] = codes
        out.append(entry)
    return out


INTERVENTION_TYPES = {
    "DRUG", "BIOLOGICAL", "DEVICE", "PROCEDURE", "RADIATION", "BEHAVIORAL", "GENETIC", "DIETARY_SUPPLEMENT",
    "COMBINATION_PRODUCT", "DIAGNOSTIC_TEST", "OTHER",
}  # fmt: skip


def _intervention_type(value: str) -> str:
    """TS INTTYPE (CDISC CT) as a definition intervention type: BIOLOGIC -> BIOLOGICAL, spaces -> _, else OTHER."""
    name = value.strip().upper().replace(" ", "_")
    name = {"BIOLOGIC": "BIOLOGICAL"}.get(name, name)
    return name if name in INTERVENTION_TYPES else "OTHER"


def sites(package: SdtmInput, carry: Carry) -> list[dict[str, Any]]:
    dm = package.domains["DM"]
    found: dict[str, str] = {}
    for site, country in zip(dm["SITEID"], dm.get("COUNTRY", [""] * len(dm)), strict=True):
        if text(site):
            found.setdefault(str(text(site)), text(country) or "")
    carry.note("site names: 'Site <SITEID>' (decision: SDTM has no site names)")
    return [{"id": s, "name": f"Site {s}", "country": c} for s, c in sorted(found.items())]


def subjects(package: SdtmInput, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    dm = package.domains["DM"]
    ids = [str(text(v) or "") for v in dm["SUBJID"]]
    lengths = {len(i) for i in ids}
    if ids and all(i.isdigit() for i in ids):
        pattern = f"[0-9]{{{min(lengths)}}}" if len(lengths) == 1 else f"[0-9]{{{min(lengths)},{max(lengths)}}}"
    else:
        pattern = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
    entry: dict[str, Any] = {"id_pattern": pattern, "usubjid": _usubjid_template(dm)}
    if attributes:
        entry["attributes"] = attributes
    return entry


def _usubjid_template(dm: pd.DataFrame) -> str:
    """The USUBJID template every DM row follows: {study}-{subject}, {study}-{site}-{subject}, or a literal prefix
    before {site}-{subject} / {subject}."""
    rows = [(str(text(s) or ""), str(text(u) or ""), str(text(i) or ""), str(text(t) or "")) for s, u, i, t in zip(
        dm["STUDYID"], dm["USUBJID"], dm["SUBJID"], dm["SITEID"], strict=True)]  # fmt: skip
    for template in ("{study}-{subject}", "{study}-{site}-{subject}"):
        if all(u == template.format(study=s, site=t, subject=i) for s, u, i, t in rows):
            return template
    for tail in ("{site}-{subject}", "{subject}"):
        prefixes = {u[: len(u) - len(tail.format(site=t, subject=i))] for _, u, i, t in rows}
        if len(prefixes) == 1 and all(u.endswith(tail.format(site=t, subject=i)) for _, u, i, t in rows):
            prefix = prefixes.pop().replace("{", "{{").replace("}", "}}")
            return prefix + tail
    return "{study}-{subject}"


def eligibility(package: SdtmInput, carry: Carry, ts: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    sexpop = (_first(ts, "SEXPOP") or "").upper()
    entry: dict[str, Any] = {"sex": {"F": "FEMALE", "FEMALE": "FEMALE", "M": "MALE", "MALE": "MALE"}.get(sexpop, "ALL")}
    for key, parmcd in (("minimum_age", "AGEMIN"), ("maximum_age", "AGEMAX")):
        if parmcd in ts:
            value = _first(ts, parmcd)
            entry[key] = value if value and DURATION.match(value) else None
    if "HLTSUBJI" in ts:
        entry["healthy_volunteers"] = _first(ts, "HLTSUBJI") == "Y"
    criteria = []
    ti = package.get("TI")
    if ti is not None:
        for _, row in ti.iterrows():
            full = text(row.get("TIRL")) if "TIRL" in ti.columns else None
            criteria.append(
                {"id": text(row["IETESTCD"]), "category": text(row["IECAT"]), "text": full or text(row["IETEST"])}
            )
        carry.plan(
            "TI",
            carried={v: "study.yaml eligibility.criteria" for v in ("IETESTCD", "IETEST", "IECAT", "TIRL")}
            | {"STUDYID": "study.yaml study.id", "DOMAIN": "(the domain)"},
        )
    entry["criteria"] = criteria
    return entry


def _first(ts: dict[str, list[dict[str, Any]]], parmcd: str) -> str | None:
    values = ts.get(parmcd) or []
    return values[0].get("value") if values else None
