"""Typed parameters: turning a ``params:`` value into its frozen dataclass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

__all__ = ["coerce_params"]

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
