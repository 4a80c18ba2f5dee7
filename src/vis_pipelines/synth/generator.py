"""SynthVIS videos: deterministic generation of one video, or of a whole split, from a config.

Each video depends on ``(cfg.seed, split, index)`` alone (its own ``SeedSequence``), so videos can
be generated in any order, in parallel, or re-generated one at a time with identical results.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from .categories import build_categories
from .colours import COLOURS
from .config import SynthConfig
from .photometric import apply_photometric
from .render import Rendering, render_scene
from .scene import Scene, sample_scene
from .shapes import SHAPES

__all__ = [
    "SPLITS",
    "SynthConfig",
    "SynthObject",
    "SynthVideo",
    "build_categories",
    "generate_video",
    "iter_split",
    "split_categories",
    "video_name",
]

logger = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "valid", "test")
_SPLIT_CODES = {"train": 0, "valid": 1, "test": 2}


@dataclass
class SynthObject:
    """One object track of a video."""

    track_id: int  # 1..N within the video (its value in instance_ids)
    category_id: int
    visible: np.ndarray  # bool [T]: at least one pixel of the object is visible in frame t


@dataclass
class SynthVideo:
    """A generated video with its exact ground truth.

    ``moving`` is the DAVIS-2016 foreground: every object follows its own trajectory (at least
    ``cfg.min_speed`` px/frame, plus spin and scale change), independent of the camera, so all
    visible object pixels are foreground and ``moving == (instance_ids > 0)``.
    """

    name: str  # e.g. "train_0003" (unique across splits)
    split: str  # "train" | "valid" | "test"
    frames: np.ndarray  # uint8 [T, H, W, 3] RGB
    instance_ids: np.ndarray  # uint8 [T, H, W]: 0 background, k = track_id on its visible pixels
    objects: list[SynthObject]
    flow: np.ndarray  # float32 [T-1, H, W, 2]: forward flow t -> t+1 (u = dx, v = dy)
    occluded: np.ndarray  # bool [T-1, H, W]: the point seen at t is hidden or off-frame at t+1
    moving: np.ndarray  # bool [T, H, W]: pixels of moving objects

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.frames.shape[0])


def video_name(split: str, index: int) -> str:
    """Name of the ``index``-th video of ``split``, e.g. ``train_0003``."""
    return f"{split}_{index:04d}"


def _check_split(split: str) -> None:
    if split not in _SPLIT_CODES:
        raise ValueError(f"unknown split {split!r}; expected one of {list(SPLITS)}")


def split_categories(categories: list[dict], split: str) -> list[dict]:
    """Categories objects of ``split`` are drawn from: base only for train, all for valid/test."""
    _check_split(split)
    for i, cat in enumerate(categories):
        for field in ("id", "shape", "colour", "split"):
            if field not in cat:
                raise ValueError(f"categories[{i}]: missing field {field!r}")
        if cat["shape"] not in SHAPES or cat["colour"] not in COLOURS:
            raise ValueError(
                f"categories[{i}] (id {cat['id']}): unknown shape/colour "
                f"{cat['shape']!r}/{cat['colour']!r}"
            )
        if cat["split"] not in ("base", "novel"):
            raise ValueError(
                f"categories[{i}] (id {cat['id']}): field 'split' must be base or "
                f"novel, got {cat['split']!r}"
            )
    allowed = [c for c in categories if split != "train" or c["split"] == "base"]
    if not allowed:
        raise ValueError(f"no categories available for split {split!r}")
    return allowed


def _render_all_visible(scene: Scene) -> tuple[Rendering, Scene]:
    """Render so every object shows somewhere: hidden ones go to the front, else are dropped."""
    rendering = render_scene(scene)
    for attempt in ("raise", "drop"):
        hidden = [o for o in scene.objects if not rendering.visible[o.track_id].any()]
        if not hidden:
            return rendering, scene
        hidden_ids = {o.track_id for o in hidden}
        if attempt == "raise":
            # Hidden behind nearer objects in every frame: a track without any mask is useless.
            front = max(o.depth for o in scene.objects) + 1
            objects = [
                dataclasses.replace(o, depth=front + o.track_id) if o.track_id in hidden_ids else o
                for o in scene.objects
            ]
        else:
            # Still hidden (never inside the frame): drop it and renumber the tracks 1..N.
            logger.debug("dropping never-visible objects %s", sorted(hidden_ids))
            kept = [o for o in scene.objects if o.track_id not in hidden_ids]
            objects = [dataclasses.replace(o, track_id=k + 1) for k, o in enumerate(kept)]
        scene = dataclasses.replace(scene, objects=objects)
        rendering = render_scene(scene)
    if not scene.objects:
        logger.warning("SynthVIS video without any visible object")
    return rendering, scene


def generate_video(cfg: SynthConfig, split: str, index: int, categories: list[dict]) -> SynthVideo:
    """The ``index``-th video of ``split``, deterministic in ``(cfg.seed, split, index)`` alone.

    Train videos use base categories only; valid/test use base and novel ones.
    """
    _check_split(split)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"generate_video: index must be an integer >= 0, got {index!r}")
    allowed = split_categories(categories, split)
    # Separate streams: switching photometric effects off leaves the scene (and its GT) unchanged.
    seed_seq = np.random.SeedSequence([cfg.seed, _SPLIT_CODES[split], int(index)])
    scene_seq, photo_seq = seed_seq.spawn(2)
    scene = sample_scene(cfg, np.random.default_rng(scene_seq), allowed)
    rendering, scene = _render_all_visible(scene)
    frames = apply_photometric(
        rendering.frames, cfg.noise_std, cfg.lighting_amplitude, np.random.default_rng(photo_seq)
    )
    ids = rendering.instance_ids
    objects = [
        SynthObject(
            track_id=o.track_id, category_id=o.category_id, visible=rendering.visible[o.track_id]
        )
        for o in sorted(scene.objects, key=lambda o: o.track_id)
    ]
    return SynthVideo(
        name=video_name(split, int(index)),
        split=split,
        frames=frames,
        instance_ids=ids,
        objects=objects,
        flow=rendering.flow,
        occluded=rendering.occluded,
        moving=ids > 0,
    )


def iter_split(
    cfg: SynthConfig, split: str, categories: list[dict], *, progress: bool = True
) -> Iterator[SynthVideo]:
    """Generate every video of ``split`` in index order (tqdm bar unless ``progress=False``)."""
    n_videos = cfg.split_size(split)
    for index in tqdm(range(n_videos), desc=f"SynthVIS {split}", disable=not progress):
        yield generate_video(cfg, split, index, categories)
