"""Parameters of the ClusterNet pipeline: one frozen dataclass, nested ones built and checked here.

Kedro builds :class:`ClusterNetParams` from ``conf/*/parameters_clusternet.yml`` before a run;
nested mappings become their dataclasses in ``__post_init__``, so a typo or a bad value fails at
start-up with a ``ValueError`` naming the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vis_pipelines.models.clusternet import ClusterNetConfig

from .baseline import MotionThreshold
from .online import OnlineConfig
from .selection import GTFreeSelection

__all__ = ["MODES", "ALGORITHM_VERSION", "ClusterNetParams"]

# Rows of the results table: the motion-threshold baseline, ClusterNet with label-free selection,
# ClusterNet with the released ground-truth oracle.
MODES: tuple[str, ...] = ("baseline", "gt_free", "as_released")

# Bump when a code change alters the masks produced for the same parameters: parts made by an
# older version then count as stale and are recomputed.
ALGORITHM_VERSION = 1


def _sub(cls: type, value: Any, owner: str) -> Any:
    """``value`` as dataclass ``cls`` (a YAML mapping is unpacked; unknown keys are named)."""
    if isinstance(value, cls):
        return value
    if value is None:
        return cls()
    if not isinstance(value, Mapping):
        raise ValueError(f"{owner}: expected a mapping for {cls.__name__}, got {value!r}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise ValueError(f"{owner}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
    return cls(**dict(value))


def _size(value: Any, owner: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, str) or len(value) != 2 or min(int(v) for v in value) < 1:
        raise ValueError(f"{owner}: expected [height, width] or null, got {value!r}")
    return int(value[0]), int(value[1])


@dataclass(frozen=True)
class ClusterNetParams:
    """Everything the ``clusternet`` pipeline needs (``params:clusternet``).

    ``modes`` overrides ``online`` per mode (e.g. the released code's whole-sequence
    pre-training for ``as_released``). ``workers`` processes share the sequences; it changes no
    number, so it stays out of the parameter hashes.
    """

    split: str | None = "val"  # DAVIS ImageSets list evaluated (null: every sequence)
    prefer_backward: bool = True  # use <method>_gap-1 (on frame t's grid) when the store has it
    flow_size: tuple[int, int] | None = None  # flows resized to [h, w]; null: the frame size
    model: ClusterNetConfig = field(default_factory=ClusterNetConfig)
    online: OnlineConfig = field(default_factory=OnlineConfig)
    modes: dict[str, dict[str, Any]] = field(default_factory=dict)
    motion: MotionThreshold = field(default_factory=MotionThreshold)
    selection: GTFreeSelection = field(default_factory=GTFreeSelection)
    workers: int = 1

    def __post_init__(self) -> None:
        """Build the nested dataclasses and check the mode overrides."""
        owner = "clusternet"
        if self.split is not None and (not isinstance(self.split, str) or not self.split):
            raise ValueError(f"{owner}.split: a split name or null, got {self.split!r}")
        object.__setattr__(self, "flow_size", _size(self.flow_size, f"{owner}.flow_size"))
        for name, cls in (
            ("model", ClusterNetConfig),
            ("online", OnlineConfig),
            ("motion", MotionThreshold),
            ("selection", GTFreeSelection),
        ):
            object.__setattr__(self, name, _sub(cls, getattr(self, name), f"{owner}.{name}"))
        modes = dict(self.modes or {})
        unknown = sorted(set(modes) - set(MODES[1:]))
        if unknown:
            raise ValueError(f"{owner}.modes: unknown mode(s) {unknown}; valid: {MODES[1:]}")
        for mode, override in modes.items():
            self._online(mode, override)  # fails now on a bad key or value
        object.__setattr__(self, "modes", modes)
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"{owner}.workers: an integer >= 1, got {self.workers!r}")

    def _online(self, mode: str, override: Mapping[str, Any] | None) -> OnlineConfig:
        base = dataclasses.asdict(self.online)
        return _sub(OnlineConfig, {**base, **dict(override or {})}, f"clusternet.modes.{mode}")

    def online_for(self, mode: str) -> OnlineConfig:
        """The schedule of ``mode`` (``online`` with the mode's overrides)."""
        if mode not in MODES[1:]:
            raise ValueError(f"no online schedule for mode {mode!r}")
        return self._online(mode, self.modes.get(mode))

    def hashed(self, mode: str, flow: Mapping[str, Any]) -> dict[str, Any]:
        """What the masks of ``mode`` depend on (for the parts' ``params_hash``)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; valid: {MODES}")
        out: dict[str, Any] = {
            "algorithm": ALGORITHM_VERSION,
            "mode": mode,
            "flow": dict(flow),
            "flow_size": self.flow_size,
        }
        if mode == "baseline":
            out["motion"] = dataclasses.asdict(self.motion)
            return out
        online = dataclasses.asdict(self.online_for(mode))
        online.pop("threads")  # the thread count changes no number
        out.update(model=dataclasses.asdict(self.model), online=online)
        if mode == "gt_free":
            out["motion"] = dataclasses.asdict(self.motion)
            out["selection"] = dataclasses.asdict(self.selection)
        return out
