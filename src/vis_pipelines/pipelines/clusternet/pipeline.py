"""``clusternet`` pipeline: one modular instance per (flow source, mode), each with its evaluation.

For every flow source and every mode (``baseline``, ``gt_free``, ``as_released``) the namespace
``clusternet.<dataset>.<source>.<mode>`` holds: the per-sequence segmentation (resumable parts),
the DAVIS-layout PNGs, the PNGs read back as predictions, and the DAVIS evaluation modular
pipeline (task ``binary``: DAVIS-2016). A report node gathers every instance's metrics.

Flow sources are optical_flow methods (read from the ``optical_flow_store_<dataset>`` FlowStore)
or ``gt`` (the dataset's ground-truth flow folder, an upper bound). The first source is the
default: its metric files carry no suffix (``clusternet_gt_free__synthvis.json``), the others the
source's (``clusternet_gt_free_gtflow__synthvis.json``, ``flow_baseline_farneback__synthvis.json``).
Kedro builds pipelines before it reads parameters, so the list is ``DEFAULT_FLOW_SOURCES`` unless
the environment variable ``VIS_CLUSTERNET_FLOWS`` names others (comma-separated, e.g.
``VIS_CLUSTERNET_FLOWS=raft_small_finetuned,dis_medium,gt``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from kedro.pipeline import Node, Pipeline

from vis_pipelines.clusternet.config import MODES
from vis_pipelines.node_functions import bind_kwargs
from vis_pipelines.pipelines.evaluation import (
    create_davis_evaluation_pipeline,
    register_evaluation,
)

from .nodes import (
    FlowSource,
    ground_truth,
    mask_images,
    masks_to_predictions,
    report_clusternet,
    segment_as_released,
    segment_baseline,
    segment_gt_free,
    sequence_index,
)

__all__ = [
    "DEFAULT_FLOW_SOURCES",
    "FLOWS_ENV",
    "GT_SOURCE",
    "metric_name",
    "configured_flow_sources",
    "create_clusternet_pipeline",
    "create_pipeline",
]

DEFAULT_FLOW_SOURCES: tuple[str, ...] = ("dis_medium", "gt")
FLOWS_ENV = "VIS_CLUSTERNET_FLOWS"
GT_SOURCE = "gt"  # the dataset's ground-truth flow (an upper bound)
MODEL_NAMES = {
    "baseline": "flow_baseline",
    "gt_free": "clusternet_gt_free",
    "as_released": "clusternet_as_released",
}
_SEGMENT = {
    "baseline": segment_baseline,
    "gt_free": segment_gt_free,
    "as_released": segment_as_released,
}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def metric_name(mode: str, source: str, dataset: str, *, default: bool) -> str:
    """DESIGN.md metric file name, e.g. ``clusternet_gt_free_gtflow__synthvis``."""
    suffix = "" if default else ("_gtflow" if source == GT_SOURCE else f"_{source}")
    return f"{MODEL_NAMES[mode]}{suffix}__{dataset}"


def _instance(
    *,
    mode: str,
    source: FlowSource,
    dataset: str,
    flows: str,
    params: str,
    metric: str,
) -> Pipeline:
    """The modular pipeline of one (flow source, mode), under its namespace."""
    segment_inputs = ["flows", "index"]
    if mode == "as_released":
        segment_inputs.append("ground_truth")  # the oracle; the other modes never see it
    segment_inputs += ["params:segmentation", "parts_done"]
    template = Pipeline(
        [
            Node(
                func=bind_kwargs(_SEGMENT[mode], source=source),
                inputs=segment_inputs,
                outputs="parts",
                name="segment_node",
            ),
            Node(
                func=mask_images,
                inputs=["index", "parts"],
                outputs="masks",
                name="write_masks_node",
            ),
            Node(
                func=masks_to_predictions,
                inputs=["index", "masks"],
                outputs="predictions",
                name="read_masks_node",
            ),
        ]
    )
    return Pipeline(
        template + create_davis_evaluation_pipeline(),
        namespace=f"clusternet.{dataset}.{source.name}.{mode}",
        inputs={
            "flows": flows,
            "index": f"clusternet_index_{dataset}",
            "ground_truth": f"clusternet_gt_{dataset}",
        },
        outputs={
            "metrics": f"clusternet_metrics_{metric}",
            "per_object_metrics": f"clusternet_per_sequence_{metric}",
        },
        parameters={
            "params:segmentation": f"params:{params}.segmentation",
            "params:evaluation": f"params:{params}.evaluation",
        },
    )


def _source(name: str, dataset: str, gt_flow: str | None) -> tuple[FlowSource, str]:
    if not _NAME.match(name):
        raise ValueError(f"flow source must be a method name or {GT_SOURCE!r}, got {name!r}")
    if name == GT_SOURCE:
        if gt_flow is None:
            raise ValueError(f"dataset {dataset} has no ground-truth flow: drop {GT_SOURCE!r}")
        return FlowSource(name=name, method=None, gap=1), gt_flow
    return FlowSource(name=name, method=name), f"optical_flow_store_{dataset}"


def create_clusternet_pipeline(
    *,
    dataset: str = "synthvis",
    frames: str = "synthvis_davis",
    flows: Sequence[str] = DEFAULT_FLOW_SOURCES,
    gt_flow: str | None = "synthvis_gt_flow",
    params: str = "clusternet",
    modes: Sequence[str] = MODES,
    register: bool = True,
) -> Pipeline:
    """ClusterNet on one DAVIS-layout dataset for every flow source and mode.

    Args:
        dataset: short name used in dataset, namespace and metric names.
        frames: catalog entry of the ``DAVISDataset`` (frames, ground truth, ImageSets).
        flows: flow sources, the default first (see module docstring).
        gt_flow: catalog entry of ground-truth flow (``FlowDirDataset``) for the ``gt`` source.
        params: parameters key holding ``segmentation`` and ``evaluation``.
        modes: which of ``baseline``, ``gt_free``, ``as_released`` to run.
        register: add each instance's re-scoring part (PNGs read back + evaluation) to the
            ``evaluation`` pipeline; False for real-data variants kept out of the default run.
    """
    names = list(flows)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"flow sources must be a non-empty list without duplicates: {names}")
    unknown = sorted(set(modes) - set(MODES))
    if unknown or not modes:
        raise ValueError(f"modes must be among {MODES}, got {list(modes)}")
    index_name, gt_name = f"clusternet_index_{dataset}", f"clusternet_gt_{dataset}"
    shared = Pipeline(
        [
            Node(
                func=sequence_index,
                inputs=[frames, f"params:{params}.segmentation"],
                outputs=index_name,
                name="index_node",
                namespace=f"clusternet.{dataset}",
            ),
            Node(
                func=ground_truth,
                inputs=[frames, index_name],
                outputs=gt_name,
                name="ground_truth_node",
                namespace=f"clusternet.{dataset}",
            ),
        ]
    )
    instances = []
    rows: list[dict[str, str]] = []
    for k, name in enumerate(names):
        source, flows_entry = _source(name, dataset, gt_flow)
        for mode in [m for m in MODES if m in modes]:
            metric = metric_name(mode, name, dataset, default=k == 0)
            instance = _instance(
                mode=mode,
                source=source,
                dataset=dataset,
                flows=flows_entry,
                params=params,
                metric=metric,
            )
            namespace = f"clusternet.{dataset}.{name}.{mode}"
            rescoring = instance.only_nodes(
                f"{namespace}.read_masks_node", f"{namespace}.evaluate_davis_node"
            )
            if register:
                register_evaluation(metric, shared + rescoring)
            instances.append(instance)
            rows.append({"mode": mode, "flow": name, "metrics": metric})
    report = Node(
        func=bind_kwargs(report_clusternet, rows=rows, dataset=dataset),
        inputs=[f"clusternet_metrics_{row['metrics']}" for row in rows]
        + [f"clusternet.{dataset}.{row['flow']}.{row['mode']}.parts" for row in rows],
        outputs=[f"clusternet_report_md_{dataset}", f"clusternet_report_csv_{dataset}"],
        name="report_node",
        namespace=f"clusternet.{dataset}",
    )
    return shared + sum(instances, Pipeline([])) + Pipeline([report])


def configured_flow_sources() -> list[str]:
    """Flow sources from ``VIS_CLUSTERNET_FLOWS`` (comma-separated), else the defaults."""
    raw = os.environ.get(FLOWS_ENV, "").strip()
    return [s.strip() for s in raw.split(",") if s.strip()] if raw else list(DEFAULT_FLOW_SOURCES)


def create_pipeline(**kwargs: Any) -> Pipeline:
    """SynthVIS (DAVIS-2016 layout): baseline, gt_free and as_released for every flow source."""
    return create_clusternet_pipeline(flows=configured_flow_sources())
