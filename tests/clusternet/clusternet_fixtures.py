"""Synthetic two-motion flow fields for the ClusterNet tests: a panning camera and a square."""

from __future__ import annotations

import numpy as np

from vis_pipelines.clusternet.config import ClusterNetParams

H, W, SIDE = 32, 48, 10
CAMERA = (1.0, 0.0)  # background motion (u, v) px/frame
SQUARE = (3.0, 2.0)  # the object's motion


def square_mask(t: int) -> np.ndarray:
    """bool [H, W]: the square at frame t (it starts at (8, 6) and moves by SQUARE per frame)."""
    y, x = 6 + int(SQUARE[1]) * t, 8 + int(SQUARE[0]) * t
    mask = np.zeros((H, W), dtype=bool)
    mask[y : y + SIDE, x : x + SIDE] = True
    return mask


def two_motion_sequence(n_frames: int = 5) -> tuple[np.ndarray, list[np.ndarray]]:
    """Incoming motions of frames 1..T-1 ``[T-1, H, W, 2]`` and the ground truth of frames 0..T-1."""
    motions = np.empty((n_frames - 1, H, W, 2), dtype=np.float32)
    for t in range(1, n_frames):
        motions[t - 1] = CAMERA
        motions[t - 1][square_mask(t)] = SQUARE
    return motions, [square_mask(t).astype(np.uint8) for t in range(n_frames)]


def tiny_params(**online: object) -> ClusterNetParams:
    """A half-CPU-second configuration of the whole method (the base config's model)."""
    return ClusterNetParams(
        model={"width": 8, "downsample": 1},
        online={
            "pretrain_epochs": 30,
            "steps": 3,
            "batch_size": 2,
            "lr": 3e-3,
            "device": "cpu",
            "threads": 1,
            **online,
        },
        modes={"as_released": {"pretrain_scope": "sequence", "pretrain_epochs": 3}},
    )


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks."""
    return float(np.logical_and(a, b).sum() / max(np.logical_or(a, b).sum(), 1))
