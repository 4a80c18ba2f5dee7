"""The ClusterNet results table: measured rows per (method, flow source), published references apart.

Measured rows come from the DAVIS J&F records of this run. The seed paper's published DAVIS-2016
numbers (mean J only) sit in their own section, labelled as such, and are never mixed with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["COLUMNS", "PUBLISHED_DAVIS16", "METHOD_LABELS", "report_tables"]

COLUMNS = ("J_mean", "J_recall", "F_mean", "F_recall", "JF_mean")

METHOD_LABELS = {
    "baseline": "motion threshold (baseline)",
    "gt_free": "ClusterNet gt_free",
    "as_released": "ClusterNet as_released (GT oracle)",
}

# Xi et al., TCSVT 2023, README of the released code: DAVIS-2016 val, mean J (%), online.
PUBLISHED_DAVIS16: tuple[tuple[str, str, float], ...] = (
    ("Motion Grouping", "PWC-Net", 63.7),
    ("ClusterNet (published)", "PWC-Net", 67.9),
    ("Motion Grouping", "RAFT", 68.3),
    ("ClusterNet (published)", "RAFT", 72.0),
    ("Motion Grouping", "FlowFormer", 70.3),
    ("ClusterNet (published)", "FlowFormer", 75.4),
)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.1f}"


def report_tables(
    records: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, str]],
    *,
    dataset: str,
) -> tuple[pd.DataFrame, str]:
    """(CSV table, markdown) from the metric records and their row descriptions.

    Args:
        records: DAVIS J&F metric records (percent), one per row.
        rows: ``{"mode", "flow", "metrics", "params_hash"}`` per record (mode: baseline /
            gt_free / as_released; metrics: the record's file name; params_hash: the masks').
        dataset: the evaluated dataset, for titles and the section column.
    """
    measured = []
    for record, row in zip(records, rows, strict=True):
        measured.append(
            {
                "section": f"measured ({dataset})",
                "method": METHOD_LABELS.get(row["mode"], row["mode"]),
                "flow": row["flow"],
                **{c: record.get(c) for c in COLUMNS},
                "metrics": row["metrics"],
                "params_hash": row.get("params_hash"),
                "evaluation_hash": record.get("params_hash"),
            }
        )
    published = [
        {
            "section": "published (DAVIS-2016 val, seed paper)",
            "method": method,
            "flow": flow,
            "J_mean": j,
            **{c: None for c in COLUMNS[1:]},
            "metrics": None,
            "params_hash": None,
            "evaluation_hash": None,
        }
        for method, flow, j in PUBLISHED_DAVIS16
    ]
    columns = ["section", "method", "flow", *COLUMNS, "metrics", "params_hash", "evaluation_hash"]
    table = pd.DataFrame(measured + published, columns=columns)
    lines = [
        f"# ClusterNet on {dataset} (DAVIS-2016 binary protocol)",
        "",
        "## Measured",
        "",
        "| method | flow | " + " | ".join(COLUMNS) + " | params |",
        "|---|---|" + "---:|" * len(COLUMNS) + "---|",
    ]
    for r in measured:
        values = " | ".join(_fmt(r[c]) for c in COLUMNS)
        lines.append(f"| {r['method']} | {r['flow']} | {values} | {r['params_hash']} |")
    lines += [
        "",
        "J and F in percent; first and last frames are not scored (DAVIS-2016); params: hash of",
        "what the masks depend on. `gt_free` uses no ground truth; `as_released` picks clusters",
        "and the best optimisation step per frame with the ground truth, as the released code",
        "does: an oracle, not an unsupervised result (it also pre-trains on the whole sequence).",
        "",
        "## Published reference (DAVIS-2016 val, not comparable with the rows above)",
        "",
        "| method | flow | J_mean |",
        "|---|---|---:|",
    ]
    lines += [f"| {m} | {f} | {j:.1f} |" for m, f, j in PUBLISHED_DAVIS16]
    lines += [
        "",
        "Source: Xi et al., Online Unsupervised Video Object Segmentation via Contrastive Motion",
        "Clustering, IEEE TCSVT 2023 (README of the released code). FBMS and SegTrackV2 follow the",
        "CIS protocol: all objects merged into one foreground, mean J.",
        "",
    ]
    return table, "\n".join(lines)
