"""Backbones feeding the pixel decoder: torchvision ResNet (frozen BN, C2–C5) and a small CPU CNN.

ResNet follows He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016) as packaged by
torchvision; Mask2Former (Cheng et al., CVPR 2022) uses it with frozen batch-norm statistics. The
small CNN has the same four-stage stride-4/8/16/32 interface at a fraction of the cost, so the tiny
configs train on two CPU cores.

Every backbone maps ``images (Tensor[N, 3, H, W])`` (already normalised) to
``{"res2": [N, C2, H/4, W/4], "res3": [N, C3, H/8, W/8], "res4": [N, C4, H/16, W/16],
"res5": [N, C5, H/32, W/32]}`` and exposes ``out_channels`` and ``out_strides``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import torch
import torchvision
from torch import Tensor, nn
from torchvision.ops import FrozenBatchNorm2d

__all__ = ["Backbone", "ResNetBackbone", "SmallCNN", "load_resnet_weights"]

log = logging.getLogger(__name__)

FEATURES = ("res2", "res3", "res4", "res5")
STRIDES = {"res2": 4, "res3": 8, "res4": 16, "res5": 32}


class Backbone(nn.Module):
    """Base class: ``forward(images) -> {res2..res5}`` plus the channel/stride description."""

    out_channels: dict[str, int]
    out_strides: dict[str, int] = STRIDES


class ResNetBackbone(Backbone):
    """torchvision ResNet-{18,34,50,101} trunk returning C2–C5, batch-norm frozen.

    Parameter names are torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1`` ...), so a torchvision
    state dict loads directly; ``freeze_at`` freezes the stem (1) and the first ``freeze_at - 1``
    stages as detectron2 does (0: everything trains).
    """

    def __init__(self, *, depth: int = 50, freeze_at: int = 0, weights: str | Path | None = None):
        super().__init__()
        builders = {
            18: torchvision.models.resnet18,
            34: torchvision.models.resnet34,
            50: torchvision.models.resnet50,
            101: torchvision.models.resnet101,
        }
        if depth not in builders:
            raise ValueError(f"backbone depth must be one of {sorted(builders)}, got {depth}")
        # weights=None: torchvision never downloads; pretrained weights come from a local file.
        net = builders[depth](weights=None, norm_layer=FrozenBatchNorm2d)
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = (
            net.layer1,
            net.layer2,
            net.layer3,
            net.layer4,
        )
        expansion = 4 if depth >= 50 else 1
        self.out_channels = {f"res{i + 2}": 64 * 2**i * expansion for i in range(4)}
        if weights is not None:
            load_resnet_weights(self, weights)
        else:
            log.info("ResNet-%d backbone: no weights path given, random initialisation", depth)
        self._freeze(freeze_at)

    def _freeze(self, freeze_at: int) -> None:
        stages = [
            [self.conv1, self.bn1],
            [self.layer1],
            [self.layer2],
            [self.layer3],
            [self.layer4],
        ]
        for group in stages[:freeze_at]:
            for module in group:
                for p in module.parameters():
                    p.requires_grad_(False)

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        """``images (Tensor[N, 3, H, W])`` → C2–C5 feature maps."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(images))))
        out = {}
        for name, layer in zip(
            FEATURES, (self.layer1, self.layer2, self.layer3, self.layer4), strict=True
        ):
            x = layer(x)
            out[name] = x
        return out


def load_resnet_weights(backbone: nn.Module, path: str | Path) -> list[str]:
    """Load a torchvision ResNet state dict from a local file; returns the keys left unused.

    The classifier (``fc.*``) is dropped; a missing or left-over trunk key is an error naming the
    file, since a half-initialised backbone would train silently worse.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"backbone weights not found: {path} (pretrained weights are read from a local path; "
            "nothing is downloaded — set the path to a torchvision ResNet .pth or null)"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, Mapping) and "model" in state and isinstance(state["model"], Mapping):
        state = state["model"]
    if not isinstance(state, Mapping):
        raise ValueError(f"{path}: expected a state dict, got {type(state).__name__}")
    own = backbone.state_dict()
    trunk = {k: v for k, v in state.items() if k in own}
    missing = sorted(set(own) - set(trunk))
    if missing:
        raise ValueError(f"{path}: {len(missing)} backbone weights missing, e.g. {missing[:3]}")
    for key, value in trunk.items():
        if tuple(value.shape) != tuple(own[key].shape):
            raise ValueError(
                f"{path}: {key} has shape {tuple(value.shape)}, the model {tuple(own[key].shape)}"
            )
    unused = sorted(set(state) - set(trunk))
    extra = [k for k in unused if not k.startswith("fc.") and not k.endswith("num_batches_tracked")]
    if extra:
        # e.g. ResNet-34 weights given to a ResNet-18: every key fits, but layers are left over.
        raise ValueError(
            f"{path}: {len(extra)} weights have no place in this backbone, e.g. {extra[:3]} "
            "(weights of another depth?)"
        )
    backbone.load_state_dict(trunk, strict=False)
    log.info(
        "loaded backbone weights from %s (%d tensors, %d unused)", path, len(trunk), len(unused)
    )
    return unused


def _conv_gn(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.GroupNorm(min(8, c_out), c_out),
        nn.ReLU(inplace=True),
    )


class _ResidualBlock(nn.Module):
    """3×3 conv + GN twice with an identity shortcut."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = _conv_gn(channels, channels, 1)
        self.conv2 = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.GroupNorm(min(8, channels), channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x + self.conv2(self.conv1(x)))


class SmallCNN(Backbone):
    """Four-stage CNN (GroupNorm, so batch size does not matter) for CPU configs.

    Stem: two stride-2 convs to 1/4; each stage: a stride-2 conv (except the first) then
    ``blocks`` residual blocks.
    """

    def __init__(self, *, widths: tuple[int, ...] = (32, 64, 96, 128), blocks: int = 1):
        super().__init__()
        if len(widths) != 4:
            raise ValueError(f"SmallCNN needs 4 stage widths, got {widths}")
        self.stem = nn.Sequential(
            _conv_gn(3, widths[0] // 2, 2), _conv_gn(widths[0] // 2, widths[0], 2)
        )
        stages = []
        for i, w in enumerate(widths):
            first = _conv_gn(widths[i - 1], w, 2) if i else nn.Identity()
            stages.append(nn.Sequential(first, *[_ResidualBlock(w) for _ in range(blocks)]))
        self.stages = nn.ModuleList(stages)
        self.out_channels = dict(zip(FEATURES, widths, strict=True))

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        """``images (Tensor[N, 3, H, W])`` → C2–C5 feature maps."""
        x = self.stem(images)
        out = {}
        for name, stage in zip(FEATURES, self.stages, strict=True):
            x = stage(x)
            out[name] = x
        return out
