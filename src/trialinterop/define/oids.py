"""Every OID used by Define-XML and Dataset-JSON, made here and nowhere else, so the two always agree."""

from __future__ import annotations


def itemgroup_oid(dataset: str) -> str:
    return f"IG.{dataset}"


def item_oid(dataset: str, variable: str) -> str:
    return f"IT.{dataset}.{variable}"


def value_item_oid(dataset: str, variable: str, first_value: str) -> str:
    return f"IT.{dataset}.{variable}.{_token(first_value)}"


def valuelist_oid(dataset: str, variable: str) -> str:
    return f"VL.{dataset}.{variable}"


def whereclause_oid(dataset: str, variable: str, first_value: str) -> str:
    return f"WC.{dataset}.{variable}.{_token(first_value)}"


def codelist_oid(name: str) -> str:
    return f"CL.{name}"


def method_oid(method_id: str) -> str:
    return method_id if method_id.startswith("MT.") else f"MT.{method_id}"


def comment_oid(comment_id: str) -> str:
    return comment_id if comment_id.startswith("COM.") else f"COM.{comment_id}"


def leaf_id(dataset: str) -> str:
    return f"LF.{dataset}"


def standard_oid(name: str, version: str) -> str:
    return f"STD.{_token(name)}.{version}"


def _token(text: str) -> str:
    """Values become OID parts: spaces and other non-OID characters turn into underscores."""
    return "".join(c if c.isalnum() or c in "-." else "_" for c in text)
