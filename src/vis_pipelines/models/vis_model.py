"""Mask2Former-VIS: backbone → pixel decoder → masked-attention video decoder (+ criterion).

Cheng et al., "Mask2Former for Video Instance Segmentation" (arXiv 2112.10764). The model wires
injected parts, torchvision-detection style: ``forward`` returns the weighted loss dict in training
and the raw decoder outputs in evaluation (post-processing lives in :mod:`.postprocess`). Frames are
encoded independently (backbone + pixel decoder, chunkable to bound memory); the decoder sees every
frame of a clip at once, so each query's mask is a ``[T, H, W]`` volume.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .backbones import Backbone, ResNetBackbone, SmallCNN
from .checkpoint_import import import_official_weights
from .config import Mask2FormerConfig
from .criterion import SetCriterion
from .mask2former import VideoMaskedTransformerDecoder
from .matcher import HungarianMatcher
from .pixel_decoder import MSDeformAttnPixelDecoder

__all__ = [
    "MASK_ACTIVATIONS",
    "VideoMask2Former",
    "build_mask2former",
    "build_backbone",
    "build_criterion",
    "layer_weight_dict",
]

MASK_ACTIVATIONS = ("sigmoid", "query_softmax")


class VideoMask2Former(nn.Module):
    """Video instance segmentation model of the Mask2Former family.

    Args:
        backbone: maps normalised images to C2–C5.
        pixel_decoder: C2–C5 → (mask features, three multi-scale maps).
        decoder: the masked-attention video decoder.
        criterion: training losses (``None``: inference only).
        pixel_mean / pixel_std: RGB normalisation of 0–255 input.
        size_divisibility: inputs are zero-padded (bottom/right) to a multiple of this.
        deep_supervision: also supervise the prediction made before each decoder layer.
        mask_activation: how mask logits become mask scores at inference: ``"sigmoid"`` (each
            query independently; scores are logits compared with a logit threshold) or
            ``"query_softmax"`` (queries compete for each pixel, Cluster2Former; scores are
            probabilities).
    """

    def __init__(
        self,
        *,
        backbone: Backbone,
        pixel_decoder: nn.Module,
        decoder: VideoMaskedTransformerDecoder,
        criterion: SetCriterion | None = None,
        pixel_mean: tuple[float, ...] = (123.675, 116.28, 103.53),
        pixel_std: tuple[float, ...] = (58.395, 57.12, 57.375),
        size_divisibility: int = 32,
        deep_supervision: bool = True,
        mask_activation: str = "sigmoid",
    ):
        super().__init__()
        if mask_activation not in MASK_ACTIVATIONS:
            raise ValueError(
                f"mask_activation must be one of {MASK_ACTIVATIONS}, got {mask_activation!r}"
            )
        self.mask_activation = mask_activation
        self.deep_supervision = deep_supervision
        self.backbone = backbone
        self.pixel_decoder = pixel_decoder
        self.decoder = decoder
        self.criterion = criterion
        self.size_divisibility = size_divisibility
        self.register_buffer(
            "pixel_mean", torch.tensor(pixel_mean).view(1, 3, 1, 1), persistent=False
        )
        self.register_buffer(
            "pixel_std", torch.tensor(pixel_std).view(1, 3, 1, 1), persistent=False
        )

    @property
    def device(self) -> torch.device:
        """Device of the parameters."""
        return self.pixel_mean.device

    def padded_size(self, height: int, width: int) -> tuple[int, int]:
        """Input size after padding to ``size_divisibility``."""
        d = self.size_divisibility
        return math.ceil(height / d) * d, math.ceil(width / d) * d

    def preprocess(self, images: Tensor) -> Tensor:
        """``images (Tensor[N, 3, H, W])`` 0–255 → normalised and zero-padded to the divisibility."""
        x = (images.to(self.device, torch.float32) - self.pixel_mean) / self.pixel_std
        ph, pw = self.padded_size(*x.shape[-2:])
        return F.pad(x, (0, pw - x.shape[-1], 0, ph - x.shape[-2]))

    def encode_frames(self, images: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Per-frame encoding: ``images [N, 3, H, W]`` (0–255) → (mask features, multi-scale maps)."""
        return self.pixel_decoder(self.backbone(self.preprocess(images)))

    def decode(self, mask_features: Tensor, features: list[Tensor], num_frames: int) -> dict:
        """Run the video decoder over clips of ``num_frames`` frames (see the decoder's contract)."""
        return self.decoder(features, mask_features, num_frames=num_frames)

    def mask_scores(self, pred_masks: Tensor) -> Tensor:
        """Per-pixel scores of ``pred_masks (Tensor[B, Q, T, h, w])`` that inference thresholds.

        ``"sigmoid"``: the logits themselves; ``"query_softmax"``: softmax over the Q queries.
        """
        if self.mask_activation == "query_softmax":
            return pred_masks.float().softmax(dim=1)
        return pred_masks

    def forward(
        self,
        clips: Tensor,
        targets: list[dict[str, Tensor]] | None = None,
        *,
        generator: torch.Generator | None = None,
    ) -> dict:
        """Training: weighted losses; evaluation: decoder outputs.

        Args:
            clips: ``Tensor[B, T, 3, H, W]`` RGB 0–255 (uint8 or float).
            targets: per clip ``{"labels": [G], "masks": [G, T, H, W]}`` (training only).
            generator: random source of the point sampling (reproducible, resumable training).
        """
        b, t = clips.shape[:2]
        mask_features, features = self.encode_frames(clips.flatten(0, 1))
        outputs = self.decode(mask_features, features, t)
        if not self.training:
            return outputs
        if self.criterion is None or targets is None:
            raise ValueError("training needs a criterion and targets")
        ph, pw = self.padded_size(*clips.shape[-2:])
        pad = (0, pw - clips.shape[-1], 0, ph - clips.shape[-2])
        # Every per-pixel target (instance masks, the background map) is padded like the input.
        padded = [
            {
                key: (
                    value.to(self.device)
                    if key == "labels"
                    else F.pad(value.to(self.device, torch.float32), pad)
                )
                for key, value in tgt.items()
            }
            for tgt in targets
        ]
        if not self.deep_supervision:
            outputs = {k: v for k, v in outputs.items() if k != "aux_outputs"}
        losses = self.criterion(outputs, padded, generator=generator)
        weights = self.criterion.weight_dict
        return {k: v * weights[k] for k, v in losses.items() if k in weights}


def build_backbone(cfg: Mask2FormerConfig) -> Backbone:
    """The configured backbone (ResNet weights from ``cfg.backbone_weights`` when given)."""
    if cfg.backbone == "resnet":
        return ResNetBackbone(
            depth=cfg.resnet_depth, freeze_at=cfg.freeze_at, weights=cfg.backbone_weights
        )
    return SmallCNN(widths=tuple(cfg.small_cnn_widths), blocks=cfg.small_cnn_blocks)


def build_criterion(cfg: Mask2FormerConfig, num_classes: int) -> SetCriterion:
    """Hungarian matcher + set criterion with the paper's weights (from ``cfg``)."""
    matcher = HungarianMatcher(
        cost_class=cfg.class_weight,
        cost_mask=cfg.mask_weight,
        cost_dice=cfg.dice_weight,
        num_points=cfg.train_num_points,
    )
    return SetCriterion(
        num_classes=num_classes,
        matcher=matcher,
        weight_dict=_weight_dict(cfg),
        eos_coef=cfg.no_object_weight,
        losses=("labels", "masks"),
        num_points=cfg.train_num_points,
        oversample_ratio=cfg.oversample_ratio,
        importance_sample_ratio=cfg.importance_sample_ratio,
    )


def layer_weight_dict(base: dict[str, float], cfg: Mask2FormerConfig) -> dict[str, float]:
    """``base`` loss weights, repeated as ``<key>_<i>`` for every supervised decoder layer."""
    out = dict(base)
    if cfg.deep_supervision:
        for i in range(cfg.dec_layers):
            out.update({f"{k}_{i}": v for k, v in base.items()})
    return out


def _weight_dict(cfg: Mask2FormerConfig) -> dict[str, float]:
    base = {"loss_ce": cfg.class_weight, "loss_mask": cfg.mask_weight, "loss_dice": cfg.dice_weight}
    return layer_weight_dict(base, cfg)


def build_mask2former(
    cfg: Mask2FormerConfig,
    num_classes: int,
    *,
    criterion: SetCriterion | None = None,
    mask_activation: str = "sigmoid",
) -> VideoMask2Former:
    """Assemble a Mask2Former-VIS model for ``num_classes`` categories.

    ``criterion`` overrides the default one (families replace losses and matching);
    ``mask_activation`` is the inference mask rule (see :class:`VideoMask2Former`).
    """
    backbone = build_backbone(cfg)
    pixel_decoder = MSDeformAttnPixelDecoder(
        in_channels=backbone.out_channels,
        conv_dim=cfg.conv_dim,
        mask_dim=cfg.mask_dim,
        num_encoder_layers=cfg.enc_layers,
        num_heads=cfg.enc_heads,
        num_points=cfg.enc_points,
        ffn_dim=cfg.enc_ffn_dim,
        dropout=cfg.dropout,
    )
    decoder = VideoMaskedTransformerDecoder(
        in_channels=cfg.conv_dim,
        num_classes=num_classes,
        hidden_dim=cfg.hidden_dim,
        num_queries=cfg.num_queries,
        nheads=cfg.nheads,
        dim_feedforward=cfg.dim_feedforward,
        dec_layers=cfg.dec_layers,
        mask_dim=cfg.mask_dim,
        dropout=cfg.dropout,
    )
    model = VideoMask2Former(
        backbone=backbone,
        pixel_decoder=pixel_decoder,
        decoder=decoder,
        criterion=criterion if criterion is not None else build_criterion(cfg, num_classes),
        pixel_mean=tuple(cfg.pixel_mean),
        pixel_std=tuple(cfg.pixel_std),
        size_divisibility=cfg.size_divisibility,
        deep_supervision=cfg.deep_supervision,
        mask_activation=mask_activation,
    )
    if cfg.init_checkpoint:
        # The class head of another dataset (COCO -> YouTube-VIS) is reported and left at init.
        import_official_weights(model, cfg.init_checkpoint)
    return model
