"""Mask2Former-VIS model configuration: one frozen dataclass from YAML to ``nn.Module``.

``conf/base/parameters_mask2former.yml`` holds the tiny CPU config, ``conf/paper`` the paper's
YouTube-VIS 2019 R50 config; the same dataclass configures both, and families extend it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from vis_pipelines.parameters import check_field_types

__all__ = ["Mask2FormerConfig", "BACKBONES"]

BACKBONES = ("small_cnn", "resnet")


@dataclass(frozen=True)
class Mask2FormerConfig:
    """Every architecture and loss setting of the Mask2Former-VIS core."""

    # Backbone.
    backbone: str = "small_cnn"  # small_cnn | resnet
    resnet_depth: int = 50
    backbone_weights: str | None = None  # local torchvision ResNet .pth; None: random init
    freeze_at: int = 0
    # Official Mask2Former (detectron2 .pkl/.pth) checkpoint imported after construction, e.g.
    # COCO instance R50 weights for the paper recipe; replaces backbone_weights (resnet only).
    init_checkpoint: str | None = None
    small_cnn_widths: tuple[int, ...] = (32, 64, 96, 128)
    small_cnn_blocks: int = 1
    pixel_mean: tuple[float, ...] = (123.675, 116.28, 103.53)  # ImageNet, 0-255 RGB
    pixel_std: tuple[float, ...] = (58.395, 57.12, 57.375)
    size_divisibility: int = 32
    # Pixel decoder (multi-scale deformable attention encoder + FPN).
    conv_dim: int = 256
    mask_dim: int = 256
    enc_layers: int = 6
    enc_heads: int = 8
    enc_points: int = 4
    enc_ffn_dim: int = 1024
    # Transformer decoder.
    hidden_dim: int = 256
    num_queries: int = 100
    nheads: int = 8
    dim_feedforward: int = 2048
    dec_layers: int = 9
    dropout: float = 0.0
    # Matcher and losses.
    class_weight: float = 2.0
    mask_weight: float = 5.0
    dice_weight: float = 5.0
    no_object_weight: float = 0.1
    train_num_points: int = 12544
    oversample_ratio: float = 3.0
    importance_sample_ratio: float = 0.75
    deep_supervision: bool = True

    def __post_init__(self) -> None:
        check_field_types(self, "model")
        if self.backbone not in BACKBONES:
            raise ValueError(f"model.backbone must be one of {BACKBONES}, got {self.backbone!r}")
        for name in (
            "conv_dim",
            "mask_dim",
            "hidden_dim",
            "num_queries",
            "dec_layers",
            "nheads",
            "enc_heads",
            "enc_points",
            "train_num_points",
            "size_divisibility",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"model.{name} must be >= 1, got {getattr(self, name)}")
        if self.enc_layers < 0:
            raise ValueError(f"model.enc_layers must be >= 0, got {self.enc_layers}")
        if self.hidden_dim % self.nheads or self.conv_dim % self.enc_heads:
            raise ValueError("model.hidden_dim / conv_dim must be divisible by nheads / enc_heads")
        if self.hidden_dim % 2:
            raise ValueError(
                f"model.hidden_dim must be even (sine encoding), got {self.hidden_dim}"
            )
        if self.init_checkpoint and self.backbone != "resnet":
            raise ValueError(
                "model.init_checkpoint (official Mask2Former weights) needs backbone: resnet"
            )
        if len(self.pixel_mean) != 3 or len(self.pixel_std) != 3:
            raise ValueError("model.pixel_mean and model.pixel_std need three values (RGB)")
        if not 0.0 <= self.importance_sample_ratio <= 1.0 or self.oversample_ratio < 1.0:
            raise ValueError("model: importance_sample_ratio in [0, 1], oversample_ratio >= 1")
        # YAML gives lists; the frozen dataclass keeps tuples so it stays hashable.
        for name in ("small_cnn_widths", "pixel_mean", "pixel_std"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (checkpoints store it; ``Mask2FormerConfig(**d)`` rebuilds the config)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
