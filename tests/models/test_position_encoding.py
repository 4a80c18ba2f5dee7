"""Sine position encodings: hand-computed values, shapes, ranges, no state."""

from __future__ import annotations

import math

import pytest
import torch

from vis_pipelines.models.position_encoding import PositionEmbeddingSine, PositionEmbeddingSine3D


def _pair(position: float, frequency_index: int, num_feats: int) -> list[float]:
    """sin/cos of ``position`` at frequency ``10000**(2k / num_feats)``, by hand."""
    angle = position / 10000 ** (2 * frequency_index / num_feats)
    return [math.sin(angle), math.cos(angle)]


def test_2d_value_at_a_hand_computed_pixel():
    pe = PositionEmbeddingSine(num_pos_feats=4)
    out = pe(torch.zeros(1, 3, 4, 5))
    row, col = 1, 2
    y = (row + 1) / 4 * 2 * math.pi  # normalised 1-based row index
    x = (col + 1) / 5 * 2 * math.pi
    expected = _pair(y, 0, 4) + _pair(y, 1, 4) + _pair(x, 0, 4) + _pair(x, 1, 4)
    torch.testing.assert_close(out[0, :, row, col], torch.tensor(expected), atol=1e-5, rtol=0)


def test_2d_unnormalised_uses_pixel_indices():
    out = PositionEmbeddingSine(num_pos_feats=2, normalize=False)(torch.zeros(1, 1, 3, 3))
    # channels: sin(y), cos(y), sin(x), cos(x) with 1-based indices
    torch.testing.assert_close(
        out[0, :, 2, 0], torch.tensor([math.sin(3), math.cos(3), math.sin(1), math.cos(1)])
    )


def test_2d_shape_range_dtype_and_batch_invariance():
    pe = PositionEmbeddingSine(num_pos_feats=16)
    out = pe(torch.randn(3, 7, 6, 9, dtype=torch.float64))
    assert out.shape == (3, 32, 6, 9)
    assert out.dtype == torch.float32
    assert out.abs().max() <= 1.0
    torch.testing.assert_close(out[0], out[2])
    # y half depends on rows only, x half on columns only
    torch.testing.assert_close(out[0, :16, :, 0:1].expand(-1, -1, 9), out[0, :16])
    torch.testing.assert_close(out[0, 16:, 0:1, :].expand(-1, 6, -1), out[0, 16:])


def test_2d_last_pixel_is_at_scale():
    out = PositionEmbeddingSine(num_pos_feats=2)(torch.zeros(1, 1, 3, 8))
    # the last row/column sit at 2π: sin ~ 0, cos ~ 1
    torch.testing.assert_close(
        out[0, :, -1, -1], torch.tensor([0.0, 1.0, 0.0, 1.0]), atol=1e-5, rtol=0
    )


def test_2d_mask_excludes_padded_columns():
    pe = PositionEmbeddingSine(num_pos_feats=4)
    mask = torch.zeros(1, 4, 6, dtype=torch.bool)
    mask[:, :, 4:] = True  # two padded columns on the right
    padded = pe(torch.zeros(1, 1, 4, 6), mask=mask)
    unpadded = pe(torch.zeros(1, 1, 4, 4))
    torch.testing.assert_close(padded[..., :4], unpadded)


def test_no_state_and_bad_arguments():
    assert PositionEmbeddingSine().state_dict() == {}
    assert PositionEmbeddingSine3D().state_dict() == {}
    with pytest.raises(ValueError, match="even"):
        PositionEmbeddingSine(num_pos_feats=3)
    with pytest.raises(ValueError, match="N, C, H, W"):
        PositionEmbeddingSine()(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="B, T, C, H, W"):
        PositionEmbeddingSine3D()(torch.zeros(2, 3, 4, 5))


def test_3d_is_2d_plus_temporal_over_all_channels():
    pe3 = PositionEmbeddingSine3D(num_pos_feats=4)
    out = pe3(torch.zeros(2, 3, 5, 4, 6))  # B=2, T=3, C=5, H=4, W=6
    assert out.shape == (2, 3, 8, 4, 6)
    assert out.abs().max() <= 2.0
    frame, row, col = 2, 0, 5
    y = (row + 1) / 4 * 2 * math.pi
    x = (col + 1) / 6 * 2 * math.pi
    t = (frame + 1) / 3 * 2 * math.pi
    spatial = _pair(y, 0, 4) + _pair(y, 1, 4) + _pair(x, 0, 4) + _pair(x, 1, 4)
    temporal = [v for k in range(4) for v in _pair(t, k, 8)]  # 2F = 8 channels of time
    expected = torch.tensor(spatial) + torch.tensor(temporal)
    torch.testing.assert_close(out[1, frame, :, row, col], expected, atol=1e-5, rtol=0)


def test_3d_frames_differ_only_by_a_per_channel_constant():
    out = PositionEmbeddingSine3D(num_pos_feats=8)(torch.zeros(1, 4, 1, 3, 5))
    diff = out[0, 1] - out[0, 0]  # [C, H, W]: time shift is the same at every pixel
    torch.testing.assert_close(diff, diff[:, :1, :1].expand_as(diff))
    assert diff.abs().max() > 0.1
    spatial = PositionEmbeddingSine(num_pos_feats=8)(torch.zeros(1, 1, 3, 5))[0]
    torch.testing.assert_close(
        out[0, 0] - spatial, (out[0, 0] - spatial)[:, :1, :1].expand_as(spatial)
    )
