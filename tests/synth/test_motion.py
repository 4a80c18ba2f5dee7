"""Transforms and trajectories: affine algebra, bouncing paths, objects entering and leaving."""

from __future__ import annotations

import numpy as np
import pytest

from vis_pipelines.synth.motion import (
    apply_affine,
    compose_affine,
    fold,
    invert_affine,
    object_centres,
    similarity_transforms,
)


def test_fold_reflects_at_walls() -> None:
    x = np.array([0.0, 2.0, 10.0, 11.0, 13.0, 20.0, 21.0, -1.0])
    assert fold(x, 0.0, 10.0).tolist() == [0.0, 2.0, 10.0, 9.0, 7.0, 0.0, 1.0, 1.0]
    assert fold(x, 5.0, 5.0).tolist() == [5.0] * len(x)


def test_similarity_inverse_and_composition() -> None:
    a = similarity_transforms(np.array([[10.0, 20.0]]), np.array([np.pi / 2]), np.array([2.0]))[0]
    # Object point (1, 0) -> 2 * R90 (1, 0) + (10, 20) = (10, 22) (y down, R90 maps x to y).
    assert np.allclose(apply_affine(a, 1.0, 0.0), (10.0, 22.0))
    inv = invert_affine(a)
    assert np.allclose(apply_affine(inv, 10.0, 22.0), (1.0, 0.0))
    assert np.allclose(compose_affine(a, inv), [[1, 0, 0], [0, 1, 0]])


@pytest.mark.parametrize("mode", ["stay", "leave", "enter"])
def test_paths_keep_speed_bounds(mode: str) -> None:
    rng = np.random.default_rng(0)
    lo, hi = np.array([5.0, 5.0]), np.array([155.0, 91.0])
    for _ in range(20):
        c = object_centres(rng, 15, lo, hi, (160, 96), 10.0, (1.0, 3.0), mode)
        speed = np.linalg.norm(np.diff(c, axis=0), axis=1)
        assert c.shape == (15, 2)
        # Folding is 1-Lipschitz: a bounce can only shorten the step that hits the wall.
        assert np.all(speed <= 3.0 + 1e-9)
        assert np.median(speed) >= 1.0 - 1e-9
        if mode == "stay":
            assert np.all(c >= lo - 1e-9) and np.all(c <= hi + 1e-9)


def test_leaving_objects_end_outside_and_entering_start_outside() -> None:
    rng = np.random.default_rng(1)
    lo, hi = np.array([5.0, 5.0]), np.array([155.0, 91.0])
    extent = 8.0

    def outside(p: np.ndarray) -> bool:
        return bool(
            p[0] <= -0.5 - extent
            or p[0] >= 159.5 + extent
            or p[1] <= -0.5 - extent
            or p[1] >= 95.5 + extent
        )

    for _ in range(20):
        leave = object_centres(rng, 20, lo, hi, (160, 96), extent, (2.0, 4.0), "leave")
        assert not outside(leave[0]) and outside(leave[-1])
        enter = object_centres(rng, 20, lo, hi, (160, 96), extent, (2.0, 4.0), "enter")
        assert outside(enter[0]) and not outside(enter[-1])
