"""Classical CPU flow methods from OpenCV: DIS (Kroeger et al., ECCV 2016) and Farnebäck (2003).

Both work on grey images, one pair at a time (OpenCV's API); they are deterministic.
"""

from __future__ import annotations

import cv2
import numpy as np

from .config import DIS_PRESETS, FarnebackParams
from .estimator import check_pair_batch

__all__ = ["DISFlow", "FarnebackFlow"]

_DIS_PRESET_IDS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _grey(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


class DISFlow:
    """OpenCV Dense Inverse Search flow with one of its presets (ultrafast / fast / medium)."""

    device = "cpu"

    def __init__(self, preset: str = "medium", *, batch_size: int = 16) -> None:
        if preset not in DIS_PRESETS:
            raise ValueError(f"unknown DIS preset {preset!r}; expected one of {list(DIS_PRESETS)}")
        self.name = f"dis_{preset}"
        self.preset = preset
        self.batch_size = int(batch_size)
        self._dis = cv2.DISOpticalFlow_create(_DIS_PRESET_IDS[preset])

    def estimate(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Flow ``[B, H, W, 2]`` from each frame of ``first`` to the same index of ``second``."""
        check_pair_batch(first, second)
        out = np.empty((*first.shape[:3], 2), dtype=np.float32)
        for k in range(len(first)):  # OpenCV computes one pair per call
            out[k] = self._dis.calc(_grey(first[k]), _grey(second[k]), None)
        return out


class FarnebackFlow:
    """OpenCV Farnebäck polynomial-expansion flow."""

    name = "farneback"
    device = "cpu"

    def __init__(self, params: FarnebackParams | None = None, *, batch_size: int = 16) -> None:
        self.params = params or FarnebackParams()
        self.batch_size = int(batch_size)

    def estimate(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Flow ``[B, H, W, 2]`` from each frame of ``first`` to the same index of ``second``."""
        check_pair_batch(first, second)
        p = self.params
        flags = cv2.OPTFLOW_FARNEBACK_GAUSSIAN if p.gaussian_window else 0
        out = np.empty((*first.shape[:3], 2), dtype=np.float32)
        for k in range(len(first)):  # OpenCV computes one pair per call
            out[k] = cv2.calcOpticalFlowFarneback(
                _grey(first[k]),
                _grey(second[k]),
                None,
                p.pyr_scale,
                p.levels,
                p.winsize,
                p.iterations,
                p.poly_n,
                p.poly_sigma,
                flags,
            )
        return out
