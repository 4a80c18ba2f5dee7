"""The tiny Mask2Former-VIS settings shared by model, engine and pipeline tests."""

from __future__ import annotations

TINY_MODEL = dict(
    small_cnn_widths=(8, 16, 16, 16),
    conv_dim=16,
    mask_dim=16,
    enc_layers=1,
    enc_heads=2,
    enc_points=2,
    enc_ffn_dim=32,
    hidden_dim=16,
    num_queries=4,
    nheads=2,
    dim_feedforward=32,
    dec_layers=3,
    train_num_points=64,
)
