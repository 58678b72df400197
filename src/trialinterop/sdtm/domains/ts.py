"""TS: one record per trial summary parameter value, in the order of mappings/trial_design.yaml.

Literal values come from the YAML; `derive:` names are computed here from study.json and the records (SSTDTC =
earliest consent of enrolled subjects, ACTSUB = number enrolled, DCUTDTC from the data cut-off). A null value gets
TSVALNF from the YAML `null_flavors` (ISO 21090). TSSEQ numbers the values of one parameter 1..n. TSVCDREF
"CDISC CT" rows carry the pinned CT package date in TSVCDVER.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from trialinterop.ct import CT_VERSION
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.design import TsValue
from trialinterop.sdtm.domains.base import number_text, select
from trialinterop.source.models import TrialRecords

TS_VARIABLES = (
    "STUDYID", "DOMAIN", "TSSEQ", "TSGRPID", "TSPARMCD", "TSPARM", "TSVAL", "TSVALNF", "TSVALCD", "TSVCDREF",
    "TSVCDVER",
)  # fmt: skip
CDISC_CT = "CDISC CT"


def _coded(ctx: SdtmContext, field: str, value: str, *, grpid: str | None = None) -> TsValue:
    text, code = ctx.design.coded(field, value)
    return TsValue(val=text, valcd=code, vcdref=CDISC_CT, grpid=grpid)


def _text(value: object, *, null_flavor: str | None = None) -> list[TsValue]:
    if value is None or value == "":
        return [TsValue(valnf=null_flavor)] if null_flavor else []
    return [TsValue(val=str(value))]


def _per_intervention(records: TrialRecords, attribute: str, codelist: str | None, ctx: SdtmContext) -> list[TsValue]:
    values = []
    for intervention in records.study.interventions:
        value = getattr(intervention, attribute)
        if value is None:
            continue
        if codelist is None:
            values.append(TsValue(val=number_text(value), grpid=intervention.code))
            continue
        term = ctx.terminology.term(codelist, value)
        values.append(TsValue(val=term.value, valcd=term.code, vcdref=CDISC_CT, grpid=intervention.code))
    return values


def _derivations(records: TrialRecords, ctx: SdtmContext) -> dict[str, Callable[[], list[TsValue]]]:
    study, design = records.study, ctx.design
    enrolled = [s for s in records.subjects if s.enrolled == "Y"]
    ny = ctx.terminology
    return {
        "maximum_age": lambda: _text(study.maximum_age, null_flavor=design.null_flavors.get("maximum_age")),
        "minimum_age": lambda: _text(study.minimum_age, null_flavor="UNK"),
        "enrollment_target": lambda: _text(study.enrollment_target),
        "allocation": lambda: [_coded(ctx, "allocation", study.allocation)],
        "sex": lambda: [_coded(ctx, "sex", study.sex)],
        "masking": lambda: [_coded(ctx, "masking", study.masking)],
        "official_title": lambda: _text(study.official_title),
        "phase": lambda: (
            [_coded(ctx, "phase", study.phase)] if study.phase else [TsValue(valnf=design.null_flavors["phase"])]
        ),
        "sponsor": lambda: [
            TsValue(
                val=study.sponsor_name,
                valcd=study.sponsor_duns,
                vcdref="D-U-N-S NUMBER" if study.sponsor_duns else None,
            )
        ],
        "registry_id": lambda: [TsValue(val=study.nct_id, valcd=study.nct_id, vcdref="ClinicalTrials.gov")],
        "primary_outcomes": lambda: [TsValue(val=o.measure) for o in study.outcomes if o.kind == "PRIMARY"],
        "secondary_outcomes": lambda: [TsValue(val=o.measure) for o in study.outcomes if o.kind == "SECONDARY"],
        "site_countries": lambda: [
            TsValue(val=c, valcd=c, vcdref="ISO 3166") for c in dict.fromkeys(s.country for s in study.sites)
        ],
        "data_cutoff_date": lambda: _text(study.data_cutoff_date, null_flavor="UNK"),
        "data_cutoff_description": lambda: _text(study.data_cutoff_description, null_flavor="UNK"),
        "number_of_arms": lambda: _text(len(study.arms)),
        "study_type": lambda: [_coded(ctx, "study_type", study.study_type)],
        "study_start": lambda: _text(min((s.consent_date for s in enrolled), default=None), null_flavor="UNK"),
        "study_end": lambda: _study_end(records, ctx),
        "enrolled_subjects": lambda: _text(len(enrolled)),
        "healthy_volunteers": lambda: [
            TsValue(val=v, valcd=ny.code("NY", v), vcdref=CDISC_CT) for v in ["Y" if study.healthy_volunteers else "N"]
        ],
        "intervention_model": lambda: [_coded(ctx, "intervention_model", study.intervention_model)],
        "intervention_type": lambda: [
            _coded(ctx, "intervention_type", t) for t in dict.fromkeys(i.type for i in study.interventions)
        ],
        "conditions": lambda: [
            TsValue(val=c.name, valcd=c.snomed, vcdref="SNOMED" if c.snomed else None) for c in study.conditions
        ],
        "primary_purpose": lambda: [_coded(ctx, "primary_purpose", study.primary_purpose)],
        "treatments": lambda: [TsValue(val=i.treatment, grpid=i.code) for i in study.interventions],  # no UNII exists
        "dose": lambda: _per_intervention(records, "dose", None, ctx),
        "dose_unit": lambda: _per_intervention(records, "dose_unit", "UNIT", ctx),
        "dose_frequency": lambda: _per_intervention(records, "frequency", "FREQ", ctx),
        "route": lambda: _per_intervention(records, "route", "ROUTE", ctx),
        "dose_form": lambda: _per_intervention(records, "dose_form", "FRM", ctx),
    }


def _study_end(records: TrialRecords, ctx: SdtmContext) -> list[TsValue]:
    """Last subject's last contact once the study is over; a null flavor while it is ongoing."""
    if records.study.overall_status in ("COMPLETED", "TERMINATED"):
        dates = [r.rfpendtc for r in ctx.subjects.values() if r.rfpendtc]
        if dates:
            return [TsValue(val=max(dates))]
    return [TsValue(valnf=ctx.design.null_flavors["study_end"])]


def build_ts(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    derivations = _derivations(records, ctx)
    rows = []
    for parameter in ctx.design.ts:
        values = derivations[parameter.derive]() if parameter.derive else list(parameter.values)
        for seq, value in enumerate(values, start=1):
            vcdver = value.vcdver or (CT_VERSION if value.vcdref == CDISC_CT else None)
            rows.append(
                {
                    "TSSEQ": seq,
                    "TSGRPID": value.grpid,
                    "TSPARMCD": parameter.parmcd,
                    "TSPARM": parameter.parm,
                    "TSVAL": value.val,
                    "TSVALNF": value.valnf,
                    "TSVALCD": value.valcd,
                    "TSVCDREF": value.vcdref,
                    "TSVCDVER": vcdver,
                }
            )
    frame = pd.DataFrame(rows, dtype=object)
    frame.insert(0, "DOMAIN", "TS")
    frame.insert(0, "STUDYID", ctx.study_id)
    frame["TSSEQ"] = pd.array(frame["TSSEQ"].tolist(), dtype="Int64")
    return select(frame, TS_VARIABLES)
