"""Mask2Former-VIS inference post-processing: top-k (query, class) pairs and full-size mask volumes.

As in Mask2Former-VIS, every (query, class) pair is a candidate scored by the class probability;
the ``topk`` best pairs become instances whose mask is the query's mask volume, upsampled to the
padded input size, cropped to the image, resized to the video's size and thresholded (logit 0 by
default; query-softmax models such as Cluster2Former threshold probabilities). Masks are produced
a few frames at a time so memory does not grow with video length × resolution.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["topk_instances", "instance_masks"]


def topk_instances(pred_logits: Tensor, topk: int) -> tuple[Tensor, Tensor, Tensor]:
    """Best ``topk`` (query, class) pairs of one video.

    Args:
        pred_logits: ``Tensor[Q, K+1]`` (last column = no object).
        topk: number of instances kept (at most Q·K).

    Returns:
        ``scores [k]`` (softmax probability), ``labels [k]`` in [0, K), ``queries [k]``; sorted by
        descending score, ties broken by the lower (query, class) index.
    """
    probs = pred_logits.float().softmax(-1)[:, :-1]
    q, k = probs.shape
    flat = probs.flatten()
    n = min(int(topk), flat.numel())
    # Stable sort: equal scores keep (query, class) order, so results are deterministic.
    order = torch.sort(flat, descending=True, stable=True).indices[:n]
    return flat[order], order % k, torch.div(order, k, rounding_mode="floor")


def instance_masks(
    mask_logits: Tensor,
    *,
    image_size: tuple[int, int],
    padded_size: tuple[int, int],
    output_size: tuple[int, int],
    frame_chunk: int = 8,
    threshold: float = 0.0,
) -> Iterator[Tensor]:
    """Binary masks of one instance, ``frame_chunk`` frames at a time.

    Args:
        mask_logits: ``Tensor[T, h, w]`` mask scores (logits, or query-softmax probabilities)
            at 1/4 of the padded input.
        image_size: (H, W) of the model input before padding.
        padded_size: (H, W) of the padded input.
        output_size: (H, W) of the video (masks are resized to it when the input was resized).
        frame_chunk: frames upsampled at once.
        threshold: score threshold (for logits, 0 = probability 0.5).

    Yields:
        ``Tensor[t, H_out, W_out]`` bool, in frame order.
    """
    h, w = image_size
    for start in range(0, mask_logits.shape[0], max(1, frame_chunk)):
        chunk = mask_logits[start : start + frame_chunk].float()[None]
        up = F.interpolate(chunk, size=padded_size, mode="bilinear", align_corners=False)
        up = up[..., :h, :w]
        if (h, w) != tuple(output_size):
            up = F.interpolate(up, size=output_size, mode="bilinear", align_corners=False)
        yield up[0] > threshold
