"""Typed parameters of the reports (``conf/base/parameters_reporting.yml``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vis_pipelines.parameters import check_field_types

__all__ = [
    "DATASETS",
    "DEFAULT_FAMILIES",
    "DEFAULT_NOTES",
    "DEFAULT_DATASET_NOTES",
    "DEFAULT_METRIC_DIGITS",
    "FamilySpec",
    "TableParams",
    "PlotParams",
    "OverlayParams",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")

#: Dataset order of the tables: SynthVIS first, then the real datasets as DESIGN.md lists them.
DATASETS = (
    "synthvis",
    "ytvis19",
    "ytvis21",
    "ovis",
    "lvvis",
    "burst",
    "davis16",
    "fbms",
    "segtrackv2",
)


#: The benchmark's families (``conf/base/parameters_reporting.yml`` lists the same).
DEFAULT_FAMILIES: tuple[dict[str, Any], ...] = (
    {
        "name": "vis",
        "title": "Video instance segmentation: Mask2Former-VIS and Cluster2Former",
        "models": ["mask2former", "maskcluster2former", "cluster2former"],
        "metrics": [
            "AP",
            "AP50",
            "AP75",
            "APs",
            "APm",
            "APl",
            "AR1",
            "AR10",
            "AP_base",
            "AP_novel",
        ],
    },
    {
        "name": "genvis",
        "title": "GenVIS (online / semi-online VIS)",
        "models": ["genvis_online", "genvis_semi_online"],
        "metrics": ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10"],
    },
    {
        "name": "clipvis",
        "title": "CLIP-VIS (open-vocabulary VIS)",
        "models": ["clipvis"],
        "metrics": ["AP", "AP50", "AP75", "AR1", "AR10", "AP_base", "AP_novel"],
    },
    {
        "name": "clusternet",
        "title": "ClusterNet (unsupervised VOS) and the motion-threshold baseline",
        "models": ["flow_baseline", "clusternet_gt_free", "clusternet_as_released"],
        "metrics": ["J_mean", "J_recall", "J_decay", "F_mean", "F_recall", "F_decay", "JF_mean"],
    },
    {
        "name": "optical_flow",
        "title": "Optical flow",
        "models": ["flow_*"],
        "metrics": ["EPE", "EPE_noc", "Fl_all", "fps"],
    },
)

#: Row labels that keep oracle rows from passing for unsupervised ones.
DEFAULT_NOTES: dict[str, str] = {
    "clusternet_as_released": "oracle: clusters picked with the ground truth",
    "_gtflow": "oracle input: ground-truth flow",
    "_reference": "the Cluster2Former comparison's (a): its recipe and budget, no copy-paste",
}


_LOCAL_SPLIT = (
    "ours: a seeded local split of train (the official valid labels are not public); published: "
    "the official valid server. Not directly comparable."
)

#: Printed under each dataset's table (where the numbers come from, how comparable they are).
DEFAULT_DATASET_NOTES: dict[str, str] = {
    "synthvis": "SynthVIS valid (synthetic, generated from a seed): no published numbers exist.",
    "ytvis19": _LOCAL_SPLIT,
    "ytvis21": _LOCAL_SPLIT,
    "ovis": _LOCAL_SPLIT,
    "lvvis": "LV-VIS val.",
    "burst": "BURST val.",
    "davis16": "DAVIS-2016 val (binary foreground, first and last frames not scored).",
    "fbms": "FBMS-59 test, CIS protocol (one merged foreground, mean J).",
    "segtrackv2": "SegTrackV2, CIS protocol (one merged foreground, mean J).",
}

#: Decimals of the flow metrics (the others: ``digits``).
DEFAULT_METRIC_DIGITS: dict[str, int] = {"EPE": 3, "EPE_noc": 3, "Fl_all": 2, "fps": 1}


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _names(owner: str, name: str, value: Any, *, allow_glob: bool = False) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{owner}.{name} must be a list of names, got {value!r}")
    for item in value:
        plain = item[:-1] if allow_glob and isinstance(item, str) and item.endswith("*") else item
        if not isinstance(plain, str) or not _NAME.match(plain):
            raise ValueError(
                f"{owner}.{name}: {item!r} is not a lower-case name"
                + (" (a trailing * matches a prefix)" if allow_glob else "")
            )
    return tuple(value)


def _str_map(owner: str, name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"{owner}.{name} must map names to text, got {value!r}")
    return dict(value)


@dataclass(frozen=True)
class FamilySpec:
    """One benchmark table: which models it holds and which metrics it shows, in order.

    ``models`` are base model names: a metrics file ``<base>[_<variant>]__<dataset>.json`` belongs
    to the family (``clusternet_gt_free_gtflow`` is ``clusternet_gt_free`` on the ``gtflow``
    variant). An entry ending in ``*`` takes every model starting with the rest (``flow_*``), after
    the exact names of every family. Empty ``metrics``: every metric the files hold.
    """

    name: str
    title: str
    models: tuple[str, ...]
    metrics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Check the names."""
        owner = f"reporting.tables.families[{self.name!r}]"
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"{owner}.name must be a lower-case name, got {self.name!r}")
        if not isinstance(self.title, str) or not self.title:
            raise ValueError(f"{owner}.title must be a non-empty text, got {self.title!r}")
        _set(self, "models", _names(owner, "models", self.models, allow_glob=True))
        if not self.models:
            raise ValueError(f"{owner}.models is empty")
        if isinstance(self.metrics, str) or not isinstance(self.metrics, (list, tuple)):
            raise ValueError(f"{owner}.metrics must be a list of metric names")
        _set(self, "metrics", tuple(str(m) for m in self.metrics))


def _family(value: Any, owner: str) -> FamilySpec:
    if isinstance(value, FamilySpec):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"{owner} must be a mapping (name, title, models, metrics)")
    known = {"name", "title", "models", "metrics"}
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown or not {"name", "title", "models"} <= set(value):
        raise ValueError(f"{owner}: keys {sorted(map(str, value))}; expected {sorted(known)}")
    return FamilySpec(**dict(value))


@dataclass(frozen=True)
class TableParams:
    """How metrics files become tables.

    ``notes`` label rows: a key is a model name, a base name, or ``_<variant>`` (``_gtflow``:
    every model run on ground-truth flow). ``dataset_notes`` are printed under each dataset's
    table. Published numbers are shown only for ``real_datasets``.
    """

    families: tuple[FamilySpec, ...] = DEFAULT_FAMILIES  # type: ignore[assignment]
    notes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_NOTES))
    dataset_notes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DATASET_NOTES))
    real_datasets: tuple[str, ...] = DATASETS[1:]
    dataset_order: tuple[str, ...] = DATASETS
    digits: int = 1
    metric_digits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_METRIC_DIGITS))
    other_title: str = "Other models"

    def __post_init__(self) -> None:
        """Check types; turn family mappings into ``FamilySpec``."""
        owner = "reporting.tables"
        if isinstance(self.families, Mapping) or not isinstance(self.families, (list, tuple)):
            raise ValueError(f"{owner}.families must be a list of families")
        families = tuple(_family(f, f"{owner}.families[{i}]") for i, f in enumerate(self.families))
        names = [f.name for f in families]
        if len(set(names)) != len(names) or "other" in names:
            raise ValueError(f"{owner}.families: names must be unique and not 'other': {names}")
        _set(self, "families", families)
        _set(self, "notes", _str_map(owner, "notes", self.notes))
        _set(self, "dataset_notes", _str_map(owner, "dataset_notes", self.dataset_notes))
        _set(self, "real_datasets", _names(owner, "real_datasets", self.real_datasets))
        _set(self, "dataset_order", _names(owner, "dataset_order", self.dataset_order))
        check_field_types(self, owner)
        if not 0 <= self.digits <= 6:
            raise ValueError(f"{owner}.digits must be in [0, 6], got {self.digits}")
        if not isinstance(self.metric_digits, Mapping) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 6
            for v in self.metric_digits.values()
        ):
            raise ValueError(
                f"{owner}.metric_digits must map metrics to 0..6, got {self.metric_digits!r}"
            )
        _set(self, "metric_digits", dict(self.metric_digits))


@dataclass(frozen=True)
class PlotParams:
    """Plot settings. ``curve_metrics``: dvclive series drawn as training curves (None: every
    series whose name starts with ``loss``); ``lr`` gets its own panel when present."""

    dpi: int = 100
    curve_metrics: tuple[str, ...] | None = None
    scribble_bins: int = 30

    def __post_init__(self) -> None:
        """Check types and ranges."""
        owner = "reporting.plots"
        if self.curve_metrics is not None:
            _set(self, "curve_metrics", tuple(self.curve_metrics))
        check_field_types(self, owner)
        if not 20 <= self.dpi <= 600:
            raise ValueError(f"{owner}.dpi must be in [20, 600], got {self.dpi}")
        if self.scribble_bins < 1:
            raise ValueError(f"{owner}.scribble_bins must be >= 1, got {self.scribble_bins}")


@dataclass(frozen=True)
class OverlayParams:
    """GIF overlays of predicted tracks.

    Predictions ``data/07_model_output/<model>/<results>_results.json`` are drawn over the frames
    of the catalog entry ``reporting.overlay_frames`` (which must be that ``results`` set): the
    first ``videos`` videos (by id), at most ``max_tracks`` tracks per video with
    ``score >= min_score``, frames enlarged ``scale`` times, ``fps`` frames per second.
    ``models``: None for every model with predictions.
    """

    results: str = "synthvis_valid"
    videos: int = 2
    max_tracks: int = 5
    min_score: float = 0.3
    alpha: float = 0.5
    scale: int = 2
    fps: float = 4.0
    models: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        """Check types and ranges."""
        owner = "reporting.overlays"
        if self.models is not None:
            _set(self, "models", tuple(self.models))
        if isinstance(self.min_score, int) and not isinstance(self.min_score, bool):
            _set(self, "min_score", float(self.min_score))
        if isinstance(self.alpha, int) and not isinstance(self.alpha, bool):
            _set(self, "alpha", float(self.alpha))
        if isinstance(self.fps, int) and not isinstance(self.fps, bool):
            _set(self, "fps", float(self.fps))
        check_field_types(self, owner)
        if not self.results:
            raise ValueError(f"{owner}.results must name a results set, e.g. synthvis_valid")
        for name in ("videos", "max_tracks", "scale"):
            if getattr(self, name) < 1:
                raise ValueError(f"{owner}.{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"{owner}.min_score must be in [0, 1], got {self.min_score}")
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"{owner}.alpha must be in (0, 1], got {self.alpha}")
        if not 0.0 < self.fps <= 50.0:
            raise ValueError(f"{owner}.fps must be in (0, 50], got {self.fps}")
