"""Flat metric records and the Kedro evaluation pipelines on an in-memory catalog."""

from __future__ import annotations

import math

import numpy as np
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from ytvis_synthetic import random_case

from vis_pipelines.evaluation.records import metrics_record
from vis_pipelines.pipelines.evaluation import (
    create_davis_evaluation_pipeline,
    create_ytvis_evaluation_pipeline,
)
from vis_pipelines.pipelines.evaluation.nodes import DavisEvaluationParams, YTVISEvaluationParams
from vis_pipelines.provenance import params_hash


def test_metrics_record_is_flat_numbers_plus_provenance() -> None:
    rec = metrics_record(
        {
            "AP": 51.5,
            "AP75": None,
            "J": {"mean": np.float64(0.5)},
            "n": np.int64(3),
            "bad": math.nan,
        },
        {"a": 1},
    )
    assert rec["AP"] == 51.5 and rec["AP75"] is None and rec["J_mean"] == 0.5 and rec["n"] == 3
    assert rec["bad"] is None  # JSON has no NaN
    assert rec["params_hash"] == params_hash({"a": 1}) and isinstance(rec["git_revision"], str)
    with pytest.raises(ValueError, match="not a number"):
        metrics_record({"x": "text"}, {})


def test_ytvis_pipeline_runs_on_memory_catalog() -> None:
    gt, res = random_case(11, n_videos=4)
    catalog = DataCatalog(
        {
            "ground_truth": MemoryDataset(gt),
            "predictions": MemoryDataset(res),
            "params:evaluation": MemoryDataset(YTVISEvaluationParams(split_field="split")),
        }
    )
    out = SequentialRunner().run(create_ytvis_evaluation_pipeline(), catalog)
    metrics = (
        out["metrics"].load() if hasattr(out.get("metrics"), "load") else catalog.load("metrics")
    )
    assert {"AP", "AP50", "AR10", "AP_base", "AP_novel", "params_hash", "git_revision"} <= set(
        metrics
    )
    assert metrics["AP"] is None or 0 <= metrics["AP"] <= 100


def test_davis_pipeline_runs_on_memory_catalog() -> None:
    m = np.zeros((3, 20, 20), np.uint8)
    m[:, 5:15, 5:15] = 1
    catalog = DataCatalog(
        {
            "ground_truth": MemoryDataset({"s": m}),
            "predictions": MemoryDataset({"s": m}),
            "params:evaluation": MemoryDataset({"task": "unsupervised"}),
        }
    )
    out = SequentialRunner().run(create_davis_evaluation_pipeline(), catalog)
    metrics = (
        out["metrics"].load() if hasattr(out.get("metrics"), "load") else catalog.load("metrics")
    )
    assert metrics["JF_mean"] == pytest.approx(100.0)
    assert DavisEvaluationParams().task == "semi"
