"""Nodes of the ``optical_flow`` pipeline: thin wrappers around ``vis_pipelines.flow``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pandas as pd
import torch
from PIL import Image

from vis_pipelines.datasets import FlowSequences
from vis_pipelines.datasets.flow_store import FlowStore
from vis_pipelines.flow import (
    FinetuneConfig,
    FlowPlan,
    FlowReportParams,
    OpticalFlowParams,
    as_frame_sequences,
    build_plan,
    finetune_raft,
    folder_name,
    load_raft_weights,
    select_sequences,
)
from vis_pipelines.flow.report import (
    TABLE_COLUMNS,
    flow_report_rows,
    markdown_table,
    metrics_records,
    preview_images,
    zero_flow_row,
)

logger = logging.getLogger(__name__)


def finetune_raft_on_gt(frames: Any, gt_flow: FlowSequences, config: FinetuneConfig) -> dict:
    """Fine-tune RAFT on the ground-truth flow of the ``config.imageset`` sequences.

    Args:
        frames: the frames (``DAVISSequences`` or ``VideoSet``).
        gt_flow: ground-truth flow at gap ``config.gt_gap`` (SynthVIS: forward, 1).
        config: the fine-tuning recipe.

    Returns:
        The checkpoint dict ``{model, optimizer, scheduler, scaler, step, config, rng_state}``.
    """
    source = as_frame_sequences(frames)
    names = source.names(config.imageset) if config.imageset else source.names()
    with_gt = set(gt_flow.names())
    sequences = [s for s in names if s in with_gt]
    if len(sequences) < len(names):
        logger.warning(
            "Fine-tuning: %d of %d sequences have no ground-truth flow and are left out",
            len(names) - len(sequences),
            len(names),
        )
    if not sequences:
        raise ValueError(
            f"finetune.imageset {config.imageset!r}: no sequence with ground-truth flow"
        )
    init_state = None
    if config.init_weights is not None:
        init_state = load_raft_weights(
            config.init_weights, config.arch, param="optical_flow.finetune.init_weights"
        )
    return finetune_raft(
        source, gt_flow, sequences, config, init_state=init_state, gap=config.gt_gap
    )


def plan_optical_flow(frames: Any, finetuned: dict, params: OpticalFlowParams) -> FlowPlan:
    """The flows to compute (every estimator built and checked); the flow store computes what
    is missing when it saves the plan."""
    return build_plan(frames, params, finetuned=finetuned)


def plan_optical_flow_pretrained(frames: Any, params: OpticalFlowParams) -> FlowPlan:
    """``plan_optical_flow`` for pipelines without a fine-tuned checkpoint."""
    return build_plan(frames, params)


def _rows(
    store: FlowStore,
    frames: Any,
    gt_flow: FlowSequences | None,
    flows: OpticalFlowParams,
    report: FlowReportParams,
) -> tuple[list[dict[str, Any]], list[str]]:
    sequences = select_sequences(as_frame_sequences(frames), flows.sequences)
    if flows.sequences.shard_count > 1:
        logger.warning(
            "Report covers shard %d/%d only (%d sequences); run it with shard_count: 1 after "
            "all shards for whole-dataset figures",
            flows.sequences.shard_index,
            flows.sequences.shard_count,
            len(sequences),
        )
    rows = flow_report_rows(
        store, flows.methods, flows.gaps, sequences, gt=gt_flow, gt_gap=report.gt_gap
    )
    return rows, sequences


def _notes(rows: list[dict[str, Any]], sequences: list[str], flows: OpticalFlowParams) -> str:
    split = flows.sequences.split or "all"
    lines = [
        f"{len(sequences)} sequences (split {split}). fps = frame pairs per second of the "
        f"estimator alone (frames in memory -> flow), torch/OpenCV on {torch.get_num_threads()} "
        "CPU threads unless the device says cuda. EPE in px, Fl-all = % of pixels with EPE > "
        "3 px and > 5 % of the true motion.",
    ]
    for row in rows:
        trained = (row.get("config") or {}).get("trained")
        if trained and row["gap"] == rows[0]["gap"]:
            lines.append(
                f"{row['method']}: fine-tuned for {trained['steps']} steps on "
                f"{trained['sequences']} sequences from {trained['init']} weights (CPU budget; "
                "not a converged model)."
            )
    return "\n\n".join(lines)


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{c: row[c] for c in (*TABLE_COLUMNS, "config_hash")} for row in rows],
        columns=[*TABLE_COLUMNS, "config_hash"],
    )


def report_optical_flow(
    store: FlowStore,
    frames: Any,
    gt_flow: FlowSequences,
    flows: OpticalFlowParams,
    report: FlowReportParams,
) -> tuple[dict[str, dict[str, Any]], str, pd.DataFrame]:
    """Accuracy against ground truth and speed of every method and gap.

    Returns:
        Metrics records ``flow_<method>__<dataset>`` (gap ``report.gt_gap``), a markdown table
        and the same table as a DataFrame (CSV).
    """
    rows, sequences = _rows(store, frames, gt_flow, flows, report)
    metrics = metrics_records(rows, report.dataset, gt_gap=report.gt_gap)
    rows.append(zero_flow_row(gt_flow, sequences, gt_gap=report.gt_gap))
    title = f"Optical flow on {report.dataset} (ground truth at gap {report.gt_gap})"
    table = markdown_table(rows, title=title, notes=_notes(rows, sequences, flows))
    logger.info("\n%s", table)
    return metrics, table, _table(rows)


def report_optical_flow_speed(
    store: FlowStore, frames: Any, flows: OpticalFlowParams, report: FlowReportParams
) -> tuple[str, pd.DataFrame]:
    """Speed of every method and gap for data without ground-truth flow (markdown and CSV)."""
    rows, sequences = _rows(store, frames, None, flows, report)
    title = f"Optical flow on {report.dataset} (no ground truth: speed only)"
    table = markdown_table(rows, title=title, notes=_notes(rows, sequences, flows))
    logger.info("\n%s", table)
    return table, _table(rows)


def _previews(
    store: FlowStore,
    frames: Any,
    gt_flow: FlowSequences | None,
    flows: OpticalFlowParams,
    report: FlowReportParams,
) -> dict[str, Callable[[], Image.Image]]:
    sequences = select_sequences(as_frame_sequences(frames), flows.sequences)
    sources: dict[str, Any] = {
        folder_name(m, g): store.flows(folder_name(m, g)) for m in flows.methods for g in flows.gaps
    }
    if gt_flow is not None:
        sources[f"gt_gap{report.gt_gap}"] = gt_flow
    images = preview_images(sources, sequences, report.previews)

    def as_pil(render: Callable[[], Any]) -> Callable[[], Image.Image]:
        return lambda: Image.fromarray(render())

    return {key: as_pil(render) for key, render in images.items()}


def preview_optical_flow(
    store: FlowStore,
    frames: Any,
    gt_flow: FlowSequences,
    flows: OpticalFlowParams,
    report: FlowReportParams,
) -> dict[str, Callable[[], Image.Image]]:
    """Lazy colour-wheel PNGs ``<method>_gap<g>/<seq>/<frame>`` (and ``gt_gap<g>`` for the GT)."""
    return _previews(store, frames, gt_flow, flows, report)


def preview_optical_flow_estimates(
    store: FlowStore, frames: Any, flows: OpticalFlowParams, report: FlowReportParams
) -> dict[str, Callable[[], Image.Image]]:
    """``preview_optical_flow`` for data without ground-truth flow."""
    return _previews(store, frames, None, flows, report)
