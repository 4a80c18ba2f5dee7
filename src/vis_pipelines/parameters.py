"""Typed parameters: turning a ``params:`` value into its frozen dataclass."""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from typing import Any, TypeVar

__all__ = ["coerce_params", "check_field_types"]

T = TypeVar("T")


def coerce_params(value: Any, cls: type[T]) -> T:
    """``value`` if it is already a ``cls``, ``cls(**value)`` for a mapping, ``cls()`` for None.

    Kedro instantiates type-hinted ``params:`` inputs itself; nodes called directly (tests, other
    code) may pass the raw mapping instead.
    """
    if isinstance(value, cls):
        return value
    if value is None:
        return cls()
    if isinstance(value, Mapping):
        return cls(**value)
    raise ValueError(f"expected {cls.__name__} or a mapping, got {type(value).__name__}")


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if kind == "float":
        return (
            isinstance(value, numbers.Real)
            and not isinstance(value, bool)
            and math.isfinite(float(value))
        )
    if kind == "str":
        return isinstance(value, str)
    if kind.startswith("tuple"):
        return isinstance(value, (list, tuple))
    return True  # other annotations are checked by the dataclass itself


def check_field_types(obj: Any, prefix: str) -> None:
    """Refuse a dataclass field whose value does not match its annotation (``int``, ``float``,
    ``bool``, ``str``, ``tuple[...]``, each optionally ``| None``), naming ``<prefix>.<field>``.

    YAML reads ``1e-3`` as a string and ``yes`` as a bool: without this the mistake would surface
    as a TypeError deep inside a comparison or the optimiser.
    """
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        kinds = [k.strip() for k in str(field.type).split("|")]
        if value is None and "None" in kinds:
            continue
        wanted = [k for k in kinds if k != "None"]
        if wanted and not any(_type_ok(k, value) for k in wanted):
            raise ValueError(
                f"{prefix}.{field.name} must be {' or '.join(kinds)}, got {value!r}"
                + (
                    " (write floats like 1.0e-3: YAML reads 1e-3 as text)"
                    if isinstance(value, str)
                    else ""
                )
            )
