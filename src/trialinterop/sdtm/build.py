"""`build_sdtm`: every SDTM dataset of the package from one TrialRecords, as unlabelled frames keyed by name.

The context (reference dates, elements) is built once; each domain builder is a pure function of the records and
the context. Empty SUPP-- datasets are left out (an empty dataset is not submitted). `check_build` lists what the
builders had to decide about the data (e.g. AEs not coded to MedDRA) as Issues for the caller to report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Protocol

import pandas as pd

from trialinterop.ct import Terminology
from trialinterop.issues import Issue
from trialinterop.sdtm.conform import InParts
from trialinterop.sdtm.context import SdtmContext, build_context
from trialinterop.sdtm.domains.ae import build_ae, build_suppae, uncoded_event_issues
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
from trialinterop.sdtm.domains.ts import TrialCounts, build_ts, trial_counts
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
    built = iter_sdtm(records, terminology, spec=spec)  # without `elsewhere=`, every dataset is a frame
    return {name: frame for name, frame in built if isinstance(frame, pd.DataFrame)}


class RecordsElsewhere(Protocol):
    """The records of the subjects, held where `records` is not (it holds the definition only): Spark's executors
    keep them and build every per-subject dataset there, in ranges of subjects, with the builders below
    (trialinterop.spark.elsewhere)."""

    def subject_datasets(self) -> list[str]:
        """`subject_datasets` of the whole trial's records."""
        ...

    def subject_dataset(self, ctx: SdtmContext, name: str) -> pd.DataFrame | InParts:
        """The dataset `build_subject_dataset` builds of the whole records, or left in parts where the records are
        (`sdtm.conform.InParts`: conformed there, same result)."""
        ...

    def findings_dataset(self, ctx: SdtmContext, domain: str) -> pd.DataFrame | InParts:
        """The findings dataset `domain`, as `build_findings_in_parts` builds it of the whole records, or in parts."""
        ...

    def trial_counts(self) -> TrialCounts:
        """`trial_counts` of the whole trial (TS)."""
        ...

    def notes(self) -> list[Issue]:
        """`check_build` of the whole trial's records."""
        ...


SUBJECT_DATASETS: tuple[str, ...] = ("DM", "SE", "SV", "EX", "AE", "CM", "MH", "PR", "DS", "IE", "SUPPDM", "SUPPAE")
SUBJECT_DATASETS += ("SUPPCM", "SUPPEX", "SUPPMH")
"""The datasets with a record per subject or per subject's record, built by `build_subject_dataset`; every other
dataset is a findings dataset (`build_findings_in_parts`) or describes the trial (TA, TE, TV, TI, TS)."""


def subject_datasets(records: TrialRecords) -> list[str]:
    """The SUBJECT_DATASETS `records` make: CM, MH and PR only when the records hold such records, SUPPCM, SUPPEX
    and SUPPMH only when supplemental values name them (an empty SUPPDM or SUPPAE is left out when built)."""
    held = {"CM": records.medications, "MH": records.medical_history, "PR": records.procedures}
    return [
        name
        for name in SUBJECT_DATASETS
        if held.get(name, True)
        and not (name in ("SUPPCM", "SUPPEX", "SUPPMH") and not has_supplemental_values(records, name[4:]))
    ]


def build_subject_dataset(
    records: TrialRecords, ctx: SdtmContext, name: str, *, ae: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Dataset `name` (one of SUBJECT_DATASETS) of `records`; `ae`: the AE dataset when already built (SUPPAE reads
    it)."""
    if name in ("AE", "SUPPAE"):
        ae = build_ae(records, ctx) if ae is None else ae
        return ae if name == "AE" else _suppae(records, ctx, ae)
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "DM": lambda: build_dm(records, ctx),
        "SE": lambda: build_se(records, ctx),
        "SV": lambda: build_sv(records, ctx),
        "EX": lambda: build_ex(records, ctx),
        "CM": lambda: build_cm(records, ctx),
        "MH": lambda: build_mh(records, ctx),
        "PR": lambda: build_pr(records, ctx),
        "DS": lambda: build_ds(records, ctx),
        "IE": lambda: build_ie(records, ctx),
        "SUPPDM": lambda: build_suppdm(records, ctx),
        "SUPPCM": lambda: _suppcm(records, ctx),
        "SUPPEX": lambda: _suppex(records, ctx),
        "SUPPMH": lambda: _suppmh(records, ctx),
    }
    return builders[name]()


def iter_sdtm(
    records: TrialRecords,
    terminology: Terminology,
    *,
    spec: Spec | None = None,
    elsewhere: RecordsElsewhere | None = None,
) -> Iterator[tuple[str, pd.DataFrame | InParts]]:
    """The datasets of `build_sdtm`, in its order, each built only when asked for: a caller that conforms or writes
    each one before asking for the next holds one built frame at a time (SUPPAE is built from the AE frame, which
    is kept until then). `elsewhere`: where the subjects' records are when `records` holds the definition only."""
    spec = spec or load_spec(definition=records.definition)
    ctx = build_context(records, terminology, spec=spec)  # the design from records.definition
    domains = dict.fromkeys(i.domain for i in records.definition.instruments)
    subject: Callable[[str], pd.DataFrame | InParts]
    findings: Callable[[str], pd.DataFrame | InParts]
    if elsewhere is None:
        ae = build_ae(records, ctx)
        subject = partial(build_subject_dataset, records, ctx, ae=ae)
        findings = partial(build_findings_in_parts, records, ctx)
        names, counts = subject_datasets(records), trial_counts(records, ctx)
    else:
        subject, findings = partial(elsewhere.subject_dataset, ctx), partial(elsewhere.findings_dataset, ctx)
        names, counts = elsewhere.subject_datasets(), elsewhere.trial_counts()
    supplemental = [name for name in names if name.startswith("SUPP")]
    builders: list[tuple[str, Callable[[], pd.DataFrame | InParts]]] = [
        *((name, partial(subject, name)) for name in names if name not in supplemental),
        *((domain, partial(findings, domain)) for domain in domains),
        ("TA", lambda: build_ta(records, ctx)),
        ("TE", lambda: build_te(records, ctx)),
        ("TV", lambda: build_tv(records, ctx)),
        ("TI", lambda: build_ti(records, ctx)),
        ("TS", lambda: build_ts(records, ctx, counts=counts)),
        *((name, partial(subject, name)) for name in supplemental),
    ]
    for name, build in builders:
        frame = build()
        if not (name.startswith("SUPP") and isinstance(frame, pd.DataFrame) and frame.empty):
            yield name, frame
        del frame


def _suppae(records: TrialRecords, ctx: SdtmContext, ae: pd.DataFrame) -> pd.DataFrame:
    """SUPPAE: AETRTEM and AESOSP (`build_suppae`) and the records' supplemental values of AE."""
    seqs = seqs_by_spid(ae, "AE", _ae_spids(records, ctx), ctx)
    return with_supplemental_values(build_suppae(records, ctx, ae=ae), records, ctx, domain="AE", seqs=seqs)


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
    seqs = seqs_by_spid(parent, domain, _spids(rows, ctx, domain), ctx)
    return with_supplemental_values(
        empty_frame(ctx.variable_names(f"SUPP{domain}")), records, ctx, domain=domain, seqs=seqs
    )


def _suppex(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    """SUPPEX: the records' supplemental values of EX (a route as given, from FHIR)."""
    seqs = exposure_seqs(records, ctx)
    return with_supplemental_values(empty_frame(ctx.variable_names("SUPPEX")), records, ctx, domain="EX", seqs=seqs)


def _ae_spids(records: TrialRecords, ctx: SdtmContext) -> dict[tuple[str, int], str]:
    """(subject id, AE number) -> AESPID as build_ae writes it."""
    return _spids([(a.subject_id, a.ae_id, a.sponsor_id) for a in records.adverse_events], ctx, "AE")


def _spids(rows: list[tuple[str, int, str | None]], ctx: SdtmContext, domain: str) -> dict[tuple[str, int], str]:
    """(subject id, record number) -> --SPID as the CM, MH and AE builders write it from (subject id, record number,
    sponsor id) rows: the sponsor ids when any record of the trial has one, else the numbers."""
    given = ctx.sponsor_ids_given(domain, any(spid for _, _, spid in rows))
    return {(sid, number): (spid or "") if given else str(number) for sid, number, spid in rows}


def check_build(records: TrialRecords) -> list[Issue]:
    """Findings about the records that the builders resolved by a documented convention."""
    return [issue for _, issue in keyed_build_notes(records)]


def keyed_build_notes(records: TrialRecords) -> list[tuple[tuple[str, int], Issue]]:
    """`check_build` with the (subject id, record number) each is about: the notes of parts of a trial, sorted by
    it, are the whole trial's."""
    return uncoded_event_issues(records)
