"""Helpers for the engine tests: a tiny model config and a tiny in-memory SynthVIS."""

from __future__ import annotations

from tiny_model import TINY_MODEL

from vis_pipelines.datasets.video_set import VideoSet
from vis_pipelines.engine.config import TrainConfig
from vis_pipelines.models.config import Mask2FormerConfig
from vis_pipelines.synth.config import SynthConfig
from vis_pipelines.synth.layouts import SynthVISSource, build_ytvis

TINY_SYNTH = SynthConfig(
    seed=5,
    height=64,
    width=96,
    min_frames=4,
    max_frames=6,
    max_objects=2,
    n_train=3,
    n_valid=2,
    n_test=1,
)


def tiny_model_config(**overrides) -> Mask2FormerConfig:
    """A Mask2Former config small enough for unit tests."""
    return Mask2FormerConfig(**{**TINY_MODEL, **overrides})


def tiny_train_config(**overrides) -> TrainConfig:
    """A training config for a few steps of 2 clips on 64x96 frames."""
    base = dict(
        max_steps=4,
        batch_size=2,
        crop_size=(64, 96),
        lr=1e-3,
        checkpoint_every=2,
        log_every=1,
        device="cpu",
        threads=1,
    )
    return TrainConfig(**{**base, **overrides})


def tiny_video_set(split: str = "train") -> VideoSet:
    """A tiny labelled SynthVIS split held in memory (frames generated on demand)."""
    return build_ytvis(SynthVISSource(TINY_SYNTH), split)
