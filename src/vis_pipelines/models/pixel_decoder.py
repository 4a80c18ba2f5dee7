"""Mask2Former's multi-scale deformable-attention pixel decoder (Cheng et al., CVPR 2022).

A Deformable-DETR encoder (Zhu et al., ICLR 2021) refines the three coarsest backbone levels
(res3-res5 by default) jointly; an FPN top-down path then adds the finer levels (res2) down to
``common_stride`` and a 1x1 conv gives the per-pixel mask embeddings. Submodule and parameter names
follow the official checkpoints (``input_proj.0.0.weight``, ``transformer.level_embed``,
``transformer.encoder.layers.0.self_attn.sampling_offsets.weight``, ``adapter_1.norm.weight``,
``layer_1.weight``, ``mask_features.weight``) so they can be imported by a key mapping.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vis_pipelines.models.deformable_attention import MSDeformAttn, level_start_index_of
from vis_pipelines.models.position_encoding import PositionEmbeddingSine

__all__ = [
    "ConvNormAct",
    "MSDeformAttnEncoder",
    "MSDeformAttnEncoderLayer",
    "MSDeformAttnPixelDecoder",
    "MSDeformAttnTransformer",
    "encoder_reference_points",
]

NUM_FEATURE_LEVELS = 3  # scales handed to the transformer decoder (Mask2Former always uses 3)


def _group_norm(channels: int) -> nn.GroupNorm:
    """GroupNorm with 32 groups, fewer when ``channels`` is not a multiple of 32 (tiny configs)."""
    return nn.GroupNorm(math.gcd(32, channels), channels)


def _norm_layer(norm: str, channels: int) -> nn.Module | None:
    """The normalisation called ``norm`` ("GN" or "" for none)."""
    if norm == "GN":
        return _group_norm(channels)
    if norm == "":
        return None
    raise ValueError(f"norm must be 'GN' or '' (none), got {norm!r}")


def _caffe2_xavier_(conv: nn.Conv2d) -> None:
    """Caffe2's "XavierFill" used by Mask2Former's convs: uniform, fan-in scaled; zero bias."""
    nn.init.kaiming_uniform_(conv.weight, a=1)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


class ConvNormAct(nn.Conv2d):
    """``Conv2d`` followed by an optional ``norm`` submodule and activation.

    Subclassing Conv2d keeps the checkpoint layout ``<name>.weight`` / ``<name>.norm.weight``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        padding: int = 0,
        norm: str = "GN",
        activation: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        norm_layer = _norm_layer(norm, out_channels)
        super().__init__(
            in_channels, out_channels, kernel_size, padding=padding, bias=norm_layer is None
        )
        self.norm = norm_layer
        self.activation = activation
        _caffe2_xavier_(self)

    def forward(self, x: Tensor) -> Tensor:
        """``Tensor[N, C_in, H, W] -> Tensor[N, C_out, H, W]``."""
        x = super().forward(x)
        if self.norm is not None:
            x = self.norm(x)
        if self.activation is not None:
            x = self.activation(x)
        return x


def encoder_reference_points(
    spatial_shapes: Sequence[tuple[int, int]], *, device: torch.device | None = None
) -> Tensor:
    """Pixel centres of every level, normalised to ``[0, 1]``, as ``Tensor[S, 2]`` of ``(x, y)``.

    Row-major within a level, levels concatenated (the flattening order of the encoder input).
    """
    points = []
    for h, w in spatial_shapes:
        ys = (torch.arange(h, dtype=torch.float32, device=device) + 0.5) / h
        xs = (torch.arange(w, dtype=torch.float32, device=device) + 0.5) / w
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
        points.append(torch.stack((grid_x.reshape(-1), grid_y.reshape(-1)), dim=-1))
    return torch.cat(points, dim=0)


class MSDeformAttnEncoderLayer(nn.Module):
    """Post-norm encoder layer: deformable self-attention then a ReLU feed-forward block."""

    def __init__(
        self,
        *,
        d_model: int = 256,
        ffn_dim: int = 1024,
        dropout: float = 0.0,
        n_levels: int = 3,
        n_heads: int = 8,
        n_points: int = 4,
    ) -> None:
        super().__init__()
        self.self_attn = MSDeformAttn(
            d_model=d_model, n_levels=n_levels, n_heads=n_heads, n_points=n_points
        )
        self.dropout1 = nn.Dropout(dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.linear1 = nn.Linear(d_model, ffn_dim)
        self.activation = nn.ReLU()
        self.dropout2 = nn.Dropout(dropout)
        self.linear2 = nn.Linear(ffn_dim, d_model)
        self.dropout3 = nn.Dropout(dropout)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(
        self,
        src: Tensor,
        pos: Tensor,
        reference_points: Tensor,
        spatial_shapes: Tensor,
        level_start_index: Tensor,
        padding_mask: Tensor | None = None,
    ) -> Tensor:
        """``src (Tensor[N, S, C])`` with ``pos (Tensor[N, S, C])`` -> ``Tensor[N, S, C]``."""
        # position only enters the queries; values are the plain features (Deformable DETR)
        attended = self.self_attn(
            src + pos, reference_points, src, spatial_shapes, level_start_index, padding_mask
        )
        src = self.norm1(src + self.dropout1(attended))
        hidden = self.dropout2(self.activation(self.linear1(src)))
        return self.norm2(src + self.dropout3(self.linear2(hidden)))


class MSDeformAttnEncoder(nn.Module):
    """A stack of :class:`MSDeformAttnEncoderLayer` (``layers``)."""

    def __init__(self, *, num_layers: int, **layer_kwargs) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            MSDeformAttnEncoderLayer(**layer_kwargs) for _ in range(num_layers)
        )

    def forward(
        self,
        src: Tensor,
        pos: Tensor,
        reference_points: Tensor,
        spatial_shapes: Tensor,
        level_start_index: Tensor,
        padding_mask: Tensor | None = None,
    ) -> Tensor:
        """Run every layer on ``src (Tensor[N, S, C])``."""
        for layer in self.layers:
            src = layer(src, pos, reference_points, spatial_shapes, level_start_index, padding_mask)
        return src


class MSDeformAttnTransformer(nn.Module):
    """Encoder-only deformable transformer over a list of feature maps (no padding)."""

    def __init__(
        self,
        *,
        d_model: int = 256,
        n_levels: int = 3,
        n_heads: int = 8,
        n_points: int = 4,
        ffn_dim: int = 1024,
        dropout: float = 0.0,
        num_layers: int = 6,
    ) -> None:
        super().__init__()
        self.level_embed = nn.Parameter(torch.empty(n_levels, d_model))
        self.encoder = MSDeformAttnEncoder(
            num_layers=num_layers,
            d_model=d_model,
            ffn_dim=ffn_dim,
            dropout=dropout,
            n_levels=n_levels,
            n_heads=n_heads,
            n_points=n_points,
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform on every matrix, the attention's own init, N(0, 1) level embeddings."""
        for p in self.encoder.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for module in self.modules():
            if isinstance(module, MSDeformAttn):
                module.reset_parameters()
        nn.init.normal_(self.level_embed)

    def forward(
        self, srcs: Sequence[Tensor], pos_embeds: Sequence[Tensor]
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Encode ``srcs`` (``Tensor[N, C, h_l, w_l]`` per level, with matching ``pos_embeds``).

        Returns:
            ``memory (Tensor[N, S, C])``, ``spatial_shapes (LongTensor[L, 2])`` and
            ``level_start_index (LongTensor[L])``.
        """
        if len(srcs) != self.level_embed.shape[0] or len(pos_embeds) != len(srcs):
            raise ValueError(f"expected {self.level_embed.shape[0]} levels, got {len(srcs)}")
        shapes = [(src.shape[-2], src.shape[-1]) for src in srcs]
        src_flatten = torch.cat([src.flatten(2).transpose(1, 2) for src in srcs], dim=1)
        pos_flatten = torch.cat(
            [
                pos.flatten(2).transpose(1, 2) + self.level_embed[level].view(1, 1, -1)
                for level, pos in enumerate(pos_embeds)
            ],
            dim=1,
        )
        device = src_flatten.device
        spatial_shapes = torch.as_tensor(shapes, dtype=torch.long, device=device)
        level_start_index = level_start_index_of(spatial_shapes)
        # every query refers to its own pixel centre, seen at the same relative place in all
        # levels (all valid ratios are 1: no padding inside a batch)
        n_levels = len(shapes)
        reference_points = encoder_reference_points(shapes, device=device)
        reference_points = reference_points[None, :, None, :].expand(
            src_flatten.shape[0], -1, n_levels, 2
        )
        memory = self.encoder(
            src_flatten, pos_flatten, reference_points, spatial_shapes, level_start_index
        )
        return memory, spatial_shapes, level_start_index


def _default_stride(name: str) -> int:
    """Stride implied by a ``res<k>`` feature name (``2**k``)."""
    match = re.fullmatch(r"res(\d+)", name)
    if match is None:
        raise ValueError(f"cannot infer the stride of feature {name!r}; pass in_strides")
    return 2 ** int(match.group(1))


class MSDeformAttnPixelDecoder(nn.Module):
    """Pixel decoder: ``forward(features) -> (mask_features, multi_scale_features)``.

    ``features`` is the backbone dict ``{"res2": [N, C2, H/4, W/4], ..., "res5": [N, C5, H/32,
    W/32]}``. Returns ``mask_features (Tensor[N, mask_dim, H/s, W/s])`` with ``s =
    common_stride`` and ``multi_scale_features``: 3 tensors ``[N, conv_dim, h_l, w_l]`` from the
    encoder, low resolution first (res5, res4, res3 levels). Feature strides come from
    ``in_strides`` or, by default, from the names (``res<k>`` has stride ``2**k``).
    """

    def __init__(
        self,
        *,
        in_channels: Mapping[str, int],
        conv_dim: int = 256,
        mask_dim: int = 256,
        num_encoder_layers: int = 6,
        num_heads: int = 8,
        num_points: int = 4,
        ffn_dim: int = 1024,
        dropout: float = 0.0,
        transformer_in_features: Sequence[str] = ("res3", "res4", "res5"),
        common_stride: int = 4,
        norm: str = "GN",
        in_strides: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        given = dict(in_strides or {})
        strides = {name: given.get(name) or _default_stride(name) for name in in_channels}
        missing = [name for name in transformer_in_features if name not in in_channels]
        if missing:
            raise ValueError(f"transformer_in_features {missing} are not in in_channels")
        if len(transformer_in_features) < NUM_FEATURE_LEVELS:
            raise ValueError(
                f"need at least {NUM_FEATURE_LEVELS} transformer_in_features, "
                f"got {list(transformer_in_features)}"
            )
        if conv_dim % 2:
            raise ValueError(f"conv_dim must be even (sine position encoding), got {conv_dim}")
        self.in_features = sorted(in_channels, key=strides.__getitem__)  # fine to coarse
        # encoder levels, fine to coarse (res3, res4, res5)
        self.transformer_in_features = sorted(transformer_in_features, key=strides.__getitem__)
        self.conv_dim = conv_dim
        self.mask_dim = mask_dim
        self.common_stride = common_stride

        # one projection per encoder level, LOW resolution first (official ordering)
        self.input_proj = nn.ModuleList(
            nn.Sequential(nn.Conv2d(in_channels[name], conv_dim, 1), _group_norm(conv_dim))
            for name in reversed(self.transformer_in_features)
        )
        for proj in self.input_proj:
            nn.init.xavier_uniform_(proj[0].weight, gain=1)
            nn.init.zeros_(proj[0].bias)
        self.transformer = MSDeformAttnTransformer(
            d_model=conv_dim,
            n_levels=len(self.transformer_in_features),
            n_heads=num_heads,
            n_points=num_points,
            ffn_dim=ffn_dim,
            dropout=dropout,
            num_layers=num_encoder_layers,
        )
        self.pe_layer = PositionEmbeddingSine(conv_dim // 2, normalize=True)
        self.mask_features = nn.Conv2d(conv_dim, mask_dim, kernel_size=1)
        _caffe2_xavier_(self.mask_features)

        # FPN levels between the finest encoder level and common_stride (res2 for stride 4)
        finest = min(strides[name] for name in self.transformer_in_features)
        num_fpn_levels = int(round(math.log2(finest) - math.log2(common_stride)))
        fpn_features = [name for name in self.in_features if strides[name] < finest]
        if num_fpn_levels < 0 or len(fpn_features) < num_fpn_levels:
            raise ValueError(
                f"common_stride={common_stride} needs {num_fpn_levels} features finer than "
                f"stride {finest}, have {fpn_features}"
            )
        # fine to coarse, named adapter_1/layer_1 from the finest level like the checkpoints
        self.fpn_features = fpn_features[:num_fpn_levels]
        for index, name in enumerate(self.fpn_features, start=1):
            self.add_module(
                f"adapter_{index}", ConvNormAct(in_channels[name], conv_dim, 1, norm=norm)
            )
            self.add_module(
                f"layer_{index}",
                ConvNormAct(conv_dim, conv_dim, 3, padding=1, norm=norm, activation=F.relu),
            )

    def forward(self, features: Mapping[str, Tensor]) -> tuple[Tensor, list[Tensor]]:
        """Mask features ``[N, mask_dim, H/4, W/4]`` and 3 encoder maps (low resolution first)."""
        for name in (*self.transformer_in_features, *self.fpn_features):
            if name not in features:
                raise ValueError(f"pixel decoder input lacks feature {name!r}")
        coarse_first = list(reversed(self.transformer_in_features))
        srcs = [
            proj(features[name]) for proj, name in zip(self.input_proj, coarse_first, strict=True)
        ]
        pos = [self.pe_layer(features[name]) for name in coarse_first]
        memory, spatial_shapes, level_start_index = self.transformer(srcs, pos)

        batch = memory.shape[0]
        shapes = [tuple(src.shape[-2:]) for src in srcs]
        outs = [
            level.transpose(1, 2).reshape(batch, self.conv_dim, h, w)
            for level, (h, w) in zip(
                memory.split([h * w for h, w in shapes], dim=1), shapes, strict=True
            )
        ]
        # top-down FPN: coarsest remaining level first
        for index in range(len(self.fpn_features), 0, -1):
            lateral = getattr(self, f"adapter_{index}")(features[self.fpn_features[index - 1]])
            top_down = F.interpolate(
                outs[-1], size=lateral.shape[-2:], mode="bilinear", align_corners=False
            )
            outs.append(getattr(self, f"layer_{index}")(lateral + top_down))
        return self.mask_features(outs[-1]), outs[:NUM_FEATURE_LEVELS]
