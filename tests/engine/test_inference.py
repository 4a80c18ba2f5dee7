"""Whole-video inference: result records, frame chunking, resizing, empty frames as null."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from engine_helpers import tiny_model_config, tiny_video_set

from vis_pipelines.engine.config import InferenceConfig
from vis_pipelines.engine.inference import inference_size, predict_video, predict_videos
from vis_pipelines.formats.results import validate_results
from vis_pipelines.formats.rle import decode_rle
from vis_pipelines.models.vis_model import build_mask2former


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = build_mask2former(tiny_model_config(), 7)
    return m.eval()


def test_test_size():
    assert inference_size(480, 640, InferenceConfig()) == (480, 640)
    assert inference_size(480, 640, InferenceConfig(min_size=360)) == (360, 480)
    assert inference_size(480, 1280, InferenceConfig(min_size=360, max_size=640)) == (240, 640)


def test_chunking_does_not_change_predictions(model):
    frames = tiny_video_set().load_frames(tiny_video_set().video_ids[0])
    one = predict_video(model, frames, InferenceConfig(topk=3, frame_chunk=100))
    chunked = predict_video(model, frames, InferenceConfig(topk=3, frame_chunk=2))
    assert [(a, round(b, 5)) for a, b, _ in one] == [(a, round(b, 5)) for a, b, _ in chunked]
    assert [s for *_, s in one] == [s for *_, s in chunked]


def test_results_are_valid_and_empty_frames_are_null(model):
    videos = tiny_video_set("valid")
    results = predict_videos(
        model, videos, InferenceConfig(topk=2), [c["id"] for c in videos.categories][:7]
    )
    validate_results(results, videos.data)
    assert len(results) == 2 * len(videos)
    for r in results:
        video = videos.video(r["video_id"])
        assert len(r["segmentations"]) == video["length"]
        for seg in r["segmentations"]:
            if seg is not None:
                assert seg["size"] == [video["height"], video["width"]]
                assert decode_rle(seg).any()


def test_resized_inference_returns_masks_at_video_size(model):
    frames = np.random.default_rng(0).integers(0, 255, (3, 50, 70, 3), dtype=np.uint8)
    out = predict_video(model, frames, InferenceConfig(topk=1, min_size=32, mask_threshold=-1e9))
    ((_, _, segs),) = out
    assert all(s["size"] == [50, 70] and decode_rle(s).all() for s in segs)
