"""SUPP-- records paired through their parent record (`supp_by_parent`), not through IDVARVAL.

A SUPP-- record points at its parent by IDVAR/IDVARVAL, usually --SEQ. Two builders that number --SEQ differently
give the same qualifier of the same parent different IDVARVALs, so pairing on IDVARVAL reports every such record as
only in A and only in B. With `supp_by_parent`, each SUPP-- record gets a derived key column PARENT_KEY: the natural
key of its parent record without STUDYID and USUBJID ("LBCAT=CHEMISTRY, LBTESTCD=ALB, VISITNUM=1, LBDTC=2014-01-02",
" #2" added for the second parent of a repeated key; "(subject)" for DM). SUPP-- records then pair on STUDYID
RDOMAIN USUBJID IDVAR PARENT_KEY QNAM, and IDVARVAL is compared as a value. A record whose IDVAR is empty or names
no parent variable, or whose parent record is not found, keeps "IDVARVAL=<value>" as its PARENT_KEY.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from trialinterop.compare.keys import ResolvedKeys
from trialinterop.compare.values import format_value
from trialinterop.validate.package import Dataset, Variable

PARENT_KEY = "PARENT_KEY"
SUPP_KEYS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", PARENT_KEY, "QNAM")
SUPP_COLUMNS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM")  # needed to pair through a parent
SUBJECT_KEYS = {"STUDYID", "USUBJID"}


def parent_name(supp: Dataset, names: set[str]) -> str | None:
    """The parent dataset of a SUPP-- dataset among `names`: SUPPLBCH -> LBCH, else its RDOMAIN (SUPPLB -> LB)."""
    if supp.name[4:] in names:
        return supp.name[4:]
    if "RDOMAIN" in supp.frame.columns and len(supp.frame):
        domain = str(supp.frame["RDOMAIN"].iloc[0])
        if domain in names:
            return domain
    return None


def _key_text(parent: Dataset, keys: tuple[str, ...]) -> list[str]:
    shown = [k for k in keys if k not in SUBJECT_KEYS]
    if not shown:  # a subject-level parent (DM): the subject is the whole key
        return ["(subject)"] * len(parent.frame)
    columns = [[format_value(v) for v in parent.frame[k].to_numpy()] for k in shown]
    texts = pd.Series(
        [", ".join(f"{k}={v}" for k, v in zip(shown, values, strict=True)) for values in zip(*columns, strict=True)],
        dtype=object,
    )
    order = texts.groupby(texts, sort=False).cumcount().to_numpy() + 1  # as parents pair: by order within a key
    return [text if n == 1 else f"{text} #{n}" for text, n in zip(texts, order, strict=True)]


def with_parent_keys(supp: Dataset, parent: Dataset, parent_keys: tuple[str, ...]) -> Dataset:
    """`supp` with a PARENT_KEY column (see the module docstring); the data read are not changed."""
    frame = supp.frame.copy()
    idvarval = frame["IDVARVAL"].map(format_value)
    fallback = "IDVARVAL=" + idvarval
    frame[PARENT_KEY] = fallback
    if parent_keys and len(parent.frame) and "USUBJID" in parent.frame.columns:
        texts = pd.Series(_key_text(parent, parent_keys), index=parent.frame.index)
        for idvar in sorted(set(frame["IDVAR"].astype(str)) & set(parent.frame.columns)):
            lookup = pd.DataFrame(
                {
                    "USUBJID": parent.frame["USUBJID"].astype(str).to_numpy(),
                    "IDVARVAL": parent.frame[idvar].map(format_value).to_numpy(),
                    "text": texts.to_numpy(),
                }
            ).drop_duplicates(["USUBJID", "IDVARVAL"])
            rows = frame["IDVAR"].astype(str) == idvar
            found = pd.DataFrame(
                {"USUBJID": frame.loc[rows, "USUBJID"].astype(str).to_numpy(), "IDVARVAL": idvarval[rows].to_numpy()}
            ).merge(lookup, on=["USUBJID", "IDVARVAL"], how="left")
            values = found["text"].to_numpy()
            frame.loc[rows, PARENT_KEY] = [
                v if isinstance(v, str) else f for v, f in zip(values, fallback[rows], strict=True)
            ]
    variable = Variable(PARENT_KEY, "Parent record key (derived by compare-sdtm)", "Char", None)
    return dataclasses.replace(supp, frame=frame, variables=(*supp.variables, variable))


def supp_keys(resolved_parent: ResolvedKeys, parent: str) -> ResolvedKeys:
    return ResolvedKeys(SUPP_KEYS, f"SUPP-- by parent record ({parent} keys {', '.join(resolved_parent.keys)})", ())
