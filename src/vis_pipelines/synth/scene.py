"""SynthVIS scenes: what is in a video (background, objects, their motion), before rendering."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .colours import COLOURS
from .config import SynthConfig
from .motion import (
    camera_offsets,
    object_centres,
    object_pose,
    similarity_transforms,
    translation_transforms,
)
from .textures import background_texture, object_texture

__all__ = ["SceneObject", "Scene", "sample_scene"]


@dataclass
class SceneObject:
    """One rigid textured object: shape, texture and per-frame transform (object -> frame)."""

    track_id: int  # value written into instance_ids
    category_id: int
    shape: str  # key of shapes.SHAPES
    radius: float  # object-coordinate radius (pixels at scale 1) that encloses the shape
    texture: np.ndarray  # float32 [n, n, 3], n odd; the object's centre is texel (n // 2, n // 2)
    transforms: np.ndarray  # float64 [T, 2, 3]: object coordinates (pixels) -> frame coordinates
    depth: int  # larger is nearer the camera; drawn back to front


@dataclass
class Scene:
    """A whole video before rendering: frame size, background plane and objects, all with motion."""

    height: int
    width: int
    background: np.ndarray  # float32 [h, w, 3] texture of the background plane
    background_transforms: np.ndarray  # float64 [T, 2, 3]: background texture -> frame coordinates
    objects: list[SceneObject]

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.background_transforms.shape[0])


def _background(
    cfg: SynthConfig, rng: np.random.Generator, n_frames: int
) -> tuple[np.ndarray, np.ndarray]:
    """Background texture and transforms; the texture covers every frame of the camera's pan."""
    if rng.random() < cfg.camera_prob:
        offsets = camera_offsets(rng, n_frames, cfg.camera_speed)
    else:
        offsets = np.zeros((n_frames, 2))
    pad = 2.0  # keeps bilinear samples off the texture border
    shift = offsets - offsets.min(axis=0) + pad  # texture coordinate of frame pixel (0, 0)
    span = offsets.max(axis=0) - offsets.min(axis=0)
    tex_w = int(math.ceil(cfg.width - 1 + span[0] + 2 * pad)) + 1
    tex_h = int(math.ceil(cfg.height - 1 + span[1] + 2 * pad)) + 1
    texture = background_texture(
        tex_h, tex_w, cfg.texture_contrast, rng, blob_scale=min(cfg.height, cfg.width)
    )
    # The camera moves by +offset, so the background moves by -offset in the frame.
    return texture, translation_transforms(-shift)


def sample_scene(cfg: SynthConfig, rng: np.random.Generator, categories: list[dict]) -> Scene:
    """Draw a random scene from ``cfg`` with objects of the given ``categories`` (uniformly)."""
    if not categories:
        raise ValueError("sample_scene: no categories to draw objects from")
    n_frames = int(rng.integers(cfg.min_frames, cfg.max_frames + 1))
    n_objects = int(rng.integers(cfg.min_objects, cfg.max_objects + 1))
    background, background_transforms = _background(cfg, rng, n_frames)
    height, width, short = cfg.height, cfg.width, min(cfg.height, cfg.width)
    depths = rng.permutation(n_objects)
    lane_width = width / n_objects
    lanes = rng.permutation(n_objects)
    objects = []
    for k in range(n_objects):
        category = categories[int(rng.integers(len(categories)))]
        radius = rng.uniform(cfg.min_size, cfg.max_size) * short
        angles, scales = object_pose(rng, n_frames, cfg.max_rotation, cfg.scale_change)
        if cfg.occlusion:
            # The centre may leave the frame by half the object's extent: objects get cut by edges.
            extent = radius * scales.max()
            lo = np.array([-0.5 + 0.5 * extent, -0.5 + 0.5 * extent])
            hi = np.array([width - 0.5 - 0.5 * extent, height - 0.5 - 0.5 * extent])
            exit_axes: tuple[int, ...] = (0, 1)
        else:
            # One vertical lane per object, wide enough for the whole object: no overlaps ever, and
            # entering/leaving only through the top/bottom edges.
            radius = max(1.0, min(radius, (0.5 * lane_width - 1.0) / scales.max()))
            extent = radius * scales.max()
            lane_lo = lanes[k] * lane_width - 0.5
            # (+-0.25: objects of neighbouring lanes cannot both touch the shared lane edge)
            lo = np.array([lane_lo + extent + 0.25, -0.5 + 0.5 * extent])
            hi = np.array([lane_lo + lane_width - extent - 0.25, height - 0.5 - 0.5 * extent])
            exit_axes = (1,)
        mode = "stay"
        if rng.random() < cfg.enter_leave_prob:
            mode = "enter" if rng.random() < 0.5 else "leave"
        centres = object_centres(
            rng,
            n_frames,
            lo,
            hi,
            (width, height),
            extent,
            (cfg.min_speed, cfg.max_speed),
            mode,
            exit_axes,
        )
        colour = COLOURS[category["colour"]]
        size = 2 * int(math.ceil(radius)) + 5
        texture = object_texture(
            colour.texture,
            colour.rgb,
            size,
            cfg.texture_contrast,
            rng,
            scale=max(1.0, short / 96.0),
        )
        objects.append(
            SceneObject(
                track_id=k + 1,
                category_id=int(category["id"]),
                shape=category["shape"],
                radius=float(radius),
                texture=texture,
                transforms=similarity_transforms(centres, angles, scales),
                depth=int(depths[k]),
            )
        )
    return Scene(height, width, background, background_transforms, objects)
