"""Statistics of a scribble dataset: per-annotation table, flat summary, markdown report.

Coverage is scribble pixels over mask pixels, in percent, summed over every (object, frame) with
a scribble; published scribble versions of YouTube-VIS and OVIS cover about 0.5% of object pixels
at their resolutions (coverage falls as objects grow: a stroke is a line, a mask an area).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .video import STAT_FIELDS

__all__ = ["stats_table", "summarise", "markdown_report", "TABLE_COLUMNS"]

TABLE_COLUMNS = (
    "video_id",
    "video",
    "annotation_id",
    "category_id",
    "category",
    "kind",
    "frames",
    "mask_pixels",
    "scribble_pixels",
    "coverage_pct",
    "strokes",
    "strokes_per_frame",
    "frames_without_scribble",
    "shrunk_radius_frames",
    "mask_skeleton_frames",
    "unsmoothed_frames",
    "deepest_pixel_frames",
)

_FALLBACKS = (
    "shrunk_radius_frames",
    "mask_skeleton_frames",
    "unsmoothed_frames",
    "deepest_pixel_frames",
)


def _ratio(num: float, den: float, scale: float = 1.0) -> float:
    return float(num) * scale / float(den) if den else 0.0


def stats_table(
    rows: Sequence[Mapping[str, Any]],
    *,
    video_names: Mapping[int, str],
    category_names: Mapping[int, str],
) -> pd.DataFrame:
    """One row per annotation (objects and backgrounds) with coverage and stroke counts."""
    df = pd.DataFrame(list(rows), columns=list(STAT_FIELDS))
    df["video"] = df["video_id"].map(lambda v: video_names.get(v, str(v)))
    df["category"] = df["category_id"].map(
        lambda c: "background" if c is None or pd.isna(c) else category_names.get(int(c), str(c))
    )
    mask = df["mask_pixels"].astype(float)
    df["coverage_pct"] = np.where(
        mask > 0, 100.0 * df["scribble_pixels"] / mask.where(mask > 0, 1), 0.0
    )
    frames = df["frames"].astype(float)
    df["strokes_per_frame"] = np.where(frames > 0, df["strokes"] / frames.where(frames > 0, 1), 0.0)
    df["annotation_id"] = df["annotation_id"].astype("Int64")
    df["category_id"] = df["category_id"].astype("Int64")
    return df[list(TABLE_COLUMNS)]


def summarise(table: pd.DataFrame, *, videos: int, selected_frames: int) -> dict[str, float]:
    """Flat ``{name: number}`` summary of a statistics table (DVC-friendly)."""
    obj = table[table["kind"] == "object"]
    bg = table[table["kind"] == "background"]
    visible = obj[obj["frames"] > 0]
    object_frames = int(obj["frames"].sum())
    out: dict[str, float] = {
        "videos": videos,
        "selected_frames": selected_frames,
        "objects": len(obj),
        "visible_objects": len(visible),
        "object_frames": object_frames,
        "object_pixels": int(obj["mask_pixels"].sum()),
        "scribble_pixels": int(obj["scribble_pixels"].sum()),
        "coverage_pct": _ratio(obj["scribble_pixels"].sum(), obj["mask_pixels"].sum(), 100.0),
        "strokes_per_object_frame": _ratio(obj["strokes"].sum(), object_frames),
        "scribble_pixels_per_object_frame": _ratio(obj["scribble_pixels"].sum(), object_frames),
        "object_frames_without_scribble": int(obj["frames_without_scribble"].sum()),
        "objects_without_scribble": int((visible["scribble_pixels"] == 0).sum()),
        "background_frames": int(bg["frames"].sum()),
        "background_pixels": int(bg["mask_pixels"].sum()),
        "background_scribble_pixels": int(bg["scribble_pixels"].sum()),
        "background_coverage_pct": _ratio(
            bg["scribble_pixels"].sum(), bg["mask_pixels"].sum(), 100.0
        ),
        "background_strokes_per_frame": _ratio(bg["strokes"].sum(), bg["frames"].sum()),
    }
    for name in _FALLBACKS:
        out[name] = int(obj[name].sum())
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.3f}"
    return str(value)


def markdown_report(title: str, summary: Mapping[str, Any], table: pd.DataFrame) -> str:
    """Markdown: the summary, then coverage and strokes per category."""
    lines = [f"# Scribbles: {title}", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in summary.items()]
    obj = table[(table["kind"] == "object") & (table["frames"] > 0)]
    lines += [
        "",
        "## Per category",
        "",
        "| category | objects | object frames | coverage % | strokes / frame | pixels / frame |",
        "|---|---|---|---|---|---|",
    ]
    for name, group in obj.groupby("category", sort=True):
        frames = group["frames"].sum()
        lines.append(
            f"| {name} | {len(group)} | {frames} | "
            f"{_ratio(group['scribble_pixels'].sum(), group['mask_pixels'].sum(), 100.0):.3f} | "
            f"{_ratio(group['strokes'].sum(), frames):.3f} | "
            f"{_ratio(group['scribble_pixels'].sum(), frames):.1f} |"
        )
    return "\n".join(lines) + "\n"
