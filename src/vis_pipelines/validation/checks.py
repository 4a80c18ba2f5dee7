"""Great Expectations suites over the annotation tables: the table-level line of defence.

:func:`validate_annotations` builds :func:`~.tables.video_table` and
:func:`~.tables.annotation_table`, runs one GX 1.x ``ValidationDefinition`` per table on an
ephemeral context (pandas data source, whole-dataframe batch) and either returns a summary or
raises :class:`DataValidationError` listing every failed check with its first offending rows.

Checks on the annotation rows (name: what it means):

* ``no_type_errors``: every field has the type of the contract (wrong ones are named);
* ``video_id_resolves``: ``video_id`` is a video of the dataset;
* ``category_known``: ``category_id`` is a category (``null`` allowed only with
  ``allow_null_category``, for the per-video background annotation of scribble datasets);
* ``one_segmentation_per_frame``: ``len(segmentations)`` equals the video length;
* ``rle_height_matches_video`` / ``rle_width_matches_video``: RLE ``size`` is the video size;
* ``area_non_negative``, ``area_matches_rle``: stored areas are >= 0 and equal the RLE pixel count;
* ``rle_area_within_frame``: an RLE does not decode to more pixels than its size (corrupt counts);
* ``bbox_size_non_negative``, ``bbox_inside_frame``: boxes have w, h >= 0 and lie inside the frame
  (``bbox_tolerance`` pixels of slack);
* ``annotation_frame_unique``: no (annotation id, frame) pair twice (duplicate annotation ids).

Video rows: ``video_no_type_errors``, ``video_id_not_null``, ``video_id_unique``,
``video_size_positive`` and ``video_length_matches_file_names``. An unlabeled dataset
(``annotations: null``) validates its videos only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .tables import annotation_table, video_table

__all__ = ["DataValidationError", "validate_annotations", "ANNOTATION_CHECKS", "VIDEO_CHECKS"]

logger = logging.getLogger(__name__)

_ANN_INDEX = ["annotation_id", "video_id", "frame"]
_VIDEO_INDEX = ["video_id"]


class DataValidationError(ValueError):
    """A dataset failed table-level validation; ``summary`` holds the per-check results."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class _Check:
    name: str
    description: str
    build: Callable[[Any, dict[str, Any]], Any]  # (gx.expectations module, options) → Expectation


ANNOTATION_CHECKS: tuple[_Check, ...] = (
    _Check(
        "no_type_errors",
        "fields have the contract's types",
        lambda ex, o: ex.ExpectColumnValuesToBeNull(column="type_error"),
    ),
    _Check(
        "video_id_resolves",
        "video_id is a video of the dataset",
        lambda ex, o: ex.ExpectColumnValuesToBeInSet(column="video_known", value_set=[True]),
    ),
    _Check(
        "category_known",
        "category_id is a known category",
        lambda ex, o: ex.ExpectColumnValuesToBeInSet(column="category_ok", value_set=[True]),
    ),
    _Check(
        "one_segmentation_per_frame",
        "one segmentation entry per video frame",
        lambda ex, o: ex.ExpectColumnPairValuesToBeEqual(
            column_A="n_segmentations",
            column_B="video_length",
            ignore_row_if="either_value_is_missing",
        ),
    ),
    _Check(
        "rle_height_matches_video",
        "RLE height equals the video height",
        lambda ex, o: ex.ExpectColumnPairValuesToBeEqual(
            column_A="rle_height", column_B="video_height", ignore_row_if="either_value_is_missing"
        ),
    ),
    _Check(
        "rle_width_matches_video",
        "RLE width equals the video width",
        lambda ex, o: ex.ExpectColumnPairValuesToBeEqual(
            column_A="rle_width", column_B="video_width", ignore_row_if="either_value_is_missing"
        ),
    ),
    _Check(
        "area_non_negative",
        "areas are >= 0",
        lambda ex, o: ex.ExpectColumnValuesToBeBetween(column="area", min_value=0),
    ),
    _Check(
        "area_matches_rle",
        "stored area equals the RLE pixel count",
        lambda ex, o: ex.ExpectColumnValuesToBeBetween(
            column="area_error", max_value=o["area_tolerance"]
        ),
    ),
    _Check(
        "rle_area_within_frame",
        "an RLE has at most height*width pixels",
        lambda ex, o: ex.ExpectColumnValuesToBeBetween(column="rle_fill", max_value=1.0),
    ),
    _Check(
        "bbox_size_non_negative",
        "box width and height are >= 0",
        lambda ex, o: ex.ExpectColumnValuesToBeBetween(column="bbox_min_side", min_value=0),
    ),
    _Check(
        "bbox_inside_frame",
        "box lies inside the frame",
        lambda ex, o: ex.ExpectColumnValuesToBeBetween(
            column="bbox_overflow", max_value=o["bbox_tolerance"]
        ),
    ),
    _Check(
        "annotation_frame_unique",
        "no (annotation id, frame) pair twice",
        lambda ex, o: ex.ExpectCompoundColumnsToBeUnique(column_list=["annotation_id", "frame"]),
    ),
)

VIDEO_CHECKS: tuple[_Check, ...] = (
    _Check(
        "video_no_type_errors",
        "video fields have the contract's types",
        lambda ex, o: ex.ExpectColumnValuesToBeNull(column="type_error"),
    ),
    _Check(
        "video_id_not_null",
        "every video has an integer id",
        lambda ex, o: ex.ExpectColumnValuesToNotBeNull(column="video_id"),
    ),
    _Check(
        "video_id_unique",
        "video ids are unique",
        lambda ex, o: ex.ExpectColumnValuesToBeUnique(column="video_id"),
    ),
    _Check(
        "video_size_positive",
        "width and height are >= 1",
        lambda ex, o: ex.ExpectColumnValuesToBeBetween(column="min_side", min_value=1),
    ),
    _Check(
        "video_length_matches_file_names",
        "length equals the number of file_names",
        lambda ex, o: ex.ExpectColumnPairValuesToBeEqual(
            column_A="length", column_B="n_file_names", ignore_row_if="either_value_is_missing"
        ),
    ),
)


def _with_derived_columns(df: pd.DataFrame, allow_null_category: bool) -> pd.DataFrame:
    """Columns the expectations compare directly (GX has no tolerance on column pairs)."""
    df = df.copy()
    df["category_ok"] = df["category_known"] | (df["category_is_null"] & allow_null_category)
    df["area_error"] = (df["area"] - df["rle_area"]).abs()
    with np.errstate(divide="ignore", invalid="ignore"):
        df["rle_fill"] = df["rle_area"] / (df["rle_height"] * df["rle_width"])
    df["bbox_min_side"] = df[["bbox_w", "bbox_h"]].min(axis=1, skipna=False)
    overflow = pd.concat(
        [
            -df["bbox_x"],
            -df["bbox_y"],
            df["bbox_x"] + df["bbox_w"] - df["video_width"],
            df["bbox_y"] + df["bbox_h"] - df["video_height"],
        ],
        axis=1,
    )
    # A missing video size leaves the right/bottom terms NaN; the left/top ones still count.
    has_box = df[["bbox_x", "bbox_y", "bbox_w", "bbox_h"]].notna().all(axis=1)
    df["bbox_overflow"] = overflow.max(axis=1, skipna=True).where(has_box)
    return df


def _plain(value: Any) -> Any:
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _run_suite(
    gx: Any,
    context: Any,
    table: str,
    df: pd.DataFrame,
    checks: tuple[_Check, ...],
    index: list[str],
    options: dict[str, Any],
    max_rows: int,
) -> list[dict[str, Any]]:
    """Run one suite on one dataframe; returns one result dict per check, in ``checks`` order."""
    source = context.data_sources.add_pandas(name=f"{table}_source")
    batch = source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{table}_suite"))
    for check in checks:
        expectation = check.build(gx.expectations, options)
        expectation.meta = {"check": check.name}
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{table}_validation", data=batch, suite=suite)
    )
    run = definition.run(
        batch_parameters={"dataframe": df},
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": index,
            "partial_unexpected_count": max_rows,
        },
    )
    by_name = {r.expectation_config.meta.get("check"): r for r in run.results}
    out = []
    for check in checks:
        res = by_name[check.name]
        info = res.exception_info or {}
        raised = info.get("raised_exception", False) if isinstance(info, dict) else False
        result = res.result or {}
        rows = [
            {k: _plain(v) for k, v in row.items()}
            for row in (result.get("partial_unexpected_index_list") or [])[:max_rows]
        ]
        out.append(
            {
                "table": table,
                "check": check.name,
                "description": check.description,
                "expectation": res.expectation_config.type,
                "success": bool(res.success) and not raised,
                "unexpected_count": int(result.get("unexpected_count") or 0),
                "element_count": int(result.get("element_count") or len(df)),
                "rows": rows,
                "error": info.get("exception_message") if raised else None,
            }
        )
    return out


def _format_row(row: dict[str, Any], index: list[str]) -> str:
    keys = index + [k for k in row if k not in index]
    return "(" + ", ".join(f"{k}={row.get(k)!r}" for k in keys) + ")"


def validate_annotations(
    data: dict[str, Any],
    *,
    name: str,
    allow_null_category: bool = False,
    bbox_tolerance: float = 1.0,
    area_tolerance: float = 0.5,
    max_rows: int = 5,
) -> dict[str, Any]:
    """Validate a YouTube-VIS dict with Great Expectations; raise if any check fails.

    Returns ``{"name", "success", "labeled", "num_videos", "num_annotations", "num_rows",
    "checks": {check: {"success", "unexpected_count", "element_count", "expectation"}}}``.
    Raises :class:`DataValidationError` naming every failed check and its first ``max_rows``
    offending rows (annotation_id, video_id, frame and the value checked).
    """
    if not isinstance(data, dict) or not isinstance(data.get("videos"), list):
        summary = {"name": name, "success": False, "checks": {}}
        raise DataValidationError(
            f"data validation of '{name}': expected a YouTube-VIS dict with a 'videos' list",
            summary,
        )
    # GX takes seconds to import; only callers that validate pay for it.
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    options = {"bbox_tolerance": float(bbox_tolerance), "area_tolerance": float(area_tolerance)}

    videos = video_table(data)
    videos["min_side"] = videos[["width", "height"]].min(axis=1, skipna=False)
    results = _run_suite(
        gx, context, "videos", videos, VIDEO_CHECKS, _VIDEO_INDEX, options, max_rows
    )
    anns = data.get("annotations")
    labeled = anns is not None
    num_rows = 0
    if labeled and not isinstance(anns, list):
        results.append(
            {
                "table": "annotations",
                "check": "annotations_is_list",
                "description": "annotations is a list or null",
                "expectation": "structure",
                "success": False,
                "unexpected_count": 1,
                "element_count": 1,
                "rows": [],
                "error": None,
            }
        )
    elif labeled:
        table = _with_derived_columns(annotation_table(data), allow_null_category)
        num_rows = len(table)
        results += _run_suite(
            gx, context, "annotations", table, ANNOTATION_CHECKS, _ANN_INDEX, options, max_rows
        )

    failed = [r for r in results if not r["success"]]
    summary = {
        "name": name,
        "success": not failed,
        "labeled": labeled,
        "num_videos": len(data["videos"]),
        "num_annotations": len(anns) if isinstance(anns, list) else 0,
        "num_rows": num_rows,
        "checks": {
            r["check"]: {
                k: r[k] for k in ("success", "unexpected_count", "element_count", "expectation")
            }
            for r in results
        },
    }
    if failed:
        lines = [f"data validation of '{name}' failed {len(failed)} of {len(results)} checks:"]
        for r in failed:
            index = _VIDEO_INDEX if r["table"] == "videos" else _ANN_INDEX
            what = f"- {r['check']} ({r['description']}; {r['expectation']}): "
            if r["error"]:
                what += f"could not run: {r['error']}"
            else:
                what += f"{r['unexpected_count']} of {r['element_count']} rows"
                if r["rows"]:
                    what += "; first: " + ", ".join(_format_row(row, index) for row in r["rows"])
            lines.append(what)
        logger.error(
            "data validation of '%s' failed: %s", name, ", ".join(r["check"] for r in failed)
        )
        raise DataValidationError("\n".join(lines), summary)
    logger.info(
        "data validation of '%s' passed %d checks (%d videos, %d annotation rows)",
        name,
        len(results),
        summary["num_videos"],
        num_rows,
    )
    return summary
