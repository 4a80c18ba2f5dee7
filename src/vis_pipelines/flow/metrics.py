"""Flow accuracy: end-point error (all / non-occluded pixels) and the KITTI outlier rate Fl-all.

EPE is the Euclidean distance between estimated and true flow vectors (Baker et al., IJCV 2011);
Fl counts a pixel as an outlier when its EPE is > 3 px *and* > 5 % of the true flow's magnitude
(Menze & Geiger, CVPR 2015). Both are pixel-weighted over the whole set (Sintel/KITTI practice:
every pixel of every frame counts once), EPE in pixels, Fl-all in percent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vis_pipelines.formats import FormatError

__all__ = [
    "endpoint_error",
    "flow_outliers",
    "FlowErrorTotals",
    "evaluate_flow_sequences",
]


def _check(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.shape != gt.shape or pred.shape[-1:] != (2,):
        raise ValueError(
            f"flows must both be [..., 2] of one shape, got {pred.shape} and {gt.shape}"
        )


def endpoint_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-pixel end-point error ``||pred - gt||_2`` of ``[..., 2]`` flows, float64 ``[...]``."""
    _check(pred, gt)
    diff = pred.astype(np.float64) - gt.astype(np.float64)
    return np.hypot(diff[..., 0], diff[..., 1])


def _magnitude(flow: np.ndarray) -> np.ndarray:
    return np.hypot(flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64))


def _outliers(epe: np.ndarray, gt: np.ndarray, abs_px: float, rel: float) -> np.ndarray:
    return (epe > abs_px) & (epe > rel * _magnitude(gt))


def flow_outliers(
    pred: np.ndarray, gt: np.ndarray, *, abs_px: float = 3.0, rel: float = 0.05
) -> np.ndarray:
    """KITTI outliers: EPE > ``abs_px`` pixels and EPE > ``rel`` x the true flow's magnitude."""
    return _outliers(endpoint_error(pred, gt), gt, abs_px, rel)


@dataclass
class FlowErrorTotals:
    """Running sums over frames; ``summary()`` gives ``{EPE, EPE_noc, Fl_all}``."""

    epe_sum: float = 0.0
    pixels: int = 0
    epe_noc_sum: float = 0.0
    pixels_noc: int = 0
    outliers: int = 0

    def update(self, pred: np.ndarray, gt: np.ndarray, occluded: np.ndarray | None = None) -> None:
        """Add ``[..., H, W, 2]`` flows; ``occluded`` (bool ``[..., H, W]``) marks pixels that
        leave the view or get hidden (they count in EPE and Fl-all, not in EPE_noc)."""
        epe = endpoint_error(pred, gt)
        # A non-finite estimate is an error of the method: it counts as infinitely wrong.
        epe = np.where(np.isfinite(epe), epe, np.inf)
        self.epe_sum += float(epe.sum())
        self.pixels += epe.size
        self.outliers += int(_outliers(epe, gt, 3.0, 0.05).sum())
        if occluded is None:
            visible = np.ones(epe.shape, dtype=bool)
        else:
            visible = ~np.asarray(occluded, dtype=bool)
            if visible.shape != epe.shape:
                raise ValueError(f"occlusion mask {visible.shape} does not match flows {epe.shape}")
        self.epe_noc_sum += float(epe[visible].sum())
        self.pixels_noc += int(visible.sum())

    def summary(self) -> dict[str, float]:
        """``EPE`` and ``EPE_noc`` (px) and ``Fl_all`` (%); NaN where no pixel was counted."""
        nan = float("nan")
        return {
            "EPE": self.epe_sum / self.pixels if self.pixels else nan,
            "EPE_noc": self.epe_noc_sum / self.pixels_noc if self.pixels_noc else nan,
            "Fl_all": 100.0 * self.outliers / self.pixels if self.pixels else nan,
        }


def _where(flows: Any) -> str:
    root = getattr(flows, "root", None)
    return str(root) if root is not None else "<memory>"


def evaluate_flow_sequences(pred: Any, gt: Any, sequences: Iterable[str]) -> FlowErrorTotals:
    """Errors of ``pred`` against ``gt`` (both ``FlowSequences``) over ``sequences``.

    Every ground-truth flow of a sequence must have an estimate of the same name and size;
    occlusion masks are used when ``gt`` has them.
    """
    totals = FlowErrorTotals()
    for seq in sequences:
        names = gt.frame_names(seq)
        have = pred.frame_names(seq)
        missing = sorted(set(names) - set(have))
        if missing:
            raise FormatError(
                f"no estimate for ground-truth flow(s) {missing[:5]} "
                f"({len(missing)} of {len(names)})",
                source=_where(pred),
                record=f"sequence {seq}",
            )
        if not names:
            continue
        truth = gt.load(seq)
        occluded = gt.load_occlusion(seq)
        estimate = np.stack([pred.read(seq, name) for name in names])
        if estimate.shape != truth.shape:
            raise FormatError(
                f"estimated flows are {estimate.shape[1:3]}, ground truth {truth.shape[1:3]}",
                source=_where(pred),
                record=f"sequence {seq}",
            )
        totals.update(estimate, truth, occluded)
    return totals
