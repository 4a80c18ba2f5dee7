"""Whole-video inference → YouTube-VIS results (``[{video_id, category_id, score, segmentations}]``).

Frames are encoded ``frame_chunk`` at a time (backbone + pixel decoder), the decoder then sees the
whole video at once (Mask2Former-VIS's offline inference), and each kept instance's masks are
upsampled a chunk of frames at a time and turned into RLE immediately, so memory stays bounded by
the feature maps, not by video length × resolution. Empty frames are ``null``.
"""

from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from vis_pipelines.datasets.video_set import VideoSet
from vis_pipelines.formats.rle import encode_masks
from vis_pipelines.models.postprocess import instance_masks, topk_instances

from .config import InferenceConfig

__all__ = ["predict_videos", "predict_video", "inference_size"]

log = logging.getLogger(__name__)


def inference_size(height: int, width: int, cfg: InferenceConfig) -> tuple[int, int]:
    """Model input size: shorter side ``min_size`` and longer side at most ``max_size``."""
    scale = 1.0
    if cfg.min_size is not None:
        scale = cfg.min_size / min(height, width)
    if cfg.max_size is not None and max(height, width) * scale > cfg.max_size:
        scale = cfg.max_size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


@torch.no_grad()
def predict_video(
    model: nn.Module, frames: np.ndarray, cfg: InferenceConfig
) -> list[tuple[int, float, list[dict[str, Any] | None]]]:
    """Instances of one video: ``(class index, score, [RLE | None per frame])``, best first.

    Args:
        model: a :class:`~vis_pipelines.models.vis_model.VideoMask2Former` (``encode_frames``,
            ``decode``, ``padded_size``) in eval mode.
        frames: ``uint8 [T, H, W, 3]`` RGB.
        cfg: inference settings.
    """
    t, h, w = frames.shape[:3]
    ih, iw = inference_size(h, w, cfg)
    device = model.device
    encoded = []
    for start in range(0, t, cfg.frame_chunk):
        chunk = frames[start : start + cfg.frame_chunk]
        if (ih, iw) != (h, w):
            chunk = np.stack(
                [cv2.resize(f, (iw, ih), interpolation=cv2.INTER_LINEAR) for f in chunk]
            )
        x = torch.from_numpy(np.ascontiguousarray(chunk)).permute(0, 3, 1, 2).to(device)
        encoded.append(model.encode_frames(x))
    mask_features = torch.cat([mf for mf, _ in encoded])
    features = [
        torch.cat([feats[lvl] for _, feats in encoded]) for lvl in range(len(encoded[0][1]))
    ]
    outputs = model.decode(mask_features, features, t)
    scores, labels, queries = topk_instances(outputs["pred_logits"][0], cfg.topk)
    # Sigmoid models threshold logits; query-softmax models (Cluster2Former) probabilities.
    mask_scores = model.mask_scores(outputs["pred_masks"])[0]
    padded = model.padded_size(ih, iw)
    out = []
    for score, label, q in zip(scores.tolist(), labels.tolist(), queries.tolist(), strict=True):
        segs: list[dict[str, Any] | None] = []
        for masks in instance_masks(
            mask_scores[q],
            image_size=(ih, iw),
            padded_size=padded,
            output_size=(h, w),
            frame_chunk=cfg.frame_chunk,
            threshold=cfg.mask_threshold,
        ):
            arr = masks.cpu().numpy()
            rles = encode_masks(arr)
            segs.extend(r if m.any() else None for r, m in zip(rles, arr, strict=True))
        out.append((int(label), float(score), segs))
    return out


def predict_videos(
    model: nn.Module, video_set: VideoSet, cfg: InferenceConfig, categories: list[int]
) -> list[dict[str, Any]]:
    """YouTube-VIS results for every video of ``video_set`` (class k ↔ ``categories[k]``)."""
    model.eval()
    results: list[dict[str, Any]] = []
    for video in tqdm(video_set.videos, desc="inference", unit="video", disable=None):
        frames = video_set.load_frames(video["id"])
        for label, score, segs in predict_video(model, frames, cfg):
            results.append(
                {
                    "video_id": video["id"],
                    "category_id": categories[label],
                    "score": score,
                    "segmentations": segs,
                }
            )
    log.info("predicted %d instances on %d videos", len(results), len(video_set))
    return results
