"""Parameters of the optical-flow pipeline: frozen dataclasses, validated when they are built.

Kedro instantiates the top-level classes from ``conf/*/parameters_optical_flow.yml`` before a run;
nested mappings are turned into their dataclasses here, so a typo or a bad value fails at start-up
with a ``ValueError`` naming the field.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLASSICAL_METHODS",
    "RAFT_ARCHS",
    "FINETUNED_METHODS",
    "KNOWN_METHODS",
    "SequenceSelection",
    "RaftParams",
    "FarnebackParams",
    "OpticalFlowParams",
    "PreviewParams",
    "FlowReportParams",
    "FinetuneConfig",
]

DIS_PRESETS = ("ultrafast", "fast", "medium")
CLASSICAL_METHODS: tuple[str, ...] = (*(f"dis_{p}" for p in DIS_PRESETS), "farneback")
RAFT_ARCHS: tuple[str, ...] = ("raft_small", "raft_large")
FINETUNED_METHODS: tuple[str, ...] = tuple(f"{arch}_finetuned" for arch in RAFT_ARCHS)
KNOWN_METHODS: tuple[str, ...] = (*CLASSICAL_METHODS, *RAFT_ARCHS, *FINETUNED_METHODS)


def _fail(cls: str, name: str, rule: str, value: Any) -> None:
    raise ValueError(f"{cls}.{name}: must be {rule}, got {value!r}")


def _int(cls: str, name: str, value: Any, *, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(cls, name, "an integer", value)
    if low is not None and value < low:
        _fail(cls, name, f">= {low}", value)
    return int(value)


def _float(
    cls: str, name: str, value: Any, *, low: float | None = None, strict: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        _fail(cls, name, "a finite number", value)
    if low is not None and (value <= low if strict else value < low):
        _fail(cls, name, f"{'>' if strict else '>='} {low}", value)
    return float(value)


def _bool(cls: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        _fail(cls, name, "true or false", value)
    return value


def _sub(cls: type, value: Any, owner: str) -> Any:
    """``value`` as dataclass ``cls`` (a YAML mapping is unpacked; unknown keys are named)."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"{owner}: expected a mapping for {cls.__name__}, got {value!r}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise ValueError(f"{owner}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
    return cls(**dict(value))


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class SequenceSelection:
    """Which sequences of the input get flow.

    ``split`` names a DAVIS ImageSets list (``val``); ``names`` lists sequences explicitly (takes
    precedence); ``limit`` keeps the first N; ``shard_index``/``shard_count`` keep every
    ``shard_count``-th sequence from ``shard_index`` so K processes can share a dataset.
    """

    split: str | None = None
    names: tuple[str, ...] | None = None
    limit: int | None = None
    shard_index: int = 0
    shard_count: int = 1

    def __post_init__(self) -> None:
        """Check types and ranges."""
        cls = "SequenceSelection"
        if self.split is not None and (not isinstance(self.split, str) or not self.split):
            _fail(cls, "split", "a split name or null", self.split)
        if self.names is not None:
            if isinstance(self.names, str) or not isinstance(self.names, (list, tuple)):
                _fail(cls, "names", "a list of sequence names or null", self.names)
            if not all(isinstance(n, str) and n for n in self.names):
                _fail(cls, "names", "non-empty strings", self.names)
            if len(set(self.names)) != len(self.names):
                _fail(cls, "names", "unique", self.names)
            _set(self, "names", tuple(self.names))
        if self.limit is not None:
            _set(self, "limit", _int(cls, "limit", self.limit, low=1))
        _set(self, "shard_count", _int(cls, "shard_count", self.shard_count, low=1))
        _set(self, "shard_index", _int(cls, "shard_index", self.shard_index, low=0))
        if self.shard_index >= self.shard_count:
            _fail(cls, "shard_index", f"< shard_count ({self.shard_count})", self.shard_index)


@dataclass(frozen=True)
class RaftParams:
    """Inference settings of the torchvision RAFT methods.

    ``weights`` maps ``raft_small``/``raft_large`` to local torchvision weight files (nothing is
    downloaded); ``device`` is ``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N``;
    ``amp`` runs the model in float16 autocast on CUDA (ignored on CPU); frames smaller than
    ``min_size`` are padded to it (torchvision's RAFT needs >= 128 px for its correlation pyramid).
    """

    weights: dict[str, str | None] = field(
        default_factory=lambda: {"raft_small": None, "raft_large": None}
    )
    iterations: int = 12
    batch_size: int = 8
    device: str = "auto"
    amp: bool = False
    min_size: int = 128

    def __post_init__(self) -> None:
        """Check types and ranges."""
        cls = "RaftParams"
        if not isinstance(self.weights, Mapping):
            _fail(cls, "weights", "a mapping {raft_small: path, raft_large: path}", self.weights)
        unknown = sorted(k for k in self.weights if k not in RAFT_ARCHS)
        if unknown:
            _fail(cls, "weights", f"keyed by {list(RAFT_ARCHS)} (unknown {unknown})", self.weights)
        for arch, path in self.weights.items():
            if path is not None and (not isinstance(path, str) or not path):
                _fail(cls, f"weights.{arch}", "a file path or null", path)
        _set(self, "weights", {arch: self.weights.get(arch) for arch in RAFT_ARCHS})
        _set(self, "iterations", _int(cls, "iterations", self.iterations, low=1))
        _set(self, "batch_size", _int(cls, "batch_size", self.batch_size, low=1))
        _set(self, "min_size", _int(cls, "min_size", self.min_size, low=8))
        if self.min_size % 8:
            _fail(cls, "min_size", "a multiple of 8", self.min_size)
        if not isinstance(self.device, str) or not self.device:
            _fail(cls, "device", "auto, cpu, cuda or cuda:N", self.device)
        _bool(cls, "amp", self.amp)


@dataclass(frozen=True)
class FarnebackParams:
    """``cv2.calcOpticalFlowFarneback`` arguments (OpenCV's documented defaults for video)."""

    pyr_scale: float = 0.5
    levels: int = 3
    winsize: int = 15
    iterations: int = 3
    poly_n: int = 5
    poly_sigma: float = 1.2
    gaussian_window: bool = False

    def __post_init__(self) -> None:
        """Check types and ranges."""
        cls = "FarnebackParams"
        _set(self, "pyr_scale", _float(cls, "pyr_scale", self.pyr_scale, low=0.0, strict=True))
        if self.pyr_scale >= 1.0:
            _fail(cls, "pyr_scale", "< 1", self.pyr_scale)
        _set(self, "levels", _int(cls, "levels", self.levels, low=1))
        _set(self, "winsize", _int(cls, "winsize", self.winsize, low=3))
        _set(self, "iterations", _int(cls, "iterations", self.iterations, low=1))
        _set(self, "poly_n", _int(cls, "poly_n", self.poly_n, low=3))
        _set(self, "poly_sigma", _float(cls, "poly_sigma", self.poly_sigma, low=0.0, strict=True))
        _bool(cls, "gaussian_window", self.gaussian_window)


@dataclass(frozen=True)
class OpticalFlowParams:
    """What the ``optical_flow`` pipeline computes (``optical_flow.flows`` in the parameters).

    ``methods`` are names from ``KNOWN_METHODS``; ``gaps`` are frame offsets (1: t -> t+1,
    -1: t -> t-1); ``recompute`` ignores existing outputs instead of skipping valid ones.
    """

    methods: tuple[str, ...] = ("dis_medium",)
    gaps: tuple[int, ...] = (1,)
    sequences: SequenceSelection = field(default_factory=SequenceSelection)
    recompute: bool = False
    raft: RaftParams = field(default_factory=RaftParams)
    farneback: FarnebackParams = field(default_factory=FarnebackParams)

    def __post_init__(self) -> None:
        """Coerce YAML values and check them."""
        cls = "OpticalFlowParams"
        if isinstance(self.methods, str) or not isinstance(self.methods, (list, tuple)):
            _fail(cls, "methods", "a list of method names", self.methods)
        if not self.methods:
            _fail(cls, "methods", "non-empty", self.methods)
        unknown = [m for m in self.methods if m not in KNOWN_METHODS]
        if unknown:
            raise ValueError(f"{cls}.methods: unknown {unknown}; known: {list(KNOWN_METHODS)}")
        if len(set(self.methods)) != len(self.methods):
            _fail(cls, "methods", "unique", self.methods)
        _set(self, "methods", tuple(self.methods))
        if isinstance(self.gaps, (str, bytes)) or not isinstance(self.gaps, (list, tuple)):
            _fail(cls, "gaps", "a list of non-zero integers", self.gaps)
        gaps = tuple(_int(cls, "gaps", g) for g in self.gaps)
        if not gaps or 0 in gaps or len(set(gaps)) != len(gaps):
            _fail(cls, "gaps", "a non-empty list of unique non-zero integers", self.gaps)
        _set(self, "gaps", gaps)
        _set(self, "sequences", _sub(SequenceSelection, self.sequences, f"{cls}.sequences"))
        _bool(cls, "recompute", self.recompute)
        _set(self, "raft", _sub(RaftParams, self.raft, f"{cls}.raft"))
        _set(self, "farneback", _sub(FarnebackParams, self.farneback, f"{cls}.farneback"))


@dataclass(frozen=True)
class PreviewParams:
    """Colour-wheel PNG previews: the first ``sequences`` sequences, every ``every``-th flow.

    ``max_magnitude`` (px) fixes the colour scale; null scales each sequence by its largest flow.
    """

    sequences: int = 2
    every: int = 1
    max_magnitude: float | None = None

    def __post_init__(self) -> None:
        """Check types and ranges."""
        cls = "PreviewParams"
        _set(self, "sequences", _int(cls, "sequences", self.sequences, low=0))
        _set(self, "every", _int(cls, "every", self.every, low=1))
        if self.max_magnitude is not None:
            value = _float(cls, "max_magnitude", self.max_magnitude, low=0.0, strict=True)
            _set(self, "max_magnitude", value)


@dataclass(frozen=True)
class FlowReportParams:
    """Accuracy report: ``dataset`` names the metrics files (``flow_<method>__<dataset>.json``);
    ``gt_gap`` is the gap of the ground-truth flow (SynthVIS: forward, 1)."""

    dataset: str = "synthvis"
    gt_gap: int = 1
    previews: PreviewParams = field(default_factory=PreviewParams)

    def __post_init__(self) -> None:
        """Check types and ranges."""
        cls = "FlowReportParams"
        if not isinstance(self.dataset, str) or not self.dataset.isidentifier():
            _fail(cls, "dataset", "a short identifier (e.g. synthvis)", self.dataset)
        _set(self, "gt_gap", _int(cls, "gt_gap", self.gt_gap))
        if self.gt_gap == 0:
            _fail(cls, "gt_gap", "non-zero", self.gt_gap)
        _set(self, "previews", _sub(PreviewParams, self.previews, f"{cls}.previews"))


@dataclass(frozen=True)
class FinetuneConfig:
    """RAFT fine-tuning on ground-truth flow (RAFT sequence loss, AdamW, one-cycle schedule).

    ``init_weights`` is a local torchvision weight file (null: random init, logged); ``crop`` is
    ``[height, width]`` of random training crops (null: whole frames); ``iterations`` are the
    recurrent updates during training; ``imageset`` is the DAVIS ImageSets list trained on (null:
    every sequence with ground truth); ``gt_gap`` is the gap of the ground-truth flow.
    """

    arch: str = "raft_small"
    init_weights: str | None = None
    imageset: str | None = "train"
    gt_gap: int = 1
    seed: int = 0
    steps: int = 100
    batch_size: int = 2
    crop: tuple[int, int] | None = None
    flip: bool = True
    lr: float = 4e-4
    weight_decay: float = 1e-4
    gamma: float = 0.8
    iterations: int = 8
    clip_grad: float = 1.0
    max_flow: float = 400.0
    device: str = "auto"
    amp: bool = False
    min_size: int = 128
    log_every: int = 10

    def __post_init__(self) -> None:
        """Check types and ranges."""
        cls = "FinetuneConfig"
        if self.arch not in RAFT_ARCHS:
            _fail(cls, "arch", f"one of {list(RAFT_ARCHS)}", self.arch)
        if self.init_weights is not None and (
            not isinstance(self.init_weights, str) or not self.init_weights
        ):
            _fail(cls, "init_weights", "a file path or null", self.init_weights)
        if self.imageset is not None and (not isinstance(self.imageset, str) or not self.imageset):
            _fail(cls, "imageset", "an ImageSets name or null", self.imageset)
        _set(self, "gt_gap", _int(cls, "gt_gap", self.gt_gap))
        if self.gt_gap == 0:
            _fail(cls, "gt_gap", "non-zero", self.gt_gap)
        _set(self, "seed", _int(cls, "seed", self.seed, low=0))
        _set(self, "steps", _int(cls, "steps", self.steps, low=0))
        _set(self, "batch_size", _int(cls, "batch_size", self.batch_size, low=1))
        if self.crop is not None:
            if isinstance(self.crop, str) or not isinstance(self.crop, (list, tuple)):
                _fail(cls, "crop", "[height, width] or null", self.crop)
            if len(self.crop) != 2:
                _fail(cls, "crop", "[height, width] or null", self.crop)
            _set(self, "crop", tuple(_int(cls, "crop", c, low=8) for c in self.crop))
        _bool(cls, "flip", self.flip)
        _set(self, "lr", _float(cls, "lr", self.lr, low=0.0, strict=True))
        _set(self, "weight_decay", _float(cls, "weight_decay", self.weight_decay, low=0.0))
        _set(self, "gamma", _float(cls, "gamma", self.gamma, low=0.0, strict=True))
        if self.gamma > 1.0:
            _fail(cls, "gamma", "in (0, 1]", self.gamma)
        _set(self, "iterations", _int(cls, "iterations", self.iterations, low=1))
        _set(self, "clip_grad", _float(cls, "clip_grad", self.clip_grad, low=0.0, strict=True))
        _set(self, "max_flow", _float(cls, "max_flow", self.max_flow, low=0.0, strict=True))
        if not isinstance(self.device, str) or not self.device:
            _fail(cls, "device", "auto, cpu, cuda or cuda:N", self.device)
        _bool(cls, "amp", self.amp)
        _set(self, "min_size", _int(cls, "min_size", self.min_size, low=8))
        if self.min_size % 8:
            _fail(cls, "min_size", "a multiple of 8", self.min_size)
        _set(self, "log_every", _int(cls, "log_every", self.log_every, low=1))

    @property
    def method(self) -> str:
        """Method name of the fine-tuned model (``raft_small_finetuned``)."""
        return f"{self.arch}_finetuned"
