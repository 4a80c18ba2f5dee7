"""Flat metric records for DVC: ``{name: number}`` plus the provenance strings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..provenance import git_revision, params_hash

__all__ = ["metrics_record"]


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _flatten(f"{prefix}_{key}" if prefix else str(key), sub, out)
        return
    if value is None:
        out[prefix] = None
    elif isinstance(value, bool):
        out[prefix] = int(value)
    elif isinstance(value, (int, float)) or hasattr(value, "item"):
        number = value.item() if hasattr(value, "item") else value
        if not isinstance(number, (int, float)):
            raise ValueError(f"metric {prefix!r} is not a number: {value!r}")
        # JSON has no NaN: an undefined metric is written as null, explicitly.
        out[prefix] = None if isinstance(number, float) and not math.isfinite(number) else number
    else:
        raise ValueError(f"metric {prefix!r} is not a number: {value!r}")


def metrics_record(summary: Mapping[str, Any], params: Any) -> dict[str, Any]:
    """Flatten ``summary`` (nested keys joined by ``_``); add ``params_hash`` and ``git_revision``.

    Values stay numbers; undefined ones (None, NaN) become ``None``.
    """
    out: dict[str, Any] = {}
    _flatten("", summary, out)
    for key in ("params_hash", "git_revision"):
        if key in out:
            raise ValueError(f"metric name {key!r} is reserved for provenance")
    out["params_hash"] = params_hash(params)
    out["git_revision"] = git_revision()
    return out
