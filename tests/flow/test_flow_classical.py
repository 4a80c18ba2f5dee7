"""OpenCV DIS and Farnebäck recover a known synthetic translation."""

from __future__ import annotations

import numpy as np
import pytest
from flow_helpers import translated_video

from vis_pipelines.flow import DISFlow, FarnebackFlow

DX, DY = 2.5, -1.5


@pytest.mark.parametrize(
    ("estimator", "tolerance"),
    [
        (DISFlow("ultrafast"), 0.3),
        (DISFlow("fast"), 0.3),
        (DISFlow("medium"), 0.1),
        (FarnebackFlow(), 0.1),
    ],
    ids=lambda x: getattr(x, "name", str(x)),
)
def test_translation_is_recovered(estimator, tolerance: float) -> None:
    frames = translated_video(3, 96, 128, DX, DY)
    flow = estimator.estimate(frames[:2], frames[1:])
    assert flow.shape == (2, 96, 128, 2) and flow.dtype == np.float32
    interior = flow[:, 8:-8, 8:-8]  # the border sees content entering the view
    error = np.hypot(interior[..., 0] - DX, interior[..., 1] - DY)
    assert error.mean() < tolerance
    # Backward flow is the opposite motion.
    back = estimator.estimate(frames[1:2], frames[:1])[0, 8:-8, 8:-8]
    assert np.hypot(back[..., 0] + DX, back[..., 1] - (-DY)).mean() < tolerance


def test_static_frames_give_zero_flow_and_bad_batches_are_refused() -> None:
    frames = translated_video(1, 48, 64, 0.0, 0.0)
    flow = DISFlow("medium").estimate(frames, frames)
    assert np.abs(flow).max() < 1e-3
    with pytest.raises(ValueError, match="uint8 RGB"):
        DISFlow("fast").estimate(frames.astype(np.float32), frames)
    with pytest.raises(ValueError, match="differ in shape"):
        FarnebackFlow().estimate(frames, frames[:, :40])
    with pytest.raises(ValueError, match="unknown DIS preset"):
        DISFlow("slow")
