"""DAVIS J&F evaluation: semi-supervised and unsupervised (DAVIS-2017 toolkit) and binary
foreground (DAVIS-2016 toolkit, also used for FBMS and SegTrackV2).

Inputs are arrays, so a Kedro dataset or the CLI can feed them: per sequence, a ``(T, H, W)``
uint8 array of object ids (0 background, 255 void) or a list of ``(H, W)`` arrays (``None`` for a
ground-truth frame without annotation, binary task only).

Frame and object conventions of the official toolkits:

* ``semi``: the first and last frame are not evaluated; objects are ``1..max id`` of the first
  ground-truth frame; a predicted id above that is an error; a missing id is an empty mask;
  void pixels are *not* applied (the toolkit passes ``None``).
* ``unsupervised``: every frame is evaluated; void pixels (255) are excluded from J and F;
  predicted ids ``1..max`` are proposals (at most 20); each ground-truth object gets the proposal
  chosen by Hungarian matching on ``(mean_t J + mean_t F) / 2``; unmatched objects get an empty
  mask.
* ``binary`` (DAVIS-2016): masks are foreground = nonzero; per-frame values are stored as
  ``[nan] + frames 1..T-2 + [nan]`` (first and last frame excluded) and averaged with ``nanmean``;
  recall and decay use frames 1..T-2. Results are per sequence, then averaged over sequences.
* Semi/unsupervised statistics are per object and averaged over all objects of all sequences;
  ``JF_mean = (J_mean + F_mean) / 2``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from tqdm import tqdm

from ..formats.davis import VOID, read_mask_png
from ..formats.errors import FormatError
from .vos_measures import pairwise_region_boundary, vos_statistics

__all__ = ["TASKS", "DAVIS_KEYS", "davis_scores", "evaluate_davis", "read_davis_folders"]

log = logging.getLogger(__name__)

TASKS = ("semi", "unsupervised", "binary")
DAVIS_KEYS = ("J_mean", "J_recall", "J_decay", "F_mean", "F_recall", "F_decay", "JF_mean")
_TASK_ALIASES = {
    "semi-supervised": "semi",
    "semisupervised": "semi",
    "unsup": "unsupervised",
    "davis16": "binary",
    "davis2016": "binary",
}

SeqMasks = np.ndarray | Sequence[np.ndarray | None]


def _stack(masks: SeqMasks, seq: str, what: str, *, allow_missing: bool) -> list[np.ndarray | None]:
    """Check one sequence's frames (2-D, one size) and return them as a list."""
    frames = list(masks)  # a (T, H, W) array or a list of (H, W) arrays / None
    if not frames:
        raise FormatError("no frames", source=seq, field=what)
    shape = None
    for t, m in enumerate(frames):
        if m is None:
            if not allow_missing:
                raise FormatError(f"frame {t} is missing", source=seq, field=what)
            continue
        m = np.asarray(m)
        if m.ndim != 2:
            raise FormatError(
                f"frame {t}: expected an (H, W) id map, got shape {m.shape}", source=seq, field=what
            )
        if shape is None:
            shape = m.shape
        elif m.shape != shape:
            raise FormatError(
                f"frame {t} is {m.shape}, the first frame is {shape}", source=seq, field=what
            )
        frames[t] = m
    return frames


def _object_masks(frames: list[np.ndarray], ids: Sequence[int]) -> np.ndarray:
    """``(len(ids), T, H, W)`` boolean masks of the given object ids."""
    arr = np.stack(frames)
    return np.stack([arr == i for i in ids]) if len(ids) else np.zeros((0, *arr.shape), dtype=bool)


def _stats_row(seq: str, obj: int, j: np.ndarray, f: np.ndarray, pad_ends: bool) -> dict[str, Any]:
    jm, jr, jd = vos_statistics(j, pad_ends=pad_ends)
    fm, fr, fd = vos_statistics(f, pad_ends=pad_ends)
    return {
        "sequence": seq,
        "object": obj,
        "J_mean": jm,
        "J_recall": jr,
        "J_decay": jd,
        "F_mean": fm,
        "F_recall": fr,
        "F_decay": fd,
        "n_frames": int(np.count_nonzero(~np.isnan(j))),
    }


def _eval_semi(
    seq: str, gt: list, pred: list, n_obj: int | None, drop: bool, bound_th: float
) -> list[dict[str, Any]]:
    first = gt[0]
    if n_obj is None:
        ids = first[first != VOID]
        n_obj = int(ids.max()) if ids.size else 0
    sl = slice(1, -1) if drop else slice(None)
    gt_e, pred_e = gt[sl], pred[sl]
    if not gt_e:
        log.warning("sequence %s: no frame left to evaluate", seq)
        return [_stats_row(seq, o, np.zeros(0), np.zeros(0), False) for o in range(1, n_obj + 1)]
    top = max(int(p.max()) for p in pred_e)
    if top > n_obj:
        raise FormatError(
            f"prediction uses object id {top} but the sequence has {n_obj} objects",
            source=seq,
            field="predictions",
        )
    rows = []
    for o in range(1, n_obj + 1):
        g = _object_masks(gt_e, [o])
        p = _object_masks(pred_e, [o])
        j, f = pairwise_region_boundary(g, p, None, bound_th=bound_th)
        rows.append(_stats_row(seq, o, j[0, 0], f[0, 0], False))
    return rows


def _eval_unsupervised(
    seq: str,
    gt: list,
    pred: list,
    n_obj: int | None,
    drop: bool,
    bound_th: float,
    max_proposals: int,
) -> list[dict[str, Any]]:
    first = gt[0]
    if n_obj is None:
        ids = first[first != VOID]
        n_obj = int(ids.max()) if ids.size else 0
    sl = slice(1, -1) if drop else slice(None)
    gt_e, pred_e = gt[sl], pred[sl]
    n_prop = max(int(p.max()) for p in pred) if pred else 0
    if n_prop > max_proposals:
        raise FormatError(
            f"{n_prop} proposals, at most {max_proposals} are allowed",
            source=seq,
            field="predictions",
        )
    if n_obj == 0 or not gt_e:
        log.warning("sequence %s: no object or frame to evaluate", seq)
        return []
    void = np.stack(gt_e) == VOID
    g = _object_masks(gt_e, range(1, n_obj + 1))
    # Fewer proposals than objects: the missing ones are empty masks, as the toolkit pads them.
    p = _object_masks(pred_e, range(1, max(n_prop, n_obj) + 1))
    j, f = pairwise_region_boundary(g, p, void, bound_th=bound_th)
    cost = (np.mean(j, axis=2) + np.mean(f, axis=2)) / 2
    rows_i, cols_i = linear_sum_assignment(-cost)
    out = [
        _stats_row(seq, int(c) + 1, j[r, c], f[r, c], False) | {"proposal": int(r) + 1}
        for r, c in zip(rows_i, cols_i, strict=True)
    ]
    return sorted(out, key=lambda row: row["object"])


def _eval_binary(
    seq: str, gt: list, pred: list, drop: bool, bound_th: float
) -> list[dict[str, Any]]:
    n = len(gt)
    idx = list(range(1, n - 1)) if drop else list(range(n))
    vals_j = np.full(len(idx), np.nan)
    vals_f = np.full(len(idx), np.nan)
    annotated = [k for k, t in enumerate(idx) if gt[t] is not None]
    if annotated:
        g = np.stack([gt[idx[k]] != 0 for k in annotated])[None]
        p = np.stack([pred[idx[k]] != 0 for k in annotated])[None]
        j, f = pairwise_region_boundary(g, p, None, bound_th=bound_th)
        vals_j[annotated] = j[0, 0]
        vals_f[annotated] = f[0, 0]
    return [_stats_row(seq, 1, vals_j, vals_f, drop)]


def davis_scores(
    gt: Mapping[str, SeqMasks],
    pred: Mapping[str, SeqMasks],
    *,
    task: str = "semi",
    bound_th: float = 0.008,
    max_proposals: int = 20,
    drop_first_last: bool | None = None,
    n_objects: Mapping[str, int] | None = None,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Fraction summary (NaN where undefined) and the per-object table of one evaluation.

    ``drop_first_last`` defaults to the toolkit's choice (semi and binary: True, unsupervised:
    False); ``n_objects`` overrides the first-frame object count per sequence.
    """
    task = _TASK_ALIASES.get(task, task)
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    drop = (task != "unsupervised") if drop_first_last is None else bool(drop_first_last)
    missing = sorted(set(gt) - set(pred))
    if missing:
        raise FormatError(
            f"no predictions for {len(missing)} sequence(s): {', '.join(missing[:5])}",
            field="predictions",
        )
    rows: list[dict[str, Any]] = []
    for seq in tqdm(sorted(gt), desc=f"davis {task}", unit="seq", disable=None):
        g = _stack(gt[seq], seq, "ground truth", allow_missing=task == "binary")
        p = _stack(pred[seq], seq, "predictions", allow_missing=False)
        if len(p) != len(g):
            raise FormatError(
                f"{len(p)} predicted frames, the ground truth has {len(g)}",
                source=seq,
                field="predictions",
            )
        shape_g = next((m.shape for m in g if m is not None), None)
        if shape_g is not None and p[0].shape != shape_g:
            raise FormatError(
                f"predictions are {p[0].shape}, ground truth is {shape_g}",
                source=seq,
                field="predictions",
            )
        n_obj = None if n_objects is None else n_objects.get(seq)
        if task == "semi":
            if g[0] is None:
                raise FormatError(
                    "the first frame needs an annotation", source=seq, field="ground truth"
                )
            rows += _eval_semi(seq, g, p, n_obj, drop, bound_th)
        elif task == "unsupervised":
            rows += _eval_unsupervised(seq, g, p, n_obj, drop, bound_th, max_proposals)
        else:
            rows += _eval_binary(seq, g, p, drop, bound_th)
    cols = [
        "sequence",
        "object",
        "J_mean",
        "J_recall",
        "J_decay",
        "F_mean",
        "F_recall",
        "F_decay",
        "n_frames",
    ]
    table = pd.DataFrame(rows, columns=cols + (["proposal"] if task == "unsupervised" else []))
    summary: dict[str, float] = {}
    for key in DAVIS_KEYS[:-1]:
        vals = table[key].to_numpy(dtype=np.float64)
        ok = ~np.isnan(vals)
        # Objects whose statistic is undefined (no evaluated frame) are left out, explicitly.
        summary[key] = float(np.mean(vals[ok])) if ok.any() else math.nan
    summary["JF_mean"] = (summary["J_mean"] + summary["F_mean"]) / 2
    return summary, table


def _pct(x: float) -> float | None:
    return None if x is None or math.isnan(x) else 100.0 * x


def evaluate_davis(
    gt: Mapping[str, SeqMasks],
    pred: Mapping[str, SeqMasks],
    *,
    task: str = "semi",
    bound_th: float = 0.008,
    max_proposals: int = 20,
    drop_first_last: bool | None = None,
) -> dict[str, Any]:
    """Kedro-facing DAVIS evaluation: percent summary, per-object and per-sequence tables.

    ``summary`` holds J_mean J_recall J_decay F_mean F_recall F_decay JF_mean in percent (0-100),
    ``None`` where undefined (no evaluated frame).
    """
    fractions, table = davis_scores(
        gt,
        pred,
        task=task,
        bound_th=bound_th,
        max_proposals=max_proposals,
        drop_first_last=drop_first_last,
    )
    summary = {k: _pct(fractions[k]) for k in DAVIS_KEYS}
    per_object = table.copy()
    for key in DAVIS_KEYS[:-1]:
        per_object[key] = 100.0 * per_object[key]
    per_sequence = (
        per_object.groupby("sequence", sort=True)[["J_mean", "F_mean"]].mean().reset_index()
        if len(per_object)
        else pd.DataFrame(columns=["sequence", "J_mean", "F_mean"])
    )
    per_sequence["JF_mean"] = (per_sequence["J_mean"] + per_sequence["F_mean"]) / 2
    log.info("DAVIS %s: J&F %s over %d objects", task, summary["JF_mean"], len(table))
    return {"summary": summary, "per_object": per_object, "per_sequence": per_sequence}


def read_davis_folders(
    gt_root: str | Path,
    pred_root: str | Path,
    *,
    sequences: Sequence[str] | None = None,
    task: str = "semi",
) -> tuple[dict[str, list[np.ndarray | None]], dict[str, list[np.ndarray]]]:
    """Read ``<root>/<sequence>/<frame>.png`` folders into id-map lists for :func:`davis_scores`.

    Frames are matched by file name. A prediction may lack the first/last frame where the task does
    not evaluate it (read as empty); for the binary task the ground truth may be sparse (FBMS):
    frames with a prediction but no annotation are ``None``.
    """
    task = _TASK_ALIASES.get(task, task)
    gt_root, pred_root = Path(gt_root), Path(pred_root)
    if not gt_root.is_dir():
        raise FormatError("ground-truth folder not found", source=gt_root)
    if not pred_root.is_dir():
        raise FormatError("prediction folder not found", source=pred_root)
    names = (
        list(sequences) if sequences else sorted(p.name for p in gt_root.iterdir() if p.is_dir())
    )
    gt_out: dict[str, list[np.ndarray | None]] = {}
    pred_out: dict[str, list[np.ndarray]] = {}
    for seq in names:
        gdir, pdir = gt_root / seq, pred_root / seq
        if not gdir.is_dir():
            raise FormatError("sequence folder not found", source=gdir)
        if not pdir.is_dir():
            raise FormatError("no predictions for this sequence", source=pdir)
        g_files = {p.stem: p for p in gdir.glob("*.png")}
        p_files = {p.stem: p for p in pdir.glob("*.png")}
        frames = sorted(set(g_files) | set(p_files)) if task == "binary" else sorted(g_files)
        if not frames:
            raise FormatError("no PNG frames", source=gdir)
        g_list = [read_mask_png(g_files[f]) if f in g_files else None for f in frames]
        size = next(m.shape for m in g_list if m is not None)
        p_list = []
        for k, f in enumerate(frames):
            if f in p_files:
                p_list.append(read_mask_png(p_files[f], expected_size=size))
            elif task != "unsupervised" and k in (0, len(frames) - 1):
                p_list.append(np.zeros(size, dtype=np.uint8))  # never evaluated by the toolkit
            else:
                raise FormatError(f"prediction for frame {f} not found", source=pdir)
        gt_out[seq], pred_out[seq] = g_list, p_list
    return gt_out, pred_out
