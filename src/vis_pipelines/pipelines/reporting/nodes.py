"""Nodes of the ``reporting`` pipeline: thin wrappers around ``vis_pipelines.reporting``.

Inputs are what earlier runs left on disk, loaded through ``OptionalDataset`` entries: ``None``
(nothing there yet) or ``{partition id: loader}``. A missing input skips its report with a log
line; a file that is there but wrong stops the run with one error naming it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from vis_pipelines.datasets import VideoSet
from vis_pipelines.parameters import coerce_params
from vis_pipelines.reporting import (
    OverlayParams,
    PlotParams,
    TableParams,
    ap_per_category_figure,
    benchmark_frame,
    benchmark_markdown,
    family_markdown,
    family_tables,
    figure_png,
    flow_epe_figure,
    parse_metrics_name,
    parse_published,
    pr_curves_figure,
    prediction_overlay_gif,
    scribble_coverage_figure,
    training_curves_figure,
)

__all__ = [
    "reports_ready",
    "benchmark_tables",
    "training_curve_plots",
    "ap_per_category_plots",
    "pr_curve_plots",
    "scribble_coverage_plots",
    "flow_epe_plots",
    "prediction_overlays",
]

logger = logging.getLogger(__name__)

Partitions = Mapping[str, Callable[[], Any]] | None

_CURVE = re.compile(r"^(?P<run>.+)/live/plots/metrics/train/(?P<name>[^/]+)$")
_PER_CATEGORY = re.compile(r"^(?P<model>[^/]+)/per_category_(?P<dataset>[^/]+)$")
_PR_CURVE = re.compile(r"^(?P<model>[^/]+)/pr_curve_(?P<dataset>[^/]+)$")


def _partitions(files: Partitions, what: str) -> Mapping[str, Callable[[], Any]]:
    if not files:
        logger.info("reporting: no %s on disk yet, skipped", what)
        return {}
    return files


def reports_ready(*reports: Any) -> bool:
    """Node: a token every report takes first.

    In the default run it consumes the other pipelines' metrics outputs, so the reports are
    written after them; ``kedro run --pipelines reporting`` builds it without inputs.
    """
    return True


def benchmark_tables(
    ready: bool, metrics_files: Partitions, published: Any, params: TableParams
) -> tuple[dict[str, Any], str, pd.DataFrame]:
    """Node: metrics files → per-family tables (``<family>.md`` / ``.csv``), the combined
    benchmark markdown and CSV.

    Args:
        ready: ordering token.
        metrics_files: ``{<model>__<dataset>: loader}`` of ``data/08_reporting/metrics``.
        published: the parsed ``published.yml``.
        params: families, notes, datasets and number format.
    """
    p = coerce_params(params, TableParams)
    files = _partitions(metrics_files, "metrics files")
    records = {name: load() for name, load in files.items()}
    tables = family_tables(records, parse_published(published, "reporting.published"), p)
    logger.info(
        "benchmark: %d metrics files -> %s",
        len(records),
        ", ".join(f"{name} ({len(t)} rows)" for name, t in tables.items()) or "no table",
    )
    folder: dict[str, Any] = {}
    for name, table in tables.items():
        folder[f"{name}.md"] = family_markdown(name, table, p)
        folder[f"{name}.csv"] = table
    return folder, benchmark_markdown(tables, p), benchmark_frame(tables)


def training_curve_plots(
    ready: bool, curve_files: Partitions, params: PlotParams
) -> dict[str, bytes]:
    """Node: dvclive series ``<run>/live/plots/metrics/train/<name>.tsv`` → ``<run>.png``."""
    p = coerce_params(params, PlotParams)
    runs: dict[str, dict[str, Callable[[], Any]]] = defaultdict(dict)
    for pid, load in _partitions(curve_files, "training curves").items():
        match = _CURVE.match(pid)
        if match:
            runs[match["run"]][match["name"]] = load
    out = {}
    for run, loaders in sorted(runs.items()):
        curves = {name: load() for name, load in loaders.items()}
        if not any(n.startswith("loss") for n in curves) and p.curve_metrics is None:
            logger.info("training curves of %s: no loss series, skipped", run)
            continue
        fig = training_curves_figure(
            curves, title=f"{run}: training", metrics=p.curve_metrics, source=run
        )
        out[f"{run}.png"] = figure_png(fig, p.dpi)
    logger.info("training curves: %d run(s)", len(out))
    return out


def _model_tables(files: Partitions, pattern: re.Pattern, what: str) -> dict[tuple[str, str], Any]:
    found = {}
    partitions = _partitions(files, what)
    for pid, load in partitions.items():
        match = pattern.match(pid)
        if match:
            found[(match["model"], match["dataset"])] = load
    if partitions and not found:
        logger.info("reporting: no %s on disk yet, skipped", what)
    return found


def ap_per_category_plots(
    ready: bool, model_tables: Partitions, params: PlotParams
) -> dict[str, bytes]:
    """Node: ``<model>/per_category_<dataset>.csv`` → ``<model>__<dataset>.png``."""
    p = coerce_params(params, PlotParams)
    out = {}
    for (model, dataset), load in sorted(
        _model_tables(model_tables, _PER_CATEGORY, "per-category tables").items()
    ):
        fig = ap_per_category_figure(
            load(), title=f"{model} on {dataset}: AP per category", source=f"{model}/{dataset}"
        )
        out[f"{model}__{dataset}.png"] = figure_png(fig, p.dpi)
    return out


def pr_curve_plots(ready: bool, model_tables: Partitions, params: PlotParams) -> dict[str, bytes]:
    """Node: ``<model>/pr_curve_<dataset>.csv`` → ``<dataset>.png`` with every model's curve."""
    p = coerce_params(params, PlotParams)
    by_dataset: dict[str, dict[str, pd.DataFrame]] = defaultdict(dict)
    for (model, dataset), load in _model_tables(model_tables, _PR_CURVE, "PR curves").items():
        by_dataset[dataset][model] = load()
    return {
        f"{dataset}.png": figure_png(
            pr_curves_figure(curves, title=f"{dataset}: precision / recall", source=dataset), p.dpi
        )
        for dataset, curves in sorted(by_dataset.items())
    }


def scribble_coverage_plots(
    ready: bool, scribble_stats: Partitions, params: PlotParams
) -> dict[str, bytes]:
    """Node: ``scribbles/<source>_stats.csv`` → ``<source>.png`` (coverage histogram)."""
    p = coerce_params(params, PlotParams)
    out = {}
    for source, load in sorted(_partitions(scribble_stats, "scribble statistics").items()):
        fig = scribble_coverage_figure(
            load(), title=f"{source}: scribble coverage", bins=p.scribble_bins, source=source
        )
        out[f"{source}.png"] = figure_png(fig, p.dpi)
    return out


def flow_epe_plots(ready: bool, metrics_files: Partitions, params: PlotParams) -> dict[str, bytes]:
    """Node: ``flow_<method>__<dataset>.json`` records with an EPE → ``<dataset>.png``."""
    p = coerce_params(params, PlotParams)
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, load in _partitions(metrics_files, "metrics files").items():
        model, dataset = parse_metrics_name(name)
        if not model.startswith("flow_"):
            continue
        record = load()
        if isinstance(record, Mapping) and record.get("EPE") is not None:
            rows[dataset].append({"method": model[len("flow_") :], **record})
    if not rows:
        logger.info("reporting: no optical flow metrics yet, EPE plot skipped")
    return {
        f"{dataset}.png": figure_png(
            flow_epe_figure(pd.DataFrame(r), title=f"{dataset}: optical flow", source=dataset),
            p.dpi,
        )
        for dataset, r in sorted(rows.items())
    }


def _video_name(video: Mapping[str, Any]) -> str:
    first = str(video["file_names"][0]) if video.get("file_names") else ""
    folder = first.rsplit("/", 1)[0] if "/" in first else ""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", folder) or f"video_{video['id']}"


def prediction_overlays(
    ready: bool, predictions: Partitions, frames: VideoSet | None, params: OverlayParams
) -> dict[str, Callable[[], bytes]]:
    """Node: GIFs ``<model>/<video>.gif`` of each model's best tracks on the first videos.

    Args:
        ready: ordering token.
        predictions: ``{<model>/<set>: loader}`` of ``data/07_model_output/*/<set>_results.json``.
        frames: the ``params.results`` set (``VideoSet``), or None if not generated yet.
        params: which set, how many videos and tracks, the look.

    Returns:
        ``{file: callable}``: each GIF is rendered while it is saved, one at a time.
    """
    p = coerce_params(params, OverlayParams)
    files = _partitions(predictions, "predictions")
    if frames is None:
        if files:
            logger.info("overlays: the frames of %s are not on disk, skipped", p.results)
        return {}
    suffix = f"/{p.results}"
    models = sorted(pid[: -len(suffix)] for pid in files if pid.endswith(suffix))
    if p.models is not None:
        models = [m for m in models if m in p.models]
    if not models:
        if files:
            logger.info("overlays: no predictions on %s, skipped", p.results)
        return {}
    videos = sorted(frames.videos, key=lambda v: v["id"])[: p.videos]

    # One model's predictions in memory at a time: GIFs are rendered model after model.
    @functools.lru_cache(maxsize=1)
    def results_of(model: str) -> list[dict[str, Any]]:
        results = files[f"{model}{suffix}"]()
        if not isinstance(results, list):
            raise ValueError(f"{model}{suffix}_results.json: expected a list of predictions")
        return results

    def render(model: str, video: dict[str, Any]) -> bytes:
        return prediction_overlay_gif(
            frames.load_frames(video["id"]),
            results_of(model),
            video,
            frames.categories,
            p,
            source=f"{model}{suffix}_results.json",
        )

    out = {
        f"{model}/{_video_name(video)}.gif": functools.partial(render, model, video)
        for model in models
        for video in videos
    }
    logger.info("overlays: %d model(s) x %d video(s) of %s", len(models), len(videos), p.results)
    return out
