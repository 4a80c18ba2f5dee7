"""Accuracy and speed of precomputed flows: metrics records, a comparison table and previews.

Speed comes from the records the flow store keeps per sequence (estimator time only: frames in
memory to flow arrays, no file reading or writing), so a resumed run still reports the speed of
the run that computed each sequence.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from vis_pipelines.formats import FormatError
from vis_pipelines.provenance import git_revision

from .colour import flow_to_rgb
from .config import PreviewParams
from .metrics import FlowErrorTotals, evaluate_flow_sequences
from .pairs import folder_name

__all__ = [
    "METRIC_KEYS",
    "TABLE_COLUMNS",
    "flow_speed",
    "flow_report_rows",
    "zero_flow_row",
    "metrics_records",
    "markdown_table",
    "preview_images",
]

METRIC_KEYS = ("EPE", "EPE_noc", "Fl_all", "fps")
TABLE_COLUMNS = ("method", "gap", "sequences", "pairs", "fps", "device", "EPE", "EPE_noc", "Fl_all")


def flow_speed(store: Any, folder: str, sequences: Iterable[str]) -> dict[str, Any]:
    """Pairs, estimator seconds, pairs per second, device(s) and settings hash over ``sequences``.

    All sequences must have been computed with one setting (one ``config_hash``).
    """
    pairs, seconds, devices, hashes, config = 0, 0.0, set(), set(), {}
    for seq in sequences:
        record = store.record(folder, seq)
        config = record.get("config") or {}
        pairs += int(record.get("pairs", 0))
        seconds += float(record.get("seconds", 0.0))
        devices.add(str(record.get("device", "?")))
        hashes.add(str(record.get("config_hash")))
    if len(hashes) > 1:
        raise FormatError(
            f"sequences were computed with different settings {sorted(hashes)}; run the "
            "compute node again (it redoes every sequence whose settings differ)",
            source=str(store.root / folder) if hasattr(store, "root") else folder,
        )
    return {
        "pairs": pairs,
        "seconds": seconds,
        "fps": pairs / seconds if seconds > 0 else float("nan"),
        "device": "/".join(sorted(devices)),
        "config_hash": hashes.pop() if hashes else "",
        "config": config,
    }


def flow_report_rows(
    store: Any,
    methods: Iterable[str],
    gaps: Iterable[int],
    sequences: list[str],
    *,
    gt: Any | None = None,
    gt_gap: int = 1,
) -> list[dict[str, Any]]:
    """One row per (method, gap): speed, and accuracy where ``gt`` exists for the gap."""
    rows = []
    for method in methods:
        for gap in gaps:
            folder = folder_name(method, gap)
            speed = flow_speed(store, folder, sequences)
            row: dict[str, Any] = {
                "method": method,
                "gap": gap,
                "sequences": len(sequences),
                "pairs": speed["pairs"],
                "fps": speed["fps"],
                "device": speed["device"],
                "config_hash": speed["config_hash"],
                "config": speed["config"],
                "EPE": float("nan"),
                "EPE_noc": float("nan"),
                "Fl_all": float("nan"),
            }
            if gt is not None and gap == gt_gap:
                with_gt = set(gt.names())
                scored = [s for s in sequences if s in with_gt]
                if len(scored) < len(sequences):
                    missing = sorted(set(sequences) - set(scored))
                    raise FormatError(
                        f"no ground-truth flow for sequences {missing[:5]}",
                        source=str(getattr(gt, "root", None) or "<memory>"),
                    )
                totals = evaluate_flow_sequences(store.flows(folder), gt, scored)
                row.update(totals.summary())
            rows.append(row)
    return rows


def zero_flow_row(gt: Any, sequences: list[str], *, gt_gap: int = 1) -> dict[str, Any]:
    """Reference row: the scores of predicting no motion at all (``EPE`` = mean GT magnitude).

    Scenes with mostly static backgrounds make this baseline strong; a method worse than it
    has learned nothing useful.
    """
    totals = FlowErrorTotals()
    pairs = 0
    for seq in sequences:
        if not gt.frame_names(seq):
            continue
        truth = gt.load(seq)
        totals.update(np.zeros_like(truth), truth, gt.load_occlusion(seq))
        pairs += len(truth)
    return {
        "method": "zero_flow (reference)",
        "gap": gt_gap,
        "sequences": len(sequences),
        "pairs": pairs,
        "fps": float("nan"),
        "device": "-",
        "config_hash": "",
        "config": {},
        **totals.summary(),
    }


def _number(value: Any) -> float | int | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN: an undefined metric is null
    return value


def metrics_records(
    rows: Iterable[Mapping[str, Any]], dataset: str, *, gt_gap: int = 1
) -> dict[str, dict[str, Any]]:
    """``flow_<method>__<dataset>`` -> ``{EPE, EPE_noc, Fl_all, fps, params_hash, git_revision}``
    for the rows at the ground-truth gap (``params_hash`` = the settings hash of the flows)."""
    revision = git_revision()
    out = {}
    for row in rows:
        if row["gap"] != gt_gap:
            continue
        record = {key: _number(float(row[key])) for key in METRIC_KEYS}
        record["params_hash"] = str(row["config_hash"])
        record["git_revision"] = revision
        out[f"flow_{row['method']}__{dataset}"] = record
    return out


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return "–" if not math.isfinite(value) else f"{value:.{digits}f}"
    return str(value)


def markdown_table(rows: Iterable[Mapping[str, Any]], *, title: str, notes: str = "") -> str:
    """A markdown table of ``rows`` (EPE in px, Fl-all in %, fps = frame pairs per second)."""
    digits = {"fps": 1, "EPE": 3, "EPE_noc": 3, "Fl_all": 2}
    header = list(TABLE_COLUMNS)
    lines = [
        f"# {title}",
        "",
        "| " + " | ".join(header).replace("Fl_all", "Fl-all (%)") + " |",
        "|" + "|".join("---" if c in ("method", "device") else "---:" for c in header) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row[c], digits.get(c, 0)) for c in header) + " |")
    if notes:
        lines += ["", notes]
    return "\n".join(lines) + "\n"


def preview_images(
    sources: Mapping[str, Any],
    sequences: list[str],
    params: PreviewParams,
) -> dict[str, Callable[[], np.ndarray]]:
    """Lazy colour-wheel previews ``<folder>/<seq>/<frame>`` -> uint8 RGB ``[H, W, 3]``.

    ``sources`` maps a folder name (``dis_fast_gap1``, ``gt_gap1``) to its ``FlowSequences``.
    The first ``params.sequences`` sequences get every ``params.every``-th flow; one colour scale
    per folder and sequence (``params.max_magnitude`` or its longest vector).
    """

    @functools.lru_cache(maxsize=2)
    def sequence_rgb(folder: str, seq: str) -> tuple[list[str], np.ndarray]:
        flows = sources[folder]
        names = flows.frame_names(seq)
        return names, flow_to_rgb(flows.load(seq), params.max_magnitude)

    def image(folder: str, seq: str, name: str) -> Callable[[], np.ndarray]:
        def render() -> np.ndarray:
            names, rgb = sequence_rgb(folder, seq)
            return rgb[names.index(name)]

        return render

    out: dict[str, Callable[[], np.ndarray]] = {}
    for folder, flows in sources.items():
        for seq in sequences[: params.sequences]:
            for name in flows.frame_names(seq)[:: params.every]:
                out[f"{folder}/{seq}/{name}"] = image(folder, seq, name)
    return out
