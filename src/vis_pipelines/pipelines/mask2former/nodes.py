"""Nodes of the VIS training pipelines: fit a model, predict a split, hand the ground truth on.

The model is named by its builder (``"package.module:function"``), so Cluster2Former and the other
families reuse these nodes with their own builder and config class.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from vis_pipelines.datasets.training_run import TrainingRun
from vis_pipelines.datasets.video_set import VideoSet
from vis_pipelines.devices import resolve_device
from vis_pipelines.engine.clips import category_index
from vis_pipelines.engine.config import InferenceConfig, TrainConfig
from vis_pipelines.engine.fit import FitJob, fit, load_builder
from vis_pipelines.engine.inference import predict_videos
from vis_pipelines.models.config import Mask2FormerConfig
from vis_pipelines.parameters import coerce_params

__all__ = [
    "MASK2FORMER_BUILDER",
    "train_vis_model",
    "predict_vis_model",
    "ground_truth_of",
    "train_mask2former",
    "predict_mask2former",
]

log = logging.getLogger(__name__)

MASK2FORMER_BUILDER = "vis_pipelines.models.vis_model:build_mask2former"


def train_vis_model(
    train_set: VideoSet,
    run: TrainingRun,
    model: Any,
    train: TrainConfig,
    *,
    builder: str,
    config_class: type,
) -> dict[str, Any]:
    """Train (or resume) a VIS model; returns the final checkpoint with its categories."""
    model_cfg = coerce_params(model, config_class)
    train_cfg = coerce_params(train, TrainConfig)
    categories = category_index(train_set)
    job = FitJob(
        builder=builder,
        model_config=model_cfg,
        train_config=train_cfg,
        train_set=train_set,
        categories=categories,
        run=run,
    )
    state = fit(job)
    state["config"] = {**state["config"], "builder": builder, "categories": categories}
    return state


def predict_vis_model(
    checkpoint: dict[str, Any],
    video_set: VideoSet,
    inference: InferenceConfig,
    *,
    config_class: type,
) -> list[dict[str, Any]]:
    """YouTube-VIS results of a trained checkpoint on every video of ``video_set``."""
    cfg = coerce_params(inference, InferenceConfig)
    config = checkpoint["config"]
    # The trained weights replace any pretrained ones: do not read the backbone file again.
    model_cfg = config_class(
        **{**config["model"], "backbone_weights": None, "init_checkpoint": None}
    )
    categories = list(config["categories"])
    model = load_builder(config["builder"])(model_cfg, len(categories))
    model.load_state_dict(checkpoint["model"])
    model.to(resolve_device(cfg.device))
    with torch.inference_mode():
        return predict_videos(model, video_set, cfg, categories)


def ground_truth_of(video_set: VideoSet) -> dict[str, Any]:
    """The labelled YouTube-VIS dict of ``video_set`` (what the evaluation compares against)."""
    if not video_set.labeled:
        raise ValueError(f"{video_set.source}: evaluation needs annotations, the file has none")
    return video_set.data


def train_mask2former(
    train_set: VideoSet, run: TrainingRun, model: Mask2FormerConfig, train: TrainConfig
) -> dict[str, Any]:
    """Node: train the fully supervised Mask2Former-VIS baseline."""
    return train_vis_model(
        train_set, run, model, train, builder=MASK2FORMER_BUILDER, config_class=Mask2FormerConfig
    )


def predict_mask2former(
    checkpoint: dict[str, Any], video_set: VideoSet, inference: InferenceConfig
) -> list[dict[str, Any]]:
    """Node: Mask2Former-VIS predictions on a split."""
    return predict_vis_model(checkpoint, video_set, inference, config_class=Mask2FormerConfig)
