"""Training and inference settings of the engine (typed ``params:`` of the model pipelines)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from vis_pipelines.parameters import check_field_types

__all__ = ["TrainConfig", "InferenceConfig", "SCHEDULES"]

SCHEDULES = ("poly", "step")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, data sampling, augmentation, checkpointing and device settings."""

    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    num_gpus: int = 1  # > 1: the node relaunches itself under torchrun (DDP)
    max_steps: int = 6000
    batch_size: int = 16  # clips per step over all processes (split evenly between GPUs)
    num_frames: int = 2  # T frames per training clip
    frame_range: int = 20  # other clip frames lie within ± this many frames of a reference frame
    # Optimiser (AdamW) and schedule.
    lr: float = 1e-4
    weight_decay: float = 0.05
    backbone_lr_multiplier: float = 0.1
    weight_decay_norm: float = 0.0
    weight_decay_embed: float = 0.0
    schedule: str = "poly"  # poly | step
    poly_power: float = 0.9
    step_milestones: tuple[int, ...] = ()
    step_gamma: float = 0.1
    warmup_steps: int = 0
    clip_grad_norm: float | None = 0.01  # full-model L2 norm, as the paper (None: off)
    amp: bool = True  # mixed precision, used on CUDA only
    # Augmentation: scale jitter then a random crop (or pad) to crop_size, random horizontal flip.
    crop_size: tuple[int, int] = (96, 160)
    scale_range: tuple[float, float] = (0.8, 1.25)
    flip_prob: float = 0.5
    # Copy-paste: chance that a clip gets a random subset of another video's instances pasted on
    # top (full-mask datasets only; 0: off).
    copy_paste_prob: float = 0.0
    # Bookkeeping.
    checkpoint_every: int = 500
    log_every: int = 20
    num_workers: int = 0  # DataLoader worker processes
    threads: int | None = None  # torch CPU threads (None: torch's default)

    def __post_init__(self) -> None:
        check_field_types(self, "train")
        for name in (
            "max_steps",
            "batch_size",
            "num_frames",
            "num_gpus",
            "checkpoint_every",
            "log_every",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"train.{name} must be >= 1, got {getattr(self, name)}")
        if self.frame_range < 0 or self.num_workers < 0 or self.warmup_steps < 0:
            raise ValueError("train.frame_range, num_workers and warmup_steps must be >= 0")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"train.schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.lr <= 0 or self.weight_decay < 0 or self.backbone_lr_multiplier < 0:
            raise ValueError("train.lr must be > 0, weight_decay and backbone_lr_multiplier >= 0")
        if self.batch_size % self.num_gpus:
            raise ValueError(
                f"train.batch_size {self.batch_size} must split evenly over {self.num_gpus} GPUs"
            )
        if len(self.crop_size) != 2 or min(self.crop_size) < 1:
            raise ValueError(f"train.crop_size must be [height, width], got {self.crop_size}")
        lo, hi = self.scale_range
        if not 0 < lo <= hi:
            raise ValueError(f"train.scale_range must be 0 < min <= max, got {self.scale_range}")
        if not 0.0 <= self.flip_prob <= 1.0:
            raise ValueError(f"train.flip_prob must be in [0, 1], got {self.flip_prob}")
        if not 0.0 <= self.copy_paste_prob <= 1.0:
            raise ValueError(f"train.copy_paste_prob must be in [0, 1], got {self.copy_paste_prob}")
        if self.clip_grad_norm is not None and self.clip_grad_norm <= 0:
            raise ValueError("train.clip_grad_norm must be > 0 or null")
        for name in ("crop_size", "scale_range", "step_milestones"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (stored in checkpoints)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class InferenceConfig:
    """Whole-video inference settings."""

    device: str = "auto"
    topk: int = 10  # instances kept per video (query x class pairs)
    frame_chunk: int = 8  # frames encoded / upsampled at once (bounds memory on long videos)
    min_size: int | None = None  # resize so the shorter side is this (None: native size)
    max_size: int | None = None  # cap on the longer side after resizing
    # Threshold on the model's mask scores: logits for sigmoid models (0 = probability 0.5),
    # softmax-over-queries probabilities for Cluster2Former (its paper uses 0.1).
    mask_threshold: float = 0.0

    def __post_init__(self) -> None:
        check_field_types(self, "inference")
        if self.topk < 1 or self.frame_chunk < 1:
            raise ValueError("inference.topk and inference.frame_chunk must be >= 1")
        for name in ("min_size", "max_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"inference.{name} must be >= 1 or null, got {value}")
