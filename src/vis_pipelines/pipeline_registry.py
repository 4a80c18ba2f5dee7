"""Project pipelines: every package under ``pipelines/`` is discovered; ``__default__`` runs them all."""

from __future__ import annotations

import importlib
import pkgutil

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

import vis_pipelines.pipelines as pipeline_packages


def _build_unloaded(found: dict[str, Pipeline]) -> None:
    """Create every pipeline package Kedro did not load, so each registers its evaluation.

    Kedro >= 1.7 imports only the packages named by ``--pipelines``; ``kedro run --pipelines
    evaluation`` still needs every model's instance.
    """
    for module in pkgutil.iter_modules(pipeline_packages.__path__):
        if module.ispkg and module.name not in found and module.name != "evaluation":
            importlib.import_module(f"{pipeline_packages.__name__}.{module.name}").create_pipeline()


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines."""
    pipelines = find_pipelines(raise_errors=True)
    _build_unloaded(pipelines)
    # Model pipelines register their evaluation instances when they are built, and discovery is
    # alphabetical, so `evaluation` is assembled again once every pipeline has been created.
    from vis_pipelines.pipelines.evaluation import create_pipeline as create_evaluation

    evaluation = create_evaluation()
    if evaluation.nodes:
        pipelines["evaluation"] = evaluation
    else:
        # No model pipeline yet: nothing to re-score, and Kedro refuses an empty pipeline.
        pipelines.pop("evaluation", None)
    # Reporting reads files, so nothing would order it after the models: in the default run its
    # first node takes the other pipelines' metrics outputs, which makes the reports come last.
    from vis_pipelines.pipelines.reporting import create_pipeline as create_reporting

    rest = sum((p for name, p in pipelines.items() if name != "reporting"), Pipeline([]))
    pipelines["__default__"] = rest + create_reporting(after=rest)
    # Real-data flow precomputation (kedro run --env paper --pipelines optical_flow_davis16 ...):
    # outside the default run, which needs nothing but SynthVIS.
    from vis_pipelines.pipelines.optical_flow import create_flow_pipeline

    for name in ("davis16", "fbms", "segtrackv2"):
        pipelines[f"optical_flow_{name}"] = create_flow_pipeline(
            dataset=name, frames=name, checkpoint=None, params=f"optical_flow_{name}"
        )
    # Real-data training (kedro run --env paper --pipelines mask2former_ytvis19): registers its own
    # evaluation instance, so it is built after `evaluation` to keep that one SynthVIS-only.
    from vis_pipelines.pipelines.mask2former import create_real_data_pipeline

    pipelines["mask2former_ytvis19"] = create_real_data_pipeline("ytvis19")
    # The three supervision variants on the same split (--pipelines cluster2former_ytvis19).
    from vis_pipelines.pipelines.cluster2former import (
        create_real_data_pipeline as create_cluster2former_real_data,
    )

    pipelines["cluster2former_ytvis19"] = create_cluster2former_real_data("ytvis19")
    # Unsupervised VOS on real data with RAFT-large flow (kedro run --env paper --pipelines
    # optical_flow_davis16 clusternet_davis16 ...), kept out of `evaluation` and the default run.
    from vis_pipelines.pipelines.clusternet import create_clusternet_pipeline

    for name in ("davis16", "fbms", "segtrackv2"):
        pipelines[f"clusternet_{name}"] = create_clusternet_pipeline(
            dataset=name,
            frames=name,
            flows=["raft_large"],
            gt_flow=None,
            params=f"clusternet_{name}",
            register=False,
        )
    return pipelines
