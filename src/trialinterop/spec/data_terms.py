"""The package's codelists completed with the CDISC CT terms its data use.

A study's codelists (`mappings/codelists.csv` and its definition) list the terms it plans for; collected data can
carry other terms of the same CDISC codelist (a concomitant medication's unit, route or frequency). A Define-XML
codelist lists the terms a dataset uses, so each value of a collected or protocol variable (the data, or the
definition's TS parameters) that is a submission value of the variable's CDISC codelist joins the study's codelist,
with its NCI code. A value that is no term of that CDISC codelist is left out, so conform and the validator still
report it; so is any value of a derived or assigned variable (an EPOCH the study does not have is an error of the
study, not a new term), except RDOMAIN, whose value joins when it names a dataset of the package (SUPPMH's parent MH
where the study planned no MH); sponsor-defined codelists and external dictionaries are never extended, except by a
value SDTMIG reserves in them (`RESERVED_TERMS`: SE's ETCD UNPLAN for an unplanned element), which joins only a
package whose data use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from trialinterop.ct import Term, Terminology, cdisc_terms
from trialinterop.spec.loader import Spec

OPEN_ORIGINS = frozenset({"Collected", "Protocol"})
RESERVED_TERMS = {"ETCD": ("UNPLAN", "Unplanned Element")}
"""Sponsor codelist -> (value, decode) SDTMIG reserves in it (SE: the ETCD of an element outside the planned ones)."""


def with_data_terms(spec: Spec, frames: Mapping[str, pd.DataFrame]) -> Spec:
    """`spec` whose CDISC codelists also hold the CT terms found in `frames` (dataset name -> data)."""
    found: dict[str, dict[str, str]] = {}
    reserved: set[str] = set()
    for dataset, frame in frames.items():
        if dataset not in spec.dataset_names:
            continue
        for variable in spec.variables(dataset):
            codelist = spec.codelist(variable.codelist) if variable.codelist else None
            if codelist is None or variable.name not in frame.columns:
                continue
            term = RESERVED_TERMS.get(codelist.name)
            if term and term[0] not in codelist.values and (frame[variable.name] == term[0]).any():
                reserved.add(codelist.name)
            parents = variable.name == "RDOMAIN"
            if variable.origin not in OPEN_ORIGINS and not parents:
                continue
            standard = cdisc_terms(codelist.name)
            if not standard:
                continue
            values = frame[variable.name].dropna().astype(str).unique()
            for value in sorted(set(values) - codelist.values):
                if value in standard and (not parents or value in frames):
                    found.setdefault(codelist.name, {})[value] = standard[value]
    if not found and not reserved:
        return spec
    codelists = dict(spec.terminology.codelists)
    for name, terms in found.items():
        codelists[name] = codelists[name].with_terms(dict(sorted(terms.items())))
    for name in sorted(reserved):
        value, decode = RESERVED_TERMS[name]
        codelists[name] = replace(codelists[name], terms=(*codelists[name].terms, Term(name, value, "", decode)))
    return replace(spec, terminology=Terminology(codelists))
