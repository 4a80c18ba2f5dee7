"""Nodes of the ``scribbles`` pipeline: shards of per-video parts, assembly, checks, previews."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from PIL import Image

from vis_pipelines.datasets import VideoSet
from vis_pipelines.formats import FormatError
from vis_pipelines.provenance import git_revision
from vis_pipelines.scribbles import (
    PreviewConfig,
    ScribbleConfig,
    assemble_scribbles,
    check_scribbles,
    check_video_masks,
    input_hash,
    load_current_parts,
    make_part,
    markdown_report,
    part_is_current,
    preview_frames,
    preview_video_indices,
    render_preview,
    scribble_params_hash,
    scribble_video,
    stats_table,
    summarise,
    video_keys,
)
from vis_pipelines.validation import DataValidationError, validate_annotations

logger = logging.getLogger(__name__)


def _labeled(source: VideoSet, source_name: str) -> None:
    if not source.labeled:
        raise ValueError(
            f'{source_name}: the dataset has no annotations ("annotations": null, an official '
            "valid/test file); scribbles are drawn from full masks"
        )


def _current(loader: Callable[[], Any] | None, params: str, source: str) -> bool:
    """True if a part exists and was made with these fingerprints (unreadable parts are redone)."""
    if loader is None:
        return False
    try:
        return part_is_current(loader(), params=params, source=source)
    except FormatError as err:
        logger.warning("unreadable scribble part, recomputed: %s", err)
        return False


def _compute_part(
    source: VideoSet,
    video: dict[str, Any],
    config: ScribbleConfig,
    key: str,
    params: str,
    ihash: str,
) -> dict[str, Any]:
    annotations = source.annotations_for(video["id"])
    result = scribble_video(video, annotations, config, source=source.source)
    return make_part(result, key=key, params=params, source=ihash)


def scribble_shard(
    source: VideoSet,
    generator: ScribbleConfig,
    done: dict[str, Callable[[], Any]],
    *,
    shard: int,
    shards: int,
    source_name: str,
) -> dict[str, Callable[[], dict[str, Any]]]:
    """Scribble the videos of one shard (every ``shards``-th video) that lack a current part.

    Args:
        source: the YouTube-VIS dataset with full masks.
        generator: generator parameters.
        done: parts already on disk (``{video key: loader}``); a part made with the same
            parameters from the same annotations is kept and its video skipped.
        shard, shards: this shard's index and the number of shards.
        source_name: the source's catalog name, for logs and errors.

    Returns:
        ``{video key: () -> part}``: lazy parts, computed and written one by one when saved, so an
        interrupted run keeps every finished video.
    """
    _labeled(source, source_name)
    config = ScribbleConfig.coerce(generator)
    params = scribble_params_hash(config)
    keys = video_keys(source.videos)
    todo: dict[str, Callable[[], dict[str, Any]]] = {}
    mine = source.videos[shard::shards]
    for video in mine:
        key = keys[video["id"]]
        annotations = source.annotations_for(video["id"])
        ihash = input_hash(video, annotations)
        if _current(done.get(key), params, ihash):
            continue
        # Bad input fails here, as one FormatError, before any video is computed (the parts are
        # computed lazily while Kedro saves them, where errors would reach the user re-wrapped).
        check_video_masks(video, annotations, source=source.source)
        todo[key] = functools.partial(_compute_part, source, video, config, key, params, ihash)
    logger.info(
        "%s scribbles, shard %d/%d: %d videos to do, %d already done (params %s)",
        source_name,
        shard + 1,
        shards,
        len(todo),
        len(mine) - len(todo),
        params,
    )
    return todo


def assemble_scribble_dataset(
    source: VideoSet,
    generator: ScribbleConfig,
    *parts: dict[str, Callable[[], Any]],
    source_name: str,
) -> tuple[VideoSet, pd.DataFrame, dict[str, Any], str]:
    """Merge the per-video parts into the scribble dataset and its statistics.

    Returns:
        The scribble ``VideoSet`` (source frames, scribble annotations), the per-annotation
        statistics table, the flat summary (with ``params_hash`` and ``git_revision``) and the
        markdown report.
    """
    _labeled(source, source_name)
    config = ScribbleConfig.coerce(generator)
    params = scribble_params_hash(config)
    keys = video_keys(source.videos)
    loaders: dict[str, Callable[[], Any]] = {}
    for shard_parts in parts:
        loaders.update(shard_parts)
    hashes = {v["id"]: input_hash(v, source.annotations_for(v["id"])) for v in source.videos}
    loaded = load_current_parts(loaders, keys, params=params, hashes=hashes, source=source.source)
    info = {"source": source_name, "params_hash": params, "generator": dataclasses.asdict(config)}
    data, rows = assemble_scribbles(source.data, loaded, info=info, source=source.source)
    scribbles = source.with_data(data)
    names = {c["id"]: c["name"] for c in source.categories}
    table = stats_table(rows, video_names=keys, category_names=names)
    selected = sum(len(range(0, v["length"], config.frame_step)) for v in source.videos)
    summary: dict[str, Any] = summarise(table, videos=len(source), selected_frames=selected)
    summary.update(params_hash=params, git_revision=git_revision())
    logger.info(
        "%s scribbles: %d object frames, coverage %.3f%% of object pixels, %.2f strokes per "
        "object frame, %d object frames without scribble",
        source_name,
        summary["object_frames"],
        summary["coverage_pct"],
        summary["strokes_per_object_frame"],
        summary["object_frames_without_scribble"],
    )
    return scribbles, table, summary, markdown_report(source_name, summary, table)


def validate_scribbles(
    source: VideoSet, scribbles: VideoSet, generator: ScribbleConfig, *, source_name: str
) -> dict[str, Any]:
    """Great Expectations checks of the written json, then the scribble invariants.

    Raises:
        DataValidationError: a GX check failed, or a stroke pixel lies outside its mask, a visible
            object has no stroke, a background stroke touches an object, or a stroke is thick.
    """
    config = ScribbleConfig.coerce(generator)
    name = f"{source_name}_scribbles"
    report = validate_annotations(scribbles.data, name=name, allow_null_category=True)
    invariants = check_scribbles(
        source.data, scribbles.data, frame_step=config.frame_step, name=str(scribbles.source)
    )
    failed = {k: v for k, v in invariants.items() if k != "checked_masks" and v}
    report["invariants"] = invariants
    if failed:
        report["success"] = False
        raise DataValidationError(f"scribble invariants of '{name}' violated: {failed}", report)
    return report


def preview_scribbles(
    source: VideoSet, scribbles: VideoSet, previews: PreviewConfig
) -> dict[str, Image.Image]:
    """PNG previews (``{video key: image}``) of a few videos spread over the dataset."""
    config = PreviewConfig.coerce(previews)
    keys = video_keys(source.videos)
    full: Mapping[Any, dict[str, Any]] = {a["id"]: a for a in source.annotations}
    out: dict[str, Image.Image] = {}
    for index in preview_video_indices(len(scribbles), config.videos):
        video = scribbles.videos[index]
        anns = scribbles.annotations_for(video["id"])
        objects = [a for a in anns if a["category_id"] is not None]
        background = next((a for a in anns if a["category_id"] is None), None)
        drawn = [
            t
            for t in range(video["length"])
            if any(a["segmentations"][t] is not None for a in anns)
        ]
        frames_idx = preview_frames(drawn, config.frames)
        if not frames_idx:
            continue
        image = render_preview(
            source.load_frames(video["id"], frames_idx),
            [[full[a["id"]]["segmentations"][t] for t in frames_idx] for a in objects],
            [[a["segmentations"][t] for t in frames_idx] for a in objects],
            None if background is None else [background["segmentations"][t] for t in frames_idx],
            config,
        )
        out[keys[video["id"]]] = Image.fromarray(image)
    return out
