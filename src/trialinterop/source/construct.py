"""Record models from field values: one row (`build_row`) or a whole column-wise chunk (`construct_all`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields as dc_fields
from dataclasses import make_dataclass
from functools import cache
from typing import Any

from trialinterop.source import models as m


@cache
def field_names(model: type) -> tuple[str, ...]:
    return tuple(f.name for f in dc_fields(model))


@cache
def _field_set(model: type) -> frozenset[str]:
    return frozenset(field_names(model))


def build_row(model: type, values: dict[str, Any], origin: m.Origin, *, attributes: tuple[str, ...] = ()) -> Any:
    """Field values by name -> model (`reader._field_column` is the column-wise equivalent); `attributes` names the
    subject-attribute columns among `values` (folded into `Subject.attributes`)."""
    if model is m.Subject:
        values["race"] = values["race"] or ()
        values["attributes"] = tuple((a, values[a]) for a in attributes if values.get(a) is not None)
    names = _field_set(model)
    return model(**{k: v for k, v in values.items() if k in names}, origin=origin)


def construct_all(model: type, columns: list[Iterable[Any]]) -> list[Any]:
    """Models from their fields' values, column by column (positional, in field order).

    The `__init__` of a frozen dataclass sets each field through `object.__setattr__`, about 1 µs apiece; an unfrozen
    twin with the same slots stores them directly, then takes the model's class. The results are ordinary instances
    of `model`, equal field for field. A model without such a twin is called."""
    twin = unfrozen_twin(model)
    if twin is None:
        return list(map(model, *columns))
    instances = list(map(twin, *columns))
    for instance in instances:
        instance.__class__ = model
    return instances


@cache
def maker(model: type) -> Callable[..., Any]:
    """`model` called with every field (by position or name), made as `construct_all` makes many (its unfrozen twin,
    then the class swap): for readers that build models one at a time in a hot loop."""
    twin = unfrozen_twin(model)
    if twin is None:
        return model

    def make(*values: Any, **named: Any) -> Any:
        instance = twin(*values, **named)
        instance.__class__ = model
        return instance

    return make


@cache
def unfrozen_twin(model: type) -> type | None:
    """A plain slotted dataclass laid out like `model`; None unless `model` is a slotted dataclass whose `__init__`
    only stores its fields (every field in `__init__`, no `__post_init__`) and the class swap works."""
    names = field_names(model)
    if getattr(model, "__slots__", None) != names or hasattr(model, "__post_init__"):
        return None
    if not all(f.init for f in dc_fields(model)):
        return None
    twin = make_dataclass(f"_Unfrozen{model.__name__}", names, slots=True, repr=False, eq=False)
    try:
        twin(*names).__class__ = model
    except TypeError:  # a layout the class swap refuses
        return None
    return twin
