"""Nodes of the ``synthvis`` pipeline."""

from __future__ import annotations

import logging
import time
from typing import Any

from vis_pipelines.datasets import DAVISSequences, FlowSequences, VideoSet
from vis_pipelines.provenance import params_hash
from vis_pipelines.synth.generator import SynthConfig
from vis_pipelines.synth.layouts import SynthVISSource, build_ytvis, davis_sequences, gt_flow
from vis_pipelines.validation import validate_annotations

logger = logging.getLogger(__name__)


def generate_synthvis(
    generator: SynthConfig, davis_imagesets: dict[str, str]
) -> tuple[VideoSet, VideoSet, VideoSet, DAVISSequences, FlowSequences, dict[str, Any]]:
    """Generate SynthVIS: YouTube-VIS train/valid/test, a DAVIS-2016 layout and GT flow.

    Args:
        generator: generator configuration (seed, sizes, counts, difficulty).
        davis_imagesets: DAVIS ImageSets name → SynthVIS split (e.g. ``{"train": "train", "val": "valid"}``).

    Returns:
        The three YouTube-VIS splits, the DAVIS sequences, the forward GT flow and a manifest. Frames
        are produced lazily by the datasets that write them.
    """
    start = time.perf_counter()
    source = SynthVISSource(generator)
    # Only the parameters hash is stamped (not the git revision): the same seed must give
    # byte-identical files on every commit, so DVC does not rebuild downstream stages needlessly.
    stamp = {"params_hash": params_hash(generator)}
    splits = [
        build_ytvis(source, split, info={"seed": generator.seed, **stamp})
        for split in ("train", "valid", "test")
    ]
    manifest: dict[str, Any] = {
        **stamp,
        "seed": generator.seed,
        "size": [generator.height, generator.width],
        "categories": len(source.categories),
        "novel_categories": sum(c["split"] == "novel" for c in source.categories),
    }
    for split, video_set in zip(("train", "valid", "test"), splits, strict=True):
        manifest[f"{split}_videos"] = len(video_set.videos)
        manifest[f"{split}_frames"] = sum(v["length"] for v in video_set.videos)
        manifest[f"{split}_instances"] = len(video_set.annotations)
    logger.info(
        "SynthVIS: %d/%d/%d videos, %d categories (%d novel), params %s, annotations in %.1f s",
        manifest["train_videos"],
        manifest["valid_videos"],
        manifest["test_videos"],
        manifest["categories"],
        manifest["novel_categories"],
        stamp["params_hash"],
        time.perf_counter() - start,
    )
    return (*splits, davis_sequences(source, davis_imagesets), gt_flow(source), manifest)


def validate_synthvis(train: VideoSet, valid: VideoSet, test: VideoSet) -> dict[str, Any]:
    """Run the Great Expectations annotation checks on the written splits (raises if any fails)."""
    return {
        f"synthvis_{name}": validate_annotations(split.data, name=f"synthvis_{name}")
        for name, split in zip(("train", "valid", "test"), (train, valid, test), strict=True)
    }
