"""`build_sdtm`: every SDTM dataset of the package from one TrialRecords, as unlabelled frames keyed by name.

The context (reference dates, elements) is built once; each domain builder is a pure function of the records and
the context. Empty SUPP-- datasets are left out (an empty dataset is not submitted). `check_build` lists what the
builders had to decide about the data (e.g. AEs not coded to MedDRA) as Issues for the caller to report.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.ct import Terminology
from trialinterop.issues import Issue
from trialinterop.sdtm.context import build_context
from trialinterop.sdtm.domains.ae import build_ae, build_suppae, check_uncoded_events
from trialinterop.sdtm.domains.cm import build_cm
from trialinterop.sdtm.domains.dm import build_dm, build_suppdm
from trialinterop.sdtm.domains.ds import build_ds
from trialinterop.sdtm.domains.ex import build_ex
from trialinterop.sdtm.domains.findings import build_findings
from trialinterop.sdtm.domains.ie import build_ie
from trialinterop.sdtm.domains.mh import build_mh
from trialinterop.sdtm.domains.pr import build_pr
from trialinterop.sdtm.domains.se import build_se
from trialinterop.sdtm.domains.supp_values import with_supplemental_values
from trialinterop.sdtm.domains.sv import build_sv
from trialinterop.sdtm.domains.trial_design import build_ta, build_te, build_ti, build_tv
from trialinterop.sdtm.domains.ts import build_ts
from trialinterop.source.models import TrialRecords
from trialinterop.spec import Spec, load_spec


def build_sdtm(
    records: TrialRecords,
    terminology: Terminology,
    *,
    spec: Spec | None = None,
) -> dict[str, pd.DataFrame]:
    """All datasets keyed by upper-case name (DM, SE, SV, EX, AE, CM/MH/PR when the records hold any, DS, IE, one
    findings dataset per domain of the definition's instruments (QS, RE, VS, LB, FT, ...), TA, TE, TV, TI, TS,
    SUPP--); SUPP-- only when they have records. `spec` gives every dataset its variables and codelists (default:
    the bundled spec for the definition)."""
    spec = spec or load_spec(definition=records.definition)
    ctx = build_context(records, terminology, spec=spec)  # the design comes from records.definition
    ae = build_ae(records, ctx)
    findings = {
        domain: build_findings(records, ctx, domain)
        for domain in dict.fromkeys(i.domain for i in records.definition.instruments)
    }
    frames = {
        "DM": build_dm(records, ctx),
        "SE": build_se(records, ctx),
        "SV": build_sv(records, ctx),
        "EX": build_ex(records, ctx),
        "AE": ae,
        **({"CM": build_cm(records, ctx)} if records.medications else {}),
        **({"MH": build_mh(records, ctx)} if records.medical_history else {}),
        **({"PR": build_pr(records, ctx)} if records.procedures else {}),
        "DS": build_ds(records, ctx),
        "IE": build_ie(records, ctx),
        **findings,
        "TA": build_ta(records, ctx),
        "TE": build_te(records, ctx),
        "TV": build_tv(records, ctx),
        "TI": build_ti(records, ctx),
        "TS": build_ts(records, ctx),
        "SUPPDM": build_suppdm(records, ctx),
        "SUPPAE": with_supplemental_values(
            build_suppae(records, ctx, ae=ae), records, ctx, parent=ae, domain="AE", spids=_ae_spids(records)
        ),
    }
    return {name: frame for name, frame in frames.items() if not (name.startswith("SUPP") and frame.empty)}


def _ae_spids(records: TrialRecords) -> dict[tuple[str, int], str]:
    """(subject id, AE number) -> AESPID as build_ae writes it (the sponsor ids when any AE has one)."""
    given = any(a.sponsor_id for a in records.adverse_events)
    return {(a.subject_id, a.ae_id): (a.sponsor_id or "") if given else str(a.ae_id) for a in records.adverse_events}


def check_build(records: TrialRecords) -> list[Issue]:
    """Findings about the records that the builders resolved by a documented convention."""
    return check_uncoded_events(records)
