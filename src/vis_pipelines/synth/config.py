"""SynthVIS generator parameters: one frozen dataclass, validated when it is built."""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .colours import COLOURS
from .shapes import SHAPES

__all__ = ["SynthConfig", "DEFAULT_SHAPES", "DEFAULT_COLOURS"]

DEFAULT_SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross", "ring")
DEFAULT_COLOURS: tuple[str, ...] = ("red", "green", "blue", "yellow", "purple")

_INT_FIELDS = (
    "seed",
    "height",
    "width",
    "min_frames",
    "max_frames",
    "min_objects",
    "max_objects",
    "n_train",
    "n_valid",
    "n_test",
)
_FLOAT_FIELDS = (
    "novel_fraction",
    "min_size",
    "max_size",
    "min_speed",
    "max_speed",
    "max_rotation",
    "scale_change",
    "enter_leave_prob",
    "camera_prob",
    "camera_speed",
    "texture_contrast",
    "noise_std",
    "lighting_amplitude",
)
_BOOL_FIELDS = ("occlusion",)
_NAME_FIELDS = {"shapes": SHAPES, "colours": COLOURS}


@dataclass(frozen=True)
class SynthConfig:
    """Every parameter of the SynthVIS generator (``conf/base/parameters_synthvis.yml``).

    Object sizes are radii (of the circle enclosing the shape) as a fraction of the shorter frame
    side, so a config keeps its look when the resolution changes; speeds are pixels (or degrees) per
    frame, the unit flow is measured in.
    """

    seed: int = 0
    height: int = 96
    width: int = 160
    min_frames: int = 10
    max_frames: int = 20
    min_objects: int = 1
    max_objects: int = 4
    shapes: tuple[str, ...] = DEFAULT_SHAPES
    colours: tuple[str, ...] = DEFAULT_COLOURS
    novel_fraction: float = 0.25  # share of the colour x shape categories held out as `novel`
    n_train: int = 60
    n_valid: int = 20
    n_test: int = 20
    # Difficulty knobs.
    min_size: float = 0.12  # object radius / min(height, width)
    max_size: float = 0.25
    min_speed: float = 1.0  # object translation, px/frame (> 0: every object moves)
    max_speed: float = 4.0
    max_rotation: float = 4.0  # degrees/frame
    scale_change: float = 0.1  # amplitude of the smooth relative scale oscillation
    enter_leave_prob: float = 0.3  # chance that an object enters or leaves through a frame edge
    camera_prob: float = 0.3  # chance that a video has a panning camera (background translation)
    camera_speed: float = 1.5  # max camera speed, px/frame
    occlusion: bool = True  # False: objects keep to separate vertical lanes and never overlap
    texture_contrast: float = 0.5  # 0 = flat colours, 1 = full-range texture modulation
    noise_std: float = 2.0  # Gaussian pixel noise (grey levels), applied after rendering
    lighting_amplitude: float = 0.05  # relative global gain/offset drift, applied after rendering

    def __post_init__(self) -> None:
        """Coerce YAML values (lists, ints) and check ranges; ValueError names the bad field."""
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"SynthConfig.{name}: expected an integer, got {value!r}")
            object.__setattr__(self, name, int(value))
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not math.isfinite(value)
            ):
                raise ValueError(f"SynthConfig.{name}: expected a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        for name in _BOOL_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise ValueError(f"SynthConfig.{name}: expected true/false, got {value!r}")
        for name, known in _NAME_FIELDS.items():
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
                raise ValueError(
                    f"SynthConfig.{name}: expected a non-empty list of names, got {value!r}"
                )
            unknown = [v for v in value if v not in known]
            if unknown:
                raise ValueError(f"SynthConfig.{name}: unknown {unknown}; known: {sorted(known)}")
            if len(set(value)) != len(value):
                raise ValueError(f"SynthConfig.{name}: duplicate names in {list(value)}")
            object.__setattr__(self, name, tuple(value))
        self._check_ranges()

    def _check_ranges(self) -> None:
        def need(ok: bool, name: str, rule: str) -> None:
            if not ok:
                raise ValueError(f"SynthConfig.{name}: must be {rule}, got {getattr(self, name)!r}")

        need(self.seed >= 0, "seed", ">= 0")
        need(self.height >= 16, "height", ">= 16")
        need(self.width >= 16, "width", ">= 16")
        need(self.min_frames >= 2, "min_frames", ">= 2 (flow needs two frames)")
        need(self.max_frames >= self.min_frames, "max_frames", f">= min_frames ({self.min_frames})")
        need(self.min_objects >= 1, "min_objects", ">= 1")
        need(
            self.max_objects >= self.min_objects,
            "max_objects",
            f">= min_objects ({self.min_objects})",
        )
        need(self.max_objects <= 255, "max_objects", "<= 255 (instance ids are uint8)")
        need(0.0 <= self.novel_fraction < 1.0, "novel_fraction", "in [0, 1)")
        for name in ("n_train", "n_valid", "n_test"):
            need(getattr(self, name) >= 0, name, ">= 0")
        need(0.0 < self.min_size <= 0.5, "min_size", "in (0, 0.5]")
        need(
            self.min_size <= self.max_size <= 0.5,
            "max_size",
            f"in [min_size ({self.min_size}), 0.5]",
        )
        need(self.min_speed > 0.0, "min_speed", "> 0 (objects must move)")
        need(self.max_speed >= self.min_speed, "max_speed", f">= min_speed ({self.min_speed})")
        need(self.max_rotation >= 0.0, "max_rotation", ">= 0")
        need(0.0 <= self.scale_change < 0.5, "scale_change", "in [0, 0.5)")
        for name in ("enter_leave_prob", "camera_prob", "texture_contrast"):
            need(0.0 <= getattr(self, name) <= 1.0, name, "in [0, 1]")
        need(self.camera_speed >= 0.0, "camera_speed", ">= 0")
        need(self.noise_std >= 0.0, "noise_std", ">= 0")
        need(0.0 <= self.lighting_amplitude < 1.0, "lighting_amplitude", "in [0, 1)")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SynthConfig:
        """Build from a parameters mapping; ValueError names unknown keys and bad values."""
        if not isinstance(d, Mapping):
            raise ValueError(
                f"SynthConfig: expected a mapping of parameters, got {type(d).__name__}"
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(str(k) for k in d if k not in known)
        if unknown:
            raise ValueError(f"SynthConfig: unknown key(s) {unknown}; valid keys: {sorted(known)}")
        return cls(**dict(d))

    def split_size(self, split: str) -> int:
        """Number of videos in ``split`` (``train``/``valid``/``test``)."""
        sizes = {"train": self.n_train, "valid": self.n_valid, "test": self.n_test}
        if split not in sizes:
            raise ValueError(f"unknown split {split!r}; expected one of {list(sizes)}")
        return sizes[split]
