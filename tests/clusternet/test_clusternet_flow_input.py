"""Causal flow input: re-anchoring forward flow, backward flow, resizing, colour-wheel rendering."""

from __future__ import annotations

import numpy as np
import pytest

from vis_pipelines.clusternet.flow_input import (
    causal_flow_names,
    causal_motions,
    flow_to_input,
    incoming_motion,
    reanchor_forward_flow,
    resize_flow,
)


def test_causal_flow_names() -> None:
    names = ["00000", "00001", "00002"]
    assert causal_flow_names(names, -1) == ["00001", "00002"]  # flow t -> t-1, file of frame t
    assert causal_flow_names(names, 1) == ["00000", "00001"]  # flow t-1 -> t, file of frame t-1
    with pytest.raises(ValueError, match="gap"):
        causal_flow_names(names, 2)


def test_forward_flow_is_moved_onto_the_later_frame() -> None:
    flow = np.zeros((20, 30, 2), np.float32)
    flow[4:9, 5:10] = (3.0, 2.0)  # a 5x5 square at (4, 5) in frame t-1 moves by (+3, +2)
    out = reanchor_forward_flow(flow)
    moved = np.zeros((20, 30), bool)
    moved[6:11, 8:13] = True  # where the square is in frame t
    assert np.array_equal(np.any(out != 0, axis=-1), moved)
    assert np.all(out[moved] == (3.0, 2.0))
    # The occluder wins over the static background it lands on, and the uncovered strip takes
    # the nearest landed vector (background).
    assert np.all(out[4:6, 5:8] == 0.0)


def test_backward_flow_is_negated_and_gap_checked() -> None:
    flow = np.random.default_rng(0).normal(size=(4, 5, 2)).astype(np.float32)
    np.testing.assert_array_equal(incoming_motion(flow, -1), -flow)
    with pytest.raises(ValueError, match="gap"):
        incoming_motion(flow, 3)


def test_resize_flow_scales_vectors() -> None:
    flow = np.zeros((10, 20, 2), np.float32)
    flow[..., 0], flow[..., 1] = 2.0, -1.0
    out = resize_flow(flow, (20, 60))
    assert out.shape == (20, 60, 2)
    np.testing.assert_allclose(out[..., 0], 6.0)
    np.testing.assert_allclose(out[..., 1], -2.0)


def test_causal_motions_reads_the_right_files_at_the_right_size() -> None:
    read = {f"{t:05d}": np.full((4, 6, 2), t, np.float32) for t in range(3)}
    out = causal_motions(read.__getitem__, ["00000", "00001", "00002"], -1, (8, 12))
    assert out.shape == (2, 8, 12, 2)
    np.testing.assert_allclose(out[0, ..., 0], -2.0)  # frame 1: -(flow of 00001) x 2 (resize)
    np.testing.assert_allclose(out[1, ..., 1], -4.0)


def test_colour_input_range_and_noise_floor() -> None:
    flow = np.zeros((2, 6, 8, 2), np.float32)
    flow[0, 2:4, 2:4] = (4.0, 0.0)
    flow[1] = 0.01  # sub-pixel noise only
    x = flow_to_input(flow, min_magnitude=1.0)
    assert x.shape == (2, 3, 6, 8) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    np.testing.assert_allclose(x[0, :, 0, 0], 1.0, atol=1e-6)  # zero motion is white
    assert np.abs(x[0, :, 2, 2] - 1.0).max() > 0.5  # the moving square is saturated
    assert np.abs(x[1] - 1.0).max() < 0.05  # noise stays near white under the floor
    assert np.abs(flow_to_input(flow[1], min_magnitude=0.0) - 1.0).max() > 0.5
