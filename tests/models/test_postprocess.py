"""Inference post-processing: top-k (query, class) pairs and mask upsampling/cropping."""

from __future__ import annotations

import torch

from vis_pipelines.models.postprocess import instance_masks, topk_instances


def test_topk_pairs_by_class_probability_with_stable_ties():
    # 3 queries, 2 classes (+ no object). Probabilities by hand: equal logits → 1/3 each.
    logits = torch.tensor([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    scores, labels, queries = topk_instances(logits, 4)
    p = torch.softmax(torch.tensor([10.0, 0.0, 0.0]), 0)
    assert queries.tolist() == [1, 0, 0, 2]
    assert labels.tolist() == [0, 0, 1, 0]
    torch.testing.assert_close(scores[:2], torch.stack([p[0], torch.tensor(1 / 3)]))
    # More than Q*K asked for: all pairs.
    assert len(topk_instances(logits, 100)[0]) == 6


def test_instance_masks_crop_padding_and_resize():
    # Padded input 32x32, image 24x32, masks at 1/4 (8x8): left half positive.
    logits = torch.full((3, 8, 8), -5.0)
    logits[:, :, :4] = 5.0
    chunks = list(
        instance_masks(
            logits, image_size=(24, 32), padded_size=(32, 32), output_size=(48, 64), frame_chunk=2
        )
    )
    assert [c.shape for c in chunks] == [(2, 48, 64), (1, 48, 64)]
    masks = torch.cat(chunks)
    assert masks[:, :, :32].all() and not masks[:, :, 32:].any()
