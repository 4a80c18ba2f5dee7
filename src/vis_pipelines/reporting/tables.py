"""Metrics records → benchmark tables (pandas) and markdown.

A metrics file ``<model>__<dataset>.json`` is a flat ``{metric: number}`` record plus the
``params_hash`` / ``git_revision`` strings (``evaluation.records``). Each model belongs to one
family (``TableParams.families``); a family's table has one row per (model, dataset), our metrics
in the family's order, the row's note (oracle modes and oracle inputs are labelled) and, on real
datasets only, the seed paper's published numbers in separate ``<metric> (published)`` columns
with their source. A family without files has no table; models of no family go to ``other``.
"""

from __future__ import annotations

import fnmatch
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from vis_pipelines.formats.errors import FormatError

from .config import FamilySpec, TableParams
from .published import PublishedResult, published_for

__all__ = [
    "OTHER",
    "ModelName",
    "parse_metrics_name",
    "classify_model",
    "metrics_frame",
    "family_tables",
    "markdown_table",
    "family_markdown",
    "benchmark_markdown",
    "benchmark_frame",
    "published_column",
]

logger = logging.getLogger(__name__)

OTHER = "other"
PROVENANCE = ("params_hash", "git_revision")
ROW_KEYS = ("family", "model", "base", "variant", "dataset", "note")
PUBLISHED_SOURCE = "published source"


def published_column(metric: str) -> str:
    """Name of the column holding the published value of ``metric``."""
    return f"{metric} (published)"


@dataclass(frozen=True)
class ModelName:
    """A model name split into its family, base model and variant suffix."""

    family: str
    base: str
    variant: str = ""


def parse_metrics_name(name: str) -> tuple[str, str]:
    """``"clusternet_gt_free_gtflow__synthvis"`` → ``("clusternet_gt_free_gtflow", "synthvis")``.

    Takes the file's stem (a partition id may carry sub-folders); raises ``FormatError`` when the
    name is not ``<model>__<dataset>``.
    """
    stem = str(name).rsplit("/", 1)[-1]
    if stem.endswith(".json"):
        stem = stem[: -len(".json")]
    model, sep, dataset = stem.rpartition("__")
    if not sep or not model or not dataset:
        raise FormatError(
            "a metrics file is named <model>__<dataset>.json (DESIGN.md)", source=str(name)
        )
    return model, dataset


def classify_model(model: str, families: Sequence[FamilySpec]) -> ModelName:
    """Family, base and variant of ``model``: the longest exact base wins, then glob prefixes."""
    best: tuple[int, int] | None = None
    found = ModelName(OTHER, model)
    for family in families:
        for pattern in family.models:
            if pattern.endswith("*"):
                if fnmatch.fnmatchcase(model, pattern):
                    rank = (0, len(pattern))
                    candidate = ModelName(family.name, model)
                else:
                    continue
            elif model == pattern or model.startswith(pattern + "_"):
                rank = (1, len(pattern))
                candidate = ModelName(family.name, pattern, model[len(pattern) + 1 :])
            else:
                continue
            if best is None or rank > best:
                best, found = rank, candidate
    return found


def _note(name: ModelName, model: str, notes: Mapping[str, str]) -> str:
    keys = [name.base] + ([model] if model != name.base else [])
    if name.variant:
        keys.append(f"_{name.variant}")
    return "; ".join(dict.fromkeys(notes[k] for k in keys if k in notes))


def _number(value: Any, source: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormatError(f"not a number: {value!r}", source=source, field=key)
    return float(value)


def metrics_frame(records: Mapping[str, Mapping[str, Any]], params: TableParams) -> pd.DataFrame:
    """One row per metrics record: ``family model base variant dataset note``, every metric, and
    the provenance strings. ``records`` maps ``<model>__<dataset>`` to the loaded json."""
    rows = []
    for name in sorted(records):
        record = records[name]
        model, dataset = parse_metrics_name(name)
        if not isinstance(record, Mapping):
            raise FormatError("a metrics file holds a flat {name: number} object", source=name)
        split = classify_model(model, params.families)
        row: dict[str, Any] = {
            "family": split.family,
            "model": model,
            "base": split.base,
            "variant": split.variant,
            "dataset": dataset,
            "note": _note(split, model, params.notes),
        }
        for key, value in record.items():
            if key in PROVENANCE:
                row[key] = None if value is None else str(value)
            elif key in ROW_KEYS:
                raise FormatError("metric name is reserved for the table", source=name, field=key)
            else:
                row[key] = _number(value, name, key)
        rows.append(row)
        if split.family == OTHER:
            logger.info(
                "%s belongs to no family in reporting.tables.families: table 'other'", model
            )
    frame = pd.DataFrame(rows)
    return frame if rows else pd.DataFrame(columns=[*ROW_KEYS, *PROVENANCE])


def _order(frame: pd.DataFrame, family: FamilySpec | None, params: TableParams) -> pd.DataFrame:
    datasets = {d: i for i, d in enumerate(params.dataset_order)}
    patterns = family.models if family is not None else ()

    def model_rank(base: str) -> int:
        for i, pattern in enumerate(patterns):
            if base == pattern or (pattern.endswith("*") and fnmatch.fnmatchcase(base, pattern)):
                return i
        return len(patterns)

    key = pd.DataFrame(
        {
            "d": [datasets.get(d, len(datasets)) for d in frame["dataset"]],
            "dn": frame["dataset"].tolist(),
            "m": [model_rank(b) for b in frame["base"]],
            "b": frame["base"].tolist(),
            "v": frame["variant"].tolist(),
        },
        index=frame.index,
    )
    # Per dataset: default inputs first, then each variant (e.g. ground-truth flow) as a block.
    order = key.sort_values(["d", "dn", "v", "m", "b"], kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


def _metric_columns(frame: pd.DataFrame, family: FamilySpec | None) -> list[str]:
    present = [c for c in frame.columns if c not in (*ROW_KEYS, *PROVENANCE)]
    if family is not None and family.metrics:
        return [m for m in family.metrics if m in present]
    return present


def family_tables(
    records: Mapping[str, Mapping[str, Any]],
    published: Sequence[PublishedResult],
    params: TableParams,
) -> dict[str, pd.DataFrame]:
    """``{family: table}`` for the families that have metrics files, in the configured order.

    Columns: ``model dataset note``, the family's metrics present in its files, then (only if a
    row on a real dataset has one) ``<metric> (published)`` columns and ``published source``,
    then ``params_hash git_revision``.
    """
    frame = metrics_frame(records, params)
    specs: dict[str, FamilySpec | None] = {f.name: f for f in params.families}
    specs[OTHER] = None
    tables: dict[str, pd.DataFrame] = {}
    for name, spec in specs.items():
        rows = frame[frame["family"] == name].dropna(axis=1, how="all")
        if rows.empty:
            continue
        rows = _order(rows.reset_index(drop=True), spec, params)
        metrics = _metric_columns(rows, spec)
        table = rows[["model", "dataset", "note", *metrics]].copy()
        table["note"] = table["note"].fillna("")
        matches = [
            published_for(published, model, dataset) if dataset in params.real_datasets else None
            for model, dataset in zip(rows["model"], rows["dataset"], strict=True)
        ]
        published_metrics = list(
            dict.fromkeys(m for p in matches if p is not None for m in p.metrics)
        )
        # Published numbers follow our metric order; ones we do not compute go last.
        published_metrics.sort(key=lambda m: metrics.index(m) if m in metrics else len(metrics))
        for metric in published_metrics:
            table[published_column(metric)] = [
                None if p is None else p.metrics.get(metric) for p in matches
            ]
        if published_metrics:
            table[PUBLISHED_SOURCE] = ["" if p is None else p.label for p in matches]
        for key in PROVENANCE:
            table[key] = rows[key] if key in rows else None
        tables[name] = table
    return tables


def _cell(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    digits: int = 1,
    metric_digits: Mapping[str, int] | None = None,
) -> str:
    """A GitHub markdown table of ``columns`` (all by default); numbers right-aligned, missing
    values as ``–``. ``metric_digits`` overrides ``digits`` per column (also for its published
    column)."""
    columns = list(table.columns if columns is None else columns)
    metric_digits = dict(metric_digits or {})

    def digits_of(column: str) -> int:
        base = column[: -len(" (published)")] if column.endswith(" (published)") else column
        return metric_digits.get(base, digits)

    numeric = {c: pd.api.types.is_numeric_dtype(table[c]) or table[c].isna().all() for c in columns}
    numeric = {c: v and c not in ("model", "dataset", "note") for c, v in numeric.items()}
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if numeric[c] else "---" for c in columns) + "|",
    ]
    for _, row in table[columns].iterrows():
        lines.append("| " + " | ".join(_cell(row[c], digits_of(c)) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def _title(family: str, params: TableParams) -> str:
    for spec in params.families:
        if spec.name == family:
            return spec.title
    return params.other_title


def family_markdown(family: str, table: pd.DataFrame, params: TableParams) -> str:
    """One family as markdown: a section per dataset, columns without any value left out (so a
    SynthVIS section never shows published columns), the dataset's note under its table."""
    out = [f"## {_title(family, params)}\n"]
    for dataset in dict.fromkeys(table["dataset"]):
        rows = table[table["dataset"] == dataset].reset_index(drop=True)
        shown = [
            c
            for c in rows.columns
            if c not in ("dataset", *PROVENANCE)
            and (c == "model" or rows[c].map(lambda v: v not in (None, "") and v == v).any())
        ]
        out.append(f"### {dataset}\n")
        out.append(
            markdown_table(rows, shown, digits=params.digits, metric_digits=params.metric_digits)
        )
        note = params.dataset_notes.get(dataset)
        if note:
            out.append(f"_{note}_\n")
    return "\n".join(out)


def benchmark_markdown(tables: Mapping[str, pd.DataFrame], params: TableParams) -> str:
    """The combined benchmark: every family's sections, with where the numbers come from."""
    revisions = sorted(
        {
            str(r)
            for t in tables.values()
            for r in t.get("git_revision", pd.Series(dtype=object)).dropna()
        }
    )
    head = [
        "# Benchmark\n",
        "Scores in percent (flow: EPE in pixels, Fl_all in percent, fps frame pairs per second), "
        "one row per `data/08_reporting/metrics/<model>__<dataset>.json`. Published numbers "
        "appear only on real datasets, in their own columns, with their source.\n",
    ]
    if revisions:
        head.append(
            "Git revisions of the metrics: " + ", ".join(f"`{r}`" for r in revisions) + "\n"
        )
    if not tables:
        head.append("No metrics files yet: run the model pipelines first.\n")
    return "\n".join(head + [family_markdown(name, t, params) for name, t in tables.items()])


def benchmark_frame(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """All family tables stacked in one long table with a ``family`` column."""
    if not tables:
        return pd.DataFrame(columns=["family", "model", "dataset", "note", *PROVENANCE])
    parts = [t.assign(family=name) for name, t in tables.items()]
    frame = pd.concat(parts, ignore_index=True, sort=False)
    first = ["family", "model", "dataset", "note"]
    last = [c for c in (PUBLISHED_SOURCE, *PROVENANCE) if c in frame.columns]
    middle = [c for c in frame.columns if c not in first and c not in last]
    return frame[first + middle + last]
