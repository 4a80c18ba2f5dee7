"""Rendering of a SynthVIS scene with exact ground truth: frames, instance ids, flow, occlusion.

Every frame is drawn by inverse mapping: each pixel centre ``p`` is mapped back through a surface's
transform to texture coordinates, where the texture is sampled bilinearly (OpenCV). Objects
are drawn back to front (``depth`` order) over the background plane; a pixel belongs to an object
when its centre maps inside the object's shape (crisp masks, no anti-aliasing), so ``instance_ids``
is exactly what was drawn.

Flow. For the surface ``S`` visible at ``p`` in frame ``t`` the forward flow is
``A_{t+1}(A_t^{-1}(p)) - p``: the frame-``t+1`` position of the very surface point seen at ``p``. As
surfaces move rigidly this is exact (an affine function of ``p`` per surface), with no rounding.

Occlusion rule. ``p' = p + flow(p)`` is occluded in frame ``t+1`` when
(a) it falls outside the area covered by the frame's pixels, ``[-0.5, W - 0.5) x [-0.5, H - 0.5)``
    (its nearest pixel centre does not exist), or
(b) a surface nearer than ``S`` covers the continuous point ``p'`` in frame ``t+1``: the same exact
    inside-test that rasterises masks, evaluated at ``p'`` instead of at a pixel centre.
``S`` itself always covers ``p'`` (the shape moves rigidly), so no rounding or neighbourhood is
involved; near edges the nearest pixel of ``p'`` may still show another surface (rasterisation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .motion import apply_affine, compose_affine, invert_affine
from .scene import Scene, SceneObject
from .shapes import SHAPES, inside_shape

__all__ = ["Rendering", "render_scene"]


@dataclass
class Rendering:
    """Rendered scene: float frames (before photometric effects) and exact ground truth."""

    frames: np.ndarray  # float32 [T, H, W, 3], values in [0, 255]
    instance_ids: np.ndarray  # uint8 [T, H, W]: 0 background, track_id where that object is visible
    flow: np.ndarray  # float32 [T-1, H, W, 2]: forward flow (dx, dy) of the surface visible at t
    occluded: np.ndarray  # bool [T-1, H, W]: the point seen at t is not visible at t + 1
    visible: dict[int, np.ndarray]  # track_id -> bool [T]: some pixel of the object shows in t


def _extents(obj: SceneObject) -> np.ndarray:
    """``[T]`` half-sizes (pixels) of boxes around the object's centre that hold the object."""
    # Largest singular value of the linear part = largest stretch, so the enclosing circle of the
    # shape (radius ``obj.radius``) maps inside the box; +1 pixel of slack.
    stretch = np.linalg.svd(obj.transforms[:, :, :2], compute_uv=False).max(axis=1)
    return stretch * obj.radius + 1.0


def _box(
    obj: SceneObject, t: int, ext: float, height: int, width: int
) -> tuple[int, int, int, int] | None:
    """Rows/cols ``(y0, y1, x0, x1)`` within ``ext`` of the object's centre; None if off-frame."""
    cx, cy = obj.transforms[t, 0, 2], obj.transforms[t, 1, 2]
    x0, x1 = max(0, math.floor(cx - ext)), min(width, math.ceil(cx + ext) + 1)
    y0, y1 = max(0, math.floor(cy - ext)), min(height, math.ceil(cy + ext) + 1)
    return None if x0 >= x1 or y0 >= y1 else (y0, y1, x0, x1)


def _check_scene(scene: Scene) -> None:
    """ValueError naming the object/field when a scene is inconsistent (shapes, ids, textures)."""
    n_frames = scene.num_frames
    if scene.background_transforms.shape != (n_frames, 2, 3) or n_frames < 1:
        raise ValueError(
            f"Scene.background_transforms: expected [T, 2, 3], got "
            f"{scene.background_transforms.shape}"
        )
    if scene.background.ndim != 3 or scene.background.shape[2] != 3:
        raise ValueError(f"Scene.background: expected [h, w, 3], got {scene.background.shape}")
    track_ids = [o.track_id for o in scene.objects]
    if len(set(track_ids)) != len(track_ids) or not all(1 <= k <= 255 for k in track_ids):
        raise ValueError(
            f"Scene.objects: track ids must be distinct and in 1..255, got {track_ids}"
        )
    for obj in scene.objects:
        where = f"Scene.objects[track_id={obj.track_id}]"
        if obj.shape not in SHAPES:
            raise ValueError(f"{where}.shape: unknown {obj.shape!r}; known: {sorted(SHAPES)}")
        if obj.transforms.shape != (n_frames, 2, 3):
            raise ValueError(
                f"{where}.transforms: expected [{n_frames}, 2, 3], got {obj.transforms.shape}"
            )
        n = obj.texture.shape[0]
        if (
            obj.texture.ndim != 3
            or obj.texture.shape != (n, n, 3)
            or n % 2 == 0
            or n // 2 < math.ceil(obj.radius) + 1
        ):
            raise ValueError(
                f"{where}.texture: expected odd square [n, n, 3] with n // 2 > radius "
                f"({obj.radius}), got {obj.texture.shape}"
            )


def _occlusion(
    px: np.ndarray,
    py: np.ndarray,
    reach: float,
    rank: np.ndarray,
    order: list[SceneObject],
    inverses: list[np.ndarray],
    extents: list[np.ndarray],
    t1: int,
) -> np.ndarray:
    """Occlusion of frame ``t1 - 1`` given the flow targets ``(px, py)`` (see module docstring).

    ``reach`` bounds the flow's length: only pixels that close to an object's box can land in it.
    """
    height, width = rank.shape
    occluded = (px < -0.5) | (px >= width - 0.5) | (py < -0.5) | (py >= height - 0.5)
    for r, (obj, inv, ext) in enumerate(zip(order, inverses, extents, strict=True)):
        box = _box(obj, t1, ext[t1] + reach, height, width)
        if box is None:
            continue
        y0, y1, x0, x1 = box
        cx, cy = obj.transforms[t1, 0, 2], obj.transforms[t1, 1, 2]
        bx, by = px[y0:y1, x0:x1], py[y0:y1, x0:x1]
        # Only surfaces drawn before this object (rank < r; background -1) can be hidden by it.
        cand = (
            (rank[y0:y1, x0:x1] < r) & (np.abs(bx - cx) <= ext[t1]) & (np.abs(by - cy) <= ext[t1])
        )
        rows, cols = np.nonzero(cand)
        if rows.size == 0:
            continue
        qx, qy = apply_affine(inv[t1], bx[rows, cols], by[rows, cols])
        hit = inside_shape(obj.shape, qx / obj.radius, qy / obj.radius)
        occluded[rows[hit] + y0, cols[hit] + x0] = True
    return occluded


def render_scene(scene: Scene) -> Rendering:
    """Render ``scene``: frames plus exact instance ids, forward flow and occlusion (see module)."""
    _check_scene(scene)
    n_frames, height, width = scene.num_frames, scene.height, scene.width
    xs = np.arange(width, dtype=np.float64)[None, :]
    ys = np.arange(height, dtype=np.float64)[:, None]
    frames = np.empty((n_frames, height, width, 3), dtype=np.float32)
    ids = np.zeros((n_frames, height, width), dtype=np.uint8)
    flow = np.empty((max(n_frames - 1, 0), height, width, 2), dtype=np.float32)
    occluded = np.zeros((max(n_frames - 1, 0), height, width), dtype=bool)
    background = np.ascontiguousarray(scene.background, dtype=np.float32)
    bg_inv = invert_affine(scene.background_transforms)
    order = sorted(scene.objects, key=lambda o: o.depth)  # back to front
    inverses = [invert_affine(o.transforms) for o in order]
    textures = [np.ascontiguousarray(o.texture, dtype=np.float32) for o in order]
    extents = [_extents(o) for o in order]
    visible = {o.track_id: np.zeros(n_frames, dtype=bool) for o in order}
    for t in range(n_frames):
        has_next = t + 1 < n_frames
        # Affine inverse mapping without building coordinate maps (same bilinear sampling as remap).
        frames[t] = cv2.warpAffine(
            background,
            bg_inv[t],
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT_101,
        )
        rank = np.full((height, width), -1, dtype=np.int16)  # drawing rank of the visible surface
        drawn: list[tuple[int, tuple[int, int, int, int]]] = []
        # Flow targets p' = p + flow in float64 (the float32 copy is only the output).
        tx = ty = None
        if has_next:
            step = compose_affine(scene.background_transforms[t + 1], bg_inv[t])
            tx, ty = apply_affine(step, xs, ys)  # (1, W) and (H, 1) broadcast to full frames
        for r, (obj, inv, tex, ext) in enumerate(
            zip(order, inverses, textures, extents, strict=True)
        ):
            box = _box(obj, t, ext[t], height, width)
            if box is None:
                continue
            y0, y1, x0, x1 = box
            qx, qy = apply_affine(inv[t], xs[:, x0:x1], ys[y0:y1])
            inside = inside_shape(obj.shape, qx / obj.radius, qy / obj.radius)
            if not inside.any():
                continue
            centre = (tex.shape[0] - 1) / 2.0
            sample = cv2.remap(
                tex,
                (qx + centre).astype(np.float32),
                (qy + centre).astype(np.float32),
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT_101,
            )
            frames[t, y0:y1, x0:x1][inside] = sample[inside]
            ids[t, y0:y1, x0:x1][inside] = obj.track_id
            drawn.append((obj.track_id, box))
            rank[y0:y1, x0:x1][inside] = r
            if has_next:
                step = compose_affine(obj.transforms[t + 1], inv[t])
                sx, sy = apply_affine(step, xs[:, x0:x1], ys[y0:y1])
                tx[y0:y1, x0:x1][inside] = np.broadcast_to(sx, inside.shape)[inside]
                ty[y0:y1, x0:x1][inside] = np.broadcast_to(sy, inside.shape)[inside]
        for track_id, (y0, y1, x0, x1) in drawn:  # nearer objects may have covered it since
            visible[track_id][t] = bool((ids[t, y0:y1, x0:x1] == track_id).any())
        if has_next:
            flow[t, ..., 0] = tx - xs
            flow[t, ..., 1] = ty - ys
            reach = float(np.abs(flow[t]).max()) + 1.0
            occluded[t] = _occlusion(tx, ty, reach, rank, order, inverses, extents, t + 1)
    return Rendering(frames=frames, instance_ids=ids, flow=flow, occluded=occluded, visible=visible)
