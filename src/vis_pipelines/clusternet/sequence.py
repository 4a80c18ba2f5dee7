"""One sequence, one mode: foreground masks for every frame from its causal motion.

Frame 0 has no causal flow (the first flow needs frames 0 and 1) and is predicted empty; the
DAVIS-2016 protocol does not score the first and last frames anyway.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .baseline import baseline_mask
from .config import MODES, ClusterNetParams
from .online import cluster_online
from .selection import gt_free_foreground, oracle_foreground

__all__ = ["SequenceMasks", "segment_sequence"]


@dataclass
class SequenceMasks:
    """Masks bool ``[T, H, W]`` (frame 0 empty), per-frame figures and the compute time."""

    masks: np.ndarray
    frames: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    pretrain_steps: int = 0


def _check_gt(gt: Sequence[np.ndarray | None] | None, n: int, shape: tuple[int, int]) -> None:
    if gt is None:
        raise ValueError("as_released needs the ground-truth masks (it is an oracle)")
    if len(gt) != n:
        raise ValueError(f"ground truth has {len(gt)} frames, the sequence {n}")
    for t, g in enumerate(gt):
        if g is not None and np.shape(g) != shape:
            raise ValueError(f"ground truth frame {t} is {np.shape(g)}, the flow {shape}")


def segment_sequence(
    mode: str,
    motions: np.ndarray,
    params: ClusterNetParams,
    *,
    name: str,
    gt: Sequence[np.ndarray | None] | None = None,
) -> SequenceMasks:
    """Foreground of every frame of one sequence.

    Args:
        mode: ``baseline``, ``gt_free`` or ``as_released``.
        motions: incoming motion of frames 1..T-1, float32 ``[T-1, H, W, 2]`` (frame size).
        params: pipeline parameters.
        name: the sequence name (part of its seed).
        gt: ``as_released`` only: ground truth per frame (``[H, W]`` ids, None where absent).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; valid: {MODES}")
    start = time.perf_counter()
    n = len(motions)
    shape = tuple(motions.shape[1:3])
    masks = np.zeros((n + 1, *shape), dtype=bool)
    frames: list[dict[str, Any]] = [{"frame": 0, "note": "no causal flow: predicted empty"}]
    if mode == "baseline":
        for i in range(n):
            masks[i + 1] = baseline_mask(motions[i], params.motion)
            frames.append({"frame": i + 1, "area": int(masks[i + 1].sum())})
        return SequenceMasks(masks, frames, time.perf_counter() - start)
    online = params.online_for(mode)
    if mode == "gt_free":
        result = cluster_online(motions, model_config=params.model, config=online, name=name)
        for i in range(n):
            masks[i + 1], chosen = gt_free_foreground(
                result.labels[i], motions[i], params.selection, params.motion
            )
            frames.append({"frame": i + 1, "clusters": chosen, "loss": _at(result.loss, i)})
        return SequenceMasks(masks, frames, time.perf_counter() - start, result.pretrain_steps)
    _check_gt(gt, n + 1, shape)
    truth = [None if g is None else np.asarray(g) != 0 for g in gt]  # type: ignore[union-attr]
    best: dict[int, tuple[float, int, np.ndarray]] = {}

    def keep_best(i: int, step: int, labels: np.ndarray) -> None:
        target = truth[i + 1]
        if target is None:
            return
        mask, iou = oracle_foreground(labels, target)
        if i not in best or iou > best[i][0]:
            best[i] = (iou, step, mask)

    result = cluster_online(
        motions, model_config=params.model, config=online, name=name, on_step=keep_best
    )
    for i in range(n):
        if i not in best and truth[i + 1] is not None:  # no online step: the final clustering
            keep_best(i, -1, result.labels[i])
        if i in best:
            iou, step, masks[i + 1] = best[i]
            frames.append({"frame": i + 1, "oracle_iou": iou, "best_step": step})
        else:
            frames.append({"frame": i + 1, "note": "no ground truth: predicted empty"})
    return SequenceMasks(masks, frames, time.perf_counter() - start, result.pretrain_steps)


def _at(values: list[float], i: int) -> float | None:
    return values[i] if i < len(values) else None
