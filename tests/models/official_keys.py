"""Fabricated official Mask2Former-VIS (detectron2) state dicts: official names, shapes, random values.

An explicit table of the names and shapes an official checkpoint holds, written from the
checkpoint layout (detectron2 ResNet + ``sem_seg_head.pixel_decoder`` + ``sem_seg_head.predictor``
+ ``criterion``) by loops over layer counts; it does not use the import mapping, so the tests
check that mapping against an independent description.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BN = ("weight", "bias", "running_mean", "running_var")


@dataclass(frozen=True)
class OfficialSizes:
    """Sizes of the official model (defaults: R50 + the YouTube-VIS 2019 paper config)."""

    blocks: tuple[int, int, int, int] = (3, 4, 6, 3)  # R50; R18: (2, 2, 2, 2) with bottleneck=False
    bottleneck: bool = True
    conv_dim: int = 256
    mask_dim: int = 256
    enc_layers: int = 6
    enc_heads: int = 8
    enc_points: int = 4
    enc_ffn_dim: int = 1024
    hidden_dim: int = 256
    num_queries: int = 100
    dim_feedforward: int = 2048
    dec_layers: int = 9
    num_classes: int = 40


def _bn(prefix: str, channels: int) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}.norm.{name}": (channels,) for name in BN}


def backbone_shapes(sizes: OfficialSizes) -> dict[str, tuple[int, ...]]:
    """detectron2 ResNet names (``backbone.stem``, ``backbone.res2..5``) and shapes."""
    shapes: dict[str, tuple[int, ...]] = {"backbone.stem.conv1.weight": (64, 3, 7, 7)}
    shapes.update(_bn("backbone.stem.conv1", 64))
    expansion = 4 if sizes.bottleneck else 1
    in_ch = 64
    for stage, count in enumerate(sizes.blocks):
        width = 64 * 2**stage
        out_ch = width * expansion
        for i in range(count):
            prefix = f"backbone.res{stage + 2}.{i}"
            if sizes.bottleneck:
                convs = [(width, in_ch, 1), (width, width, 3), (out_ch, width, 1)]
            else:
                convs = [(width, in_ch, 3), (width, width, 3)]
            for j, (c_out, c_in, k) in enumerate(convs, start=1):
                shapes[f"{prefix}.conv{j}.weight"] = (c_out, c_in, k, k)
                shapes.update(_bn(f"{prefix}.conv{j}", c_out))
            # a projection shortcut where channels or stride change (first block of a stage)
            if i == 0 and (in_ch != out_ch or stage > 0):
                shapes[f"{prefix}.shortcut.weight"] = (out_ch, in_ch, 1, 1)
                shapes.update(_bn(f"{prefix}.shortcut", out_ch))
            in_ch = out_ch
    return shapes


def pixel_decoder_shapes(sizes: OfficialSizes) -> dict[str, tuple[int, ...]]:
    """``sem_seg_head.pixel_decoder.*``: input projections (res5, res4, res3), encoder, FPN."""
    expansion = 4 if sizes.bottleneck else 1
    res_channels = {k: 64 * 2 ** (k - 2) * expansion for k in (2, 3, 4, 5)}
    d = sizes.conv_dim
    p = "sem_seg_head.pixel_decoder"
    shapes: dict[str, tuple[int, ...]] = {}
    for level, res in enumerate((5, 4, 3)):
        shapes[f"{p}.input_proj.{level}.0.weight"] = (d, res_channels[res], 1, 1)
        shapes[f"{p}.input_proj.{level}.0.bias"] = (d,)
        shapes[f"{p}.input_proj.{level}.1.weight"] = (d,)
        shapes[f"{p}.input_proj.{level}.1.bias"] = (d,)
    shapes[f"{p}.transformer.level_embed"] = (3, d)
    offsets = sizes.enc_heads * 3 * sizes.enc_points
    for i in range(sizes.enc_layers):
        layer = f"{p}.transformer.encoder.layers.{i}"
        linears = {
            "self_attn.sampling_offsets": (offsets * 2, d),
            "self_attn.attention_weights": (offsets, d),
            "self_attn.value_proj": (d, d),
            "self_attn.output_proj": (d, d),
            "linear1": (sizes.enc_ffn_dim, d),
            "linear2": (d, sizes.enc_ffn_dim),
            "norm1": None,
            "norm2": None,
        }
        for name, shape in linears.items():
            shapes[f"{layer}.{name}.weight"] = shape if shape is not None else (d,)
            shapes[f"{layer}.{name}.bias"] = (shape[0],) if shape is not None else (d,)
    shapes[f"{p}.mask_features.weight"] = (sizes.mask_dim, d, 1, 1)
    shapes[f"{p}.mask_features.bias"] = (sizes.mask_dim,)
    shapes[f"{p}.adapter_1.weight"] = (d, res_channels[2], 1, 1)
    shapes[f"{p}.adapter_1.norm.weight"] = (d,)
    shapes[f"{p}.adapter_1.norm.bias"] = (d,)
    shapes[f"{p}.layer_1.weight"] = (d, d, 3, 3)
    shapes[f"{p}.layer_1.norm.weight"] = (d,)
    shapes[f"{p}.layer_1.norm.bias"] = (d,)
    return shapes


def predictor_shapes(sizes: OfficialSizes) -> dict[str, tuple[int, ...]]:
    """``sem_seg_head.predictor.*`` (video masked-attention decoder) and ``criterion.*``."""
    h = sizes.hidden_dim
    p = "sem_seg_head.predictor"
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(sizes.dec_layers):
        for layers, attn in (
            ("transformer_self_attention_layers", "self_attn"),
            ("transformer_cross_attention_layers", "multihead_attn"),
        ):
            shapes[f"{p}.{layers}.{i}.{attn}.in_proj_weight"] = (3 * h, h)
            shapes[f"{p}.{layers}.{i}.{attn}.in_proj_bias"] = (3 * h,)
            shapes[f"{p}.{layers}.{i}.{attn}.out_proj.weight"] = (h, h)
            shapes[f"{p}.{layers}.{i}.{attn}.out_proj.bias"] = (h,)
            shapes[f"{p}.{layers}.{i}.norm.weight"] = (h,)
            shapes[f"{p}.{layers}.{i}.norm.bias"] = (h,)
        ffn = f"{p}.transformer_ffn_layers.{i}"
        shapes[f"{ffn}.linear1.weight"] = (sizes.dim_feedforward, h)
        shapes[f"{ffn}.linear1.bias"] = (sizes.dim_feedforward,)
        shapes[f"{ffn}.linear2.weight"] = (h, sizes.dim_feedforward)
        shapes[f"{ffn}.linear2.bias"] = (h,)
        shapes[f"{ffn}.norm.weight"] = (h,)
        shapes[f"{ffn}.norm.bias"] = (h,)
    shapes[f"{p}.decoder_norm.weight"] = (h,)
    shapes[f"{p}.decoder_norm.bias"] = (h,)
    shapes[f"{p}.query_feat.weight"] = (sizes.num_queries, h)
    shapes[f"{p}.query_embed.weight"] = (sizes.num_queries, h)
    shapes[f"{p}.level_embed.weight"] = (3, h)
    if sizes.conv_dim != h:  # the official decoder projects only when the widths differ
        for level in range(3):
            shapes[f"{p}.input_proj.{level}.weight"] = (h, sizes.conv_dim, 1, 1)
            shapes[f"{p}.input_proj.{level}.bias"] = (h,)
    shapes[f"{p}.class_embed.weight"] = (sizes.num_classes + 1, h)
    shapes[f"{p}.class_embed.bias"] = (sizes.num_classes + 1,)
    for j, out in enumerate((h, h, sizes.mask_dim)):
        shapes[f"{p}.mask_embed.layers.{j}.weight"] = (out, h)
        shapes[f"{p}.mask_embed.layers.{j}.bias"] = (out,)
    shapes["criterion.empty_weight"] = (sizes.num_classes + 1,)
    return shapes


def official_shapes(sizes: OfficialSizes = OfficialSizes()) -> dict[str, tuple[int, ...]]:
    """Every name of an official Mask2Former-VIS checkpoint with its shape."""
    return {**backbone_shapes(sizes), **pixel_decoder_shapes(sizes), **predictor_shapes(sizes)}


def fabricate_official(
    sizes: OfficialSizes = OfficialSizes(), *, seed: int = 0
) -> dict[str, np.ndarray]:
    """Official-named float32 arrays with random values (running_var positive, as real ones)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in official_shapes(sizes).items():
        values = rng.standard_normal(shape, dtype=np.float32)
        out[name] = np.abs(values) + 0.1 if name.endswith("running_var") else values
    return out
