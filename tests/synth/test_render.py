"""Rendering with exact ground truth on hand-built scenes whose flow can be computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from vis_pipelines.synth import Scene, SceneObject, render_scene
from vis_pipelines.synth.motion import similarity_transforms, translation_transforms

H, W, T = 40, 60, 4


def _textures(radius: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    background = rng.uniform(0, 255, (H, W, 3)).astype(np.float32)
    n = 2 * radius + 5
    return background, rng.uniform(0, 255, (n, n, 3)).astype(np.float32)


def _scene(
    objects: list[SceneObject], background: np.ndarray, camera: np.ndarray | None = None
) -> Scene:
    offsets = np.zeros((T, 2)) if camera is None else camera
    return Scene(H, W, background, translation_transforms(-offsets), objects)


def _translating_square(d: tuple[float, float] = (3.0, -2.0)) -> tuple[Scene, np.ndarray]:
    background, texture = _textures(8)
    centres = np.array([[20.0 + d[0] * t, 25.0 + d[1] * t] for t in range(T)])
    obj = SceneObject(
        track_id=1,
        category_id=7,
        shape="square",
        radius=8.0,
        texture=texture,
        transforms=translation_transforms(centres),
        depth=0,
    )
    return _scene([obj], background), background


def test_translating_object_hand_checked() -> None:
    scene, background = _translating_square()
    out = render_scene(scene)
    assert out.frames.shape == (T, H, W, 3) and out.frames.dtype == np.float32
    assert out.instance_ids.shape == (T, H, W) and out.instance_ids.dtype == np.uint8
    assert out.flow.shape == (T - 1, H, W, 2) and out.flow.dtype == np.float32
    assert out.occluded.shape == (T - 1, H, W) and out.occluded.dtype == bool
    # Square of half-side 0.7 * 8 = 5.6 around (20, 25): columns 15..25, rows 20..30 (11 x 11).
    ys, xs = np.nonzero(out.instance_ids[0])
    assert (xs.min(), xs.max(), ys.min(), ys.max(), len(xs)) == (15, 25, 20, 30, 121)
    for t in range(T - 1):
        obj, bg = out.instance_ids[t] == 1, out.instance_ids[t] == 0
        assert np.array_equal(out.flow[t][obj], np.tile([3.0, -2.0], (obj.sum(), 1)))
        assert not out.flow[t][bg].any()
        # Background pixels covered by the object at t+1 are occluded; nothing else is.
        covered = bg & (out.instance_ids[t + 1] == 1)
        assert covered.sum() > 0
        assert np.array_equal(out.occluded[t], covered)
        # Object pixels move by exactly (+3, -2) with identical colours (integer shift of texture).
        ys, xs = np.nonzero(obj)
        assert np.array_equal(out.instance_ids[t + 1][ys - 2, xs + 3], np.ones(len(xs)))
        assert np.array_equal(out.frames[t + 1][ys - 2, xs + 3], out.frames[t][ys, xs])
        # The static background is the texture itself wherever it is visible.
        assert np.array_equal(out.frames[t][bg], background[bg])


def test_rotation_about_pixel_centre_hand_checked() -> None:
    background, texture = _textures(9)
    c = np.array([30.0, 20.0])
    angles = np.pi / 2 * np.arange(T)  # a quarter turn per frame
    obj = SceneObject(
        track_id=1,
        category_id=1,
        shape="square",
        radius=9.0,
        texture=texture,
        transforms=similarity_transforms(np.tile(c, (T, 1)), angles, np.ones(T)),
        depth=0,
    )
    out = render_scene(_scene([obj], background))
    ys, xs = np.nonzero(out.instance_ids[0] == 1)
    # p' - c = R90 (p - c) with y down: (dx, dy) -> (-dy, dx).
    dx, dy = xs - c[0], ys - c[1]
    expected = np.stack([-dy - dx, dx - dy], axis=1)
    assert np.allclose(out.flow[0][ys, xs], expected, atol=1e-4)
    # A square turned by 90 degrees covers the same pixels: nothing is occluded.
    assert np.array_equal(out.instance_ids[1], out.instance_ids[0])
    assert not out.occluded[0].any()
    # The pixel seen at p is seen at p' = R90 p in the next frame (same texel, same colour).
    px, py = np.rint(xs + expected[:, 0]).astype(int), np.rint(ys + expected[:, 1]).astype(int)
    assert np.allclose(out.frames[1][py, px], out.frames[0][ys, xs], atol=1e-3)


def test_camera_pan_hand_checked() -> None:
    rng = np.random.default_rng(2)
    background = rng.uniform(0, 255, (H + 10, W + 10, 3)).astype(np.float32)
    # Camera moves by (+2, +1) per frame, starting at texture position (1, 1).
    camera = np.array([[1.0 + 2 * t, 1.0 + t] for t in range(T)])
    out = render_scene(_scene([], background, camera))
    assert np.array_equal(out.frames[0], background[1 : H + 1, 1 : W + 1])
    assert np.array_equal(out.frames[2], background[3 : H + 3, 5 : W + 5])
    assert np.array_equal(out.flow, np.broadcast_to(np.float32([-2.0, -1.0]), out.flow.shape))
    # Points move left/up: columns 0-1 and row 0 leave the frame (x - 2 < -0.5, y - 1 < -0.5).
    expected = np.zeros((H, W), dtype=bool)
    expected[:, :2] = expected[:1, :] = True
    assert all(np.array_equal(o, expected) for o in out.occluded)


def test_depth_order_and_mutual_occlusion() -> None:
    background, texture = _textures(8)
    # Object 2 (nearer) moves right over object 1 (static): object 1's pixels get occluded.
    still = translation_transforms(np.tile([30.0, 20.0], (T, 1)))
    far = SceneObject(1, 1, "circle", 8.0, texture, still, depth=0)
    near_c = np.array([[12.0 + 5 * t, 20.0] for t in range(T)])
    near = SceneObject(2, 2, "square", 8.0, texture, translation_transforms(near_c), depth=1)
    out = render_scene(_scene([near, far], background))
    for t in range(T - 1):
        ids, nxt = out.instance_ids[t], out.instance_ids[t + 1]
        far_px = ids == 1
        # The static far object is hidden at t+1 exactly where the near object now covers it.
        assert np.array_equal(out.occluded[t] & far_px, far_px & (nxt == 2))
        assert not (out.occluded[t] & (ids == 2)).any()
        assert not out.flow[t][far_px].any()
    assert (out.occluded[1] & (out.instance_ids[1] == 1)).any()  # the overlap is really exercised
    assert (out.instance_ids[2] == 2).sum() == 121  # the near square is whole (11 x 11) on top


def test_bad_scene_is_rejected_with_named_field() -> None:
    scene, _ = _translating_square()
    scene.objects[0].transforms = scene.objects[0].transforms[:2]
    with pytest.raises(ValueError, match=r"track_id=1\]\.transforms"):
        render_scene(scene)
    scene, _ = _translating_square()
    scene.objects[0].texture = scene.objects[0].texture[:9, :9]
    with pytest.raises(ValueError, match="texture"):
        render_scene(scene)
    scene, _ = _translating_square()
    scene.objects[0].shape = "blob"
    with pytest.raises(ValueError, match="shape"):
        render_scene(scene)
