"""`build_sdtm`: every SDTM dataset of the package from one TrialRecords, as unlabelled frames keyed by name.

The context (reference dates, elements) is built once; each domain builder is a pure function of the records and
the context. Empty SUPP-- datasets are left out (an empty dataset is not submitted). `check_build` lists what the
builders had to decide about the data (e.g. AEs not coded to MedDRA) as Issues for the caller to report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Protocol

import pandas as pd

from trialinterop.ct import Terminology
from trialinterop.issues import Issue
from trialinterop.sdtm.conform import InParts
from trialinterop.sdtm.context import SdtmContext, build_context
from trialinterop.sdtm.domains.ae import build_ae, build_suppae, check_uncoded_events
from trialinterop.sdtm.domains.base import empty_frame
from trialinterop.sdtm.domains.cm import build_cm
from trialinterop.sdtm.domains.dm import build_dm, build_suppdm
from trialinterop.sdtm.domains.ds import build_ds
from trialinterop.sdtm.domains.ex import build_ex, exposure_seqs
from trialinterop.sdtm.domains.findings import build_findings_in_parts
from trialinterop.sdtm.domains.ie import build_ie
from trialinterop.sdtm.domains.mh import build_mh
from trialinterop.sdtm.domains.pr import build_pr
from trialinterop.sdtm.domains.se import build_se
from trialinterop.sdtm.domains.supp_values import has_supplemental_values, seqs_by_spid, with_supplemental_values
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
    """All datasets keyed by upper-case name (DM, SE, SV, EX, AE, CM/MH/PR when the records hold any, DS, IE,
    one findings dataset per domain of the definition's instruments (QS, RE, VS, LB, FT, ...), TA, TE, TV, TI, TS,
    SUPP--); SUPP-- only when they have records. `spec` gives every dataset its variables and codelists (default:
    the bundled spec for the definition)."""
    built = iter_sdtm(records, terminology, spec=spec)  # without `findings=`, every dataset is a frame
    return {name: frame for name, frame in built if isinstance(frame, pd.DataFrame)}


class FindingsElsewhere(Protocol):
    """The findings of records that do not hold them (`records.findings` is empty): Spark's executors keep them and
    build the findings datasets with the same builder (trialinterop.spark.fhir_to_sdtm)."""

    def latest_dates(self) -> Mapping[str, str]:
        """Subject id -> the latest complete date of its findings (a last contact: RFPENDTC)."""
        ...

    def build(self, ctx: SdtmContext, domain: str) -> pd.DataFrame | InParts:
        """The findings dataset `domain`, as `build_findings_in_parts` builds it from the whole records, or left in
        parts where the findings are (`sdtm.conform.InParts`: conformed there, same result)."""
        ...


def iter_sdtm(
    records: TrialRecords,
    terminology: Terminology,
    *,
    spec: Spec | None = None,
    findings: FindingsElsewhere | None = None,
) -> Iterator[tuple[str, pd.DataFrame | InParts]]:
    """The datasets of `build_sdtm`, in its order, each built only when asked for: a caller that conforms or writes
    each one before asking for the next holds one built frame at a time (SUPPAE is built from the AE frame, which
    is kept until then). `findings`: where the findings are when `records` does not hold them."""
    spec = spec or load_spec(definition=records.definition)
    contacts = findings.latest_dates() if findings is not None else None
    ctx = build_context(records, terminology, spec=spec, contacts=contacts)  # the design from records.definition
    build_domain = partial(build_findings_in_parts, records, ctx) if findings is None else partial(findings.build, ctx)
    domains = dict.fromkeys(i.domain for i in records.definition.instruments)
    ae = build_ae(records, ctx)
    builders: list[tuple[str, Callable[[], pd.DataFrame | InParts]]] = [
        ("DM", lambda: build_dm(records, ctx)),
        ("SE", lambda: build_se(records, ctx)),
        ("SV", lambda: build_sv(records, ctx)),
        ("EX", lambda: build_ex(records, ctx)),
        ("AE", lambda: ae),
        *([("CM", lambda: build_cm(records, ctx))] if records.medications else []),
        *([("MH", lambda: build_mh(records, ctx))] if records.medical_history else []),
        *([("PR", lambda: build_pr(records, ctx))] if records.procedures else []),
        ("DS", lambda: build_ds(records, ctx)),
        ("IE", lambda: build_ie(records, ctx)),
        *((domain, partial(build_domain, domain)) for domain in domains),
        ("TA", lambda: build_ta(records, ctx)),
        ("TE", lambda: build_te(records, ctx)),
        ("TV", lambda: build_tv(records, ctx)),
        ("TI", lambda: build_ti(records, ctx)),
        ("TS", lambda: build_ts(records, ctx)),
        ("SUPPDM", lambda: build_suppdm(records, ctx)),
        (
            "SUPPAE",
            lambda: with_supplemental_values(
                build_suppae(records, ctx, ae=ae),
                records,
                ctx,
                domain="AE",
                seqs=seqs_by_spid(ae, "AE", _ae_spids(records), ctx),
            ),
        ),
        *([("SUPPCM", lambda: _suppcm(records, ctx))] if has_supplemental_values(records, "CM") else []),
        *([("SUPPEX", lambda: _suppex(records, ctx))] if has_supplemental_values(records, "EX") else []),
        *([("SUPPMH", lambda: _suppmh(records, ctx))] if has_supplemental_values(records, "MH") else []),
    ]
    for name, build in builders:
        frame = build()
        if not (name.startswith("SUPP") and isinstance(frame, pd.DataFrame) and frame.empty):
            yield name, frame
        del frame


def _suppcm(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    """SUPPCM: the records' supplemental values of CM (a route as given, from FHIR)."""
    rows = [(c.subject_id, c.cm_id, c.sponsor_id) for c in records.medications]
    return _supp_by_spid(records, ctx, "CM", build_cm(records, ctx), rows)


def _suppmh(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    """SUPPMH: the records' supplemental values of MH (a severity as given, from FHIR)."""
    rows = [(h.subject_id, h.mh_id, h.sponsor_id) for h in records.medical_history]
    return _supp_by_spid(records, ctx, "MH", build_mh(records, ctx), rows)


def _supp_by_spid(
    records: TrialRecords, ctx: SdtmContext, domain: str, parent: pd.DataFrame, rows: list[tuple[str, int, str | None]]
) -> pd.DataFrame:
    """SUPP`domain`: the records' supplemental values of `domain`, each naming its parent's --SEQ through the --SPID
    `parent` (the domain built again, only when there are such values) gives its record (`rows`: `_spids`)."""
    seqs = seqs_by_spid(parent, domain, _spids(rows), ctx)
    return with_supplemental_values(
        empty_frame(ctx.variable_names(f"SUPP{domain}")), records, ctx, domain=domain, seqs=seqs
    )


def _suppex(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    """SUPPEX: the records' supplemental values of EX (a route as given, from FHIR)."""
    seqs = exposure_seqs(records, ctx)
    return with_supplemental_values(empty_frame(ctx.variable_names("SUPPEX")), records, ctx, domain="EX", seqs=seqs)


def _ae_spids(records: TrialRecords) -> dict[tuple[str, int], str]:
    """(subject id, AE number) -> AESPID as build_ae writes it."""
    return _spids([(a.subject_id, a.ae_id, a.sponsor_id) for a in records.adverse_events])


def _spids(rows: list[tuple[str, int, str | None]]) -> dict[tuple[str, int], str]:
    """(subject id, record number) -> --SPID as the CM, MH and AE builders write it from (subject id, record number,
    sponsor id) rows: the sponsor ids when any record has one, else the numbers."""
    given = any(spid for _, _, spid in rows)
    return {(sid, number): (spid or "") if given else str(number) for sid, number, spid in rows}


def check_build(records: TrialRecords) -> list[Issue]:
    """Findings about the records that the builders resolved by a documented convention."""
    return check_uncoded_events(records)
