"""Nodes of the evaluation modular pipelines (thin wrappers around ``vis_pipelines.evaluation``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from vis_pipelines.evaluation.davis import evaluate_davis
from vis_pipelines.evaluation.records import metrics_record
from vis_pipelines.evaluation.ytvis import evaluate_ytvis
from vis_pipelines.parameters import coerce_params

__all__ = [
    "YTVISEvaluationParams",
    "DavisEvaluationParams",
    "ytvis_metrics",
    "davis_metrics",
]


@dataclass(frozen=True)
class YTVISEvaluationParams:
    """Parameters of the YouTube-VIS evaluation node."""

    split_field: str | None = None  # partition / split (LV-VIS, SynthVIS), frequency (BURST)
    validate: bool = True
    workers: int = 1  # threads of the compiled IoU, matching and accumulation kernels


@dataclass(frozen=True)
class DavisEvaluationParams:
    """Parameters of the DAVIS evaluation node."""

    task: str = "semi"  # semi | unsupervised | binary
    bound_th: float = 0.008
    max_proposals: int = 20
    drop_first_last: bool | None = None  # None: the toolkit's choice for the task


def ytvis_metrics(
    ground_truth: dict[str, Any], predictions: list[dict[str, Any]], params: YTVISEvaluationParams
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Node: YouTube-VIS AP → (metrics record, per-video table, per-category table, PR curve).

    The PR curve is the category-averaged precision at IoU .50 and .75 over the 101 recall
    points (``recall``, ``precision_iou50``, ``precision_iou75``; percent), for the plots.

    Args:
        ground_truth: labelled YouTube-VIS dict.
        predictions: results list ``[{video_id, category_id, score, segmentations}]``.
        params: evaluation parameters.
    """
    p = coerce_params(params, YTVISEvaluationParams)
    out = evaluate_ytvis(
        ground_truth, predictions, split_field=p.split_field, validate=p.validate, workers=p.workers
    )
    # The worker count changes no number, so it stays out of the parameter hash.
    hashed = {k: v for k, v in asdict(p).items() if k != "workers"}
    return (
        metrics_record(out["summary"], hashed),
        out["per_video"],
        out["per_category"],
        out["pr_curve"],
    )


def davis_metrics(
    ground_truth: Mapping[str, Any], predictions: Mapping[str, Any], params: DavisEvaluationParams
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Node: DAVIS J&F → (metrics record, per-object table).

    Args:
        ground_truth: ``{sequence: (T, H, W) uint8 id maps}``.
        predictions: the same layout with predicted ids.
        params: evaluation parameters.
    """
    p = coerce_params(params, DavisEvaluationParams)
    out = evaluate_davis(
        ground_truth,
        predictions,
        task=p.task,
        bound_th=p.bound_th,
        max_proposals=p.max_proposals,
        drop_first_last=p.drop_first_last,
    )
    return metrics_record(out["summary"], asdict(p)), out["per_object"]
