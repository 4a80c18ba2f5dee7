"""Video Mask2Former: decoder shapes, masked attention, losses, eval outputs, config checks."""

from __future__ import annotations

import pytest
import torch
from tiny_model import TINY_MODEL

from vis_pipelines.models.config import Mask2FormerConfig
from vis_pipelines.models.mask2former import VideoMaskedTransformerDecoder, attention_mask
from vis_pipelines.models.vis_model import build_mask2former


def _decoder(**kw) -> VideoMaskedTransformerDecoder:
    args = dict(
        in_channels=16,
        num_classes=5,
        hidden_dim=16,
        num_queries=4,
        nheads=2,
        dim_feedforward=32,
        dec_layers=3,
        mask_dim=8,
    )
    return VideoMaskedTransformerDecoder(**{**args, **kw})


def _features(b: int, t: int):
    feats = [torch.randn(b * t, 16, h, w) for h, w in ((2, 3), (4, 6), (8, 12))]
    return feats, torch.randn(b * t, 8, 16, 24)


def test_decoder_shapes_and_deep_supervision():
    torch.manual_seed(0)
    dec = _decoder()
    feats, mf = _features(2, 3)
    out = dec(feats, mf, num_frames=3)
    assert out["pred_logits"].shape == (2, 4, 6)
    assert out["pred_masks"].shape == (2, 4, 3, 16, 24)
    assert len(out["aux_outputs"]) == 3  # the prediction before each layer
    assert all(a["pred_masks"].shape == (2, 4, 3, 16, 24) for a in out["aux_outputs"])


def test_mask_is_einsum_of_query_embedding_and_mask_features():
    torch.manual_seed(0)
    dec = _decoder(dec_layers=1)
    feats, mf = _features(1, 2)
    out = dec(feats, mf, num_frames=2)
    # The first (aux) prediction comes from the learned query features alone.
    q = dec.decoder_norm(dec.query_feat.weight)
    embed = dec.mask_embed(q)
    expected = torch.einsum("qc,tchw->qthw", embed, mf)
    torch.testing.assert_close(out["aux_outputs"][0]["pred_masks"][0], expected)
    torch.testing.assert_close(out["aux_outputs"][0]["pred_logits"][0], dec.class_embed(q))


def test_attention_mask_follows_the_previous_mask_over_all_frames():
    b, q, t, heads = 2, 4, 2, 2
    masks = torch.full((b, q, t, 8, 8), -1.0)
    masks[0, 0, 1, :4, :4] = 1.0  # query 0 of clip 0: frame 1, top-left quarter only
    attn = attention_mask(masks, (4, 4), heads)
    assert attn.shape == (b * heads, q, t * 16)
    allowed = ~attn[0, 0].view(t, 4, 4)
    assert allowed[1, :2, :2].all() and allowed.sum() == 4
    assert attn[0, 1].all()  # query 1 predicts nothing: every position masked
    assert torch.equal(attn[0], attn[1])  # rows are clip-major: b * heads + h
    assert attn[2, 0].all()  # clip 1 has no foreground anywhere


def test_fully_masked_queries_do_not_give_nan():
    torch.manual_seed(0)
    dec = _decoder()
    feats, mf = _features(1, 2)
    mf = mf * 0 - 100.0  # every mask logit very negative → every query's attention row masked
    with torch.no_grad():
        dec.mask_embed.layers[-1].bias.fill_(1.0)
        dec.mask_embed.layers[-1].weight.zero_()
    out = dec(feats, mf, num_frames=2)
    assert torch.isfinite(out["pred_logits"]).all()


def test_model_training_losses_and_eval_outputs():
    torch.manual_seed(0)
    model = build_mask2former(Mask2FormerConfig(**TINY_MODEL), 5)
    clips = torch.randint(0, 255, (2, 2, 3, 60, 90), dtype=torch.uint8)  # padded to 64x96
    masks = torch.zeros(1, 2, 60, 90)
    masks[0, :, 10:30, 20:50] = 1
    targets = [
        {"labels": torch.tensor([3]), "masks": masks},
        {"labels": torch.zeros(0, dtype=torch.long), "masks": torch.zeros(0, 2, 60, 90)},
    ]
    model.train()
    losses = model(clips, targets, generator=torch.Generator().manual_seed(0))
    assert set(losses) == {
        f"{k}{s}" for k in ("loss_ce", "loss_mask", "loss_dice") for s in ("", "_0", "_1", "_2")
    }
    assert losses["loss_ce"].item() == pytest.approx(
        2.0
        * model.criterion(  # the returned value is weighted by the config's class weight
            model.decode(*model.encode_frames(clips.flatten(0, 1)), 2),
            [
                {"labels": t["labels"], "masks": torch.nn.functional.pad(t["masks"], (0, 6, 0, 4))}
                for t in targets
            ],
            generator=torch.Generator().manual_seed(0),
        )["loss_ce"].item(),
        rel=1e-5,
    )
    sum(losses.values()).backward()
    assert model.decoder.query_feat.weight.grad is not None
    model.eval()
    with torch.no_grad():
        out = model(clips)
    assert out["pred_masks"].shape == (2, 4, 2, 16, 24)


def test_no_deep_supervision_has_final_terms_only():
    model = build_mask2former(Mask2FormerConfig(**{**TINY_MODEL, "deep_supervision": False}), 5)
    model.train()
    clips = torch.randint(0, 255, (1, 2, 3, 64, 96), dtype=torch.uint8)
    t = [{"labels": torch.tensor([1]), "masks": torch.ones(1, 2, 64, 96)}]
    assert set(model(clips, t)) == {"loss_ce", "loss_mask", "loss_dice"}


@pytest.mark.parametrize(
    "bad",
    [
        dict(backbone="vit"),
        dict(hidden_dim=30, nheads=4),
        dict(num_queries=0),
        dict(pixel_mean=(1, 2)),
        dict(num_queries=2.5),
        dict(dropout="0.1"),
    ],
)
def test_bad_model_settings_are_refused(bad):
    with pytest.raises(ValueError, match="model"):
        Mask2FormerConfig(**bad)
