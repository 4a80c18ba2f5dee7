"""Published results of the seed papers (``published.yml``), checked and looked up by row."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vis_pipelines.formats.errors import FormatError

__all__ = ["PublishedResult", "parse_published", "published_for"]

logger = logging.getLogger(__name__)

_REQUIRED = ("method", "setting", "dataset", "metrics", "source", "table")


@dataclass(frozen=True)
class PublishedResult:
    """One published row: a method/setting's numbers (percent) on one dataset, with its source."""

    method: str
    setting: str
    dataset: str
    metrics: dict[str, float]
    source: str
    table: str
    split: str | None = None
    models: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``"GenVIS (R-50, online); genvis_README.md, Model Zoo / YouTubeVIS-2019"``."""
        return f"{self.method} ({self.setting}); {self.source}, {self.table}"


def parse_published(data: Any, source: str = "published.yml") -> list[PublishedResult]:
    """Check ``{"results": [...]}`` and return its rows; a bad row raises one ``FormatError``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        raise FormatError("expected a mapping with a 'results' list", source=source)
    rows = []
    for i, entry in enumerate(data["results"]):
        record = f"results[{i}]"
        if not isinstance(entry, Mapping):
            raise FormatError("expected a mapping", source=source, record=record)
        for key in _REQUIRED:
            if key not in entry:
                raise FormatError("missing", source=source, record=record, field=key)
        for key in ("method", "setting", "dataset", "source", "table"):
            if not isinstance(entry[key], str) or not entry[key]:
                raise FormatError(
                    "expected a non-empty text", source=source, record=record, field=key
                )
        metrics = entry["metrics"]
        if not isinstance(metrics, Mapping) or not metrics:
            raise FormatError(
                "expected {metric: number}", source=source, record=record, field="metrics"
            )
        for name, value in metrics.items():
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or not math.isfinite(float(value)):
                raise FormatError(
                    f"{name!r} is not a number: {value!r}",
                    source=source,
                    record=record,
                    field="metrics",
                )
        models = entry.get("models") or []
        if isinstance(models, str) or not all(isinstance(m, str) for m in models):
            raise FormatError(
                "expected a list of model names", source=source, record=record, field="models"
            )
        rows.append(
            PublishedResult(
                method=entry["method"],
                setting=entry["setting"],
                dataset=entry["dataset"],
                metrics={str(k): float(v) for k, v in metrics.items()},
                source=entry["source"],
                table=entry["table"],
                split=entry.get("split"),
                models=tuple(models),
            )
        )
    return rows


def published_for(
    published: Sequence[PublishedResult], model: str, dataset: str
) -> PublishedResult | None:
    """The published row compared with our ``model`` on ``dataset`` (first match), or None."""
    matches = [p for p in published if p.dataset == dataset and model in p.models]
    if len(matches) > 1:
        logger.warning(
            "%d published rows list %s on %s; showing the first (%s)",
            len(matches),
            model,
            dataset,
            matches[0].label,
        )
    return matches[0] if matches else None
