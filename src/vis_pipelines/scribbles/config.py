"""Parameters of the scribble generator and of its previews (``conf/*/parameters_scribbles.yml``)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from vis_pipelines.parameters import coerce_params

__all__ = ["ScribbleConfig", "PreviewConfig"]


def _check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{owner}.{name}: expected an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}.{name}: must be >= {minimum}, got {value}")
    return int(value)


def _check_float(owner: str, name: str, value: Any, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{owner}.{name}: expected a finite number, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{owner}.{name}: must be {bound}, got {value}")
    return float(value)


@dataclass(frozen=True)
class ScribbleConfig:
    """Every knob of the scribble generator; any change gives new scribbles (and a new hash).

    The radius of the opening disk is ``min(radius_factor * sqrt(area), radius_cap)`` pixels,
    multiplied by ``shrink_factor`` until the opening is not empty (below 1 pixel: the mask itself).
    """

    seed: int = 0
    radius_factor: float = 0.075
    radius_cap: float = 16.0  # pixels
    shrink_factor: float = 0.9
    min_component_size: int = 4  # skeleton components with fewer pixels are dropped
    bezier_spacing: float = 8.0  # pixels of path between the points the Bézier curve goes through
    bezier_samples: int = 8  # curve samples per Bézier segment
    # Skeletonise at reduced resolution: the mask's box is block-averaged so its longer side is at
    # most this many pixels (never coarser than half the opening radius); 0 = full resolution.
    skeleton_size: int = 64
    background: bool = True  # one background annotation per video (category_id null)
    frame_step: int = 1  # annotate frames 0, k, 2k, ... of the json (1 = every annotated frame)

    def __post_init__(self) -> None:
        """Coerce YAML numbers and check ranges; ValueError names the bad field."""
        owner = "ScribbleConfig"
        ints = {"seed": 0, "min_component_size": 1, "bezier_samples": 1, "skeleton_size": 0}
        for name, minimum in ints.items():
            object.__setattr__(self, name, _check_int(owner, name, getattr(self, name), minimum))
        object.__setattr__(self, "frame_step", _check_int(owner, "frame_step", self.frame_step, 1))
        floats = {
            "radius_factor": (0.0, None),
            "radius_cap": (0.0, None),
            "bezier_spacing": (1.0, None),
        }
        for name, (low, high) in floats.items():
            object.__setattr__(
                self, name, _check_float(owner, name, getattr(self, name), low, high)
            )
        shrink = _check_float(owner, "shrink_factor", self.shrink_factor, 0.0, 1.0)
        if not 0.0 < shrink < 1.0:
            raise ValueError(f"{owner}.shrink_factor: must be in (0, 1), got {shrink}")
        object.__setattr__(self, "shrink_factor", shrink)
        if self.skeleton_size and self.skeleton_size < 8:
            raise ValueError(
                f"{owner}.skeleton_size: 0 (full resolution) or >= 8, got {self.skeleton_size}"
            )
        if not isinstance(self.background, bool):
            raise ValueError(f"{owner}.background: expected true/false, got {self.background!r}")

    @classmethod
    def coerce(cls, value: Any) -> ScribbleConfig:
        """``value`` if it is a ScribbleConfig, else ``ScribbleConfig(**value)`` (None: defaults)."""
        return coerce_params(value, cls)


@dataclass(frozen=True)
class PreviewConfig:
    """Preview PNGs: strokes over frames for a few videos (spread over the dataset)."""

    videos: int = 4  # videos previewed (0: none)
    frames: int = 4  # frames per preview, side by side, spread over the video
    min_height: int = 240  # small frames are enlarged (nearest neighbour) to at least this height
    thickness: int = 1  # extra pixels drawn around each stroke pixel, for visibility only

    def __post_init__(self) -> None:
        """Check ranges; ValueError names the bad field."""
        for name, minimum in {"videos": 0, "frames": 1, "min_height": 1, "thickness": 0}.items():
            value = _check_int("PreviewConfig", name, getattr(self, name), minimum)
            object.__setattr__(self, name, value)

    @classmethod
    def coerce(cls, value: Any) -> PreviewConfig:
        """``value`` if it is a PreviewConfig, else ``PreviewConfig(**value)`` (None: defaults)."""
        return coerce_params(value, cls)
