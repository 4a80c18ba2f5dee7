"""AdamW parameter groups and the learning-rate schedules."""

from __future__ import annotations

import math

import pytest
import torch
from engine_helpers import tiny_model_config, tiny_train_config

from vis_pipelines.engine.optim import build_optimizer, build_scheduler, lr_factor
from vis_pipelines.models.vis_model import build_mask2former


def test_groups_backbone_lr_and_no_decay_for_norms_and_embeddings():
    model = build_mask2former(tiny_model_config(), 5)
    cfg = tiny_train_config(lr=1e-4, backbone_lr_multiplier=0.1, weight_decay=0.05)
    opt = build_optimizer(model, cfg)
    by_param = {id(p): g for g in opt.param_groups for p in g["params"]}
    named = dict(model.named_parameters())
    assert by_param[id(named["backbone.stem.0.0.weight"])]["lr"] == pytest.approx(1e-5)
    assert by_param[id(named["decoder.class_embed.weight"])]["lr"] == pytest.approx(1e-4)
    assert by_param[id(named["decoder.class_embed.weight"])]["weight_decay"] == 0.05
    assert by_param[id(named["decoder.decoder_norm.weight"])]["weight_decay"] == 0.0
    assert by_param[id(named["decoder.query_feat.weight"])]["weight_decay"] == 0.0
    assert by_param[id(named["backbone.stem.0.1.weight"])]["weight_decay"] == 0.0  # GroupNorm
    assert sum(len(g["params"]) for g in opt.param_groups) == len(
        [p for p in model.parameters() if p.requires_grad]
    )


def test_poly_step_and_warmup_factors():
    poly = tiny_train_config(max_steps=100, schedule="poly", poly_power=0.9)
    assert lr_factor(0, poly) == 1.0
    assert lr_factor(50, poly) == pytest.approx(0.5**0.9)
    assert lr_factor(100, poly) == 0.0
    step = tiny_train_config(
        max_steps=100, schedule="step", step_milestones=(30, 60), step_gamma=0.1
    )
    assert [lr_factor(s, step) for s in (0, 29, 30, 59, 60)] == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01]
    )
    warm = tiny_train_config(max_steps=100, schedule="step", warmup_steps=10)
    assert lr_factor(0, warm) == pytest.approx(0.1)
    assert lr_factor(9, warm) == pytest.approx(1.0)


def test_scheduler_follows_the_factor():
    model = torch.nn.Linear(2, 2)
    cfg = tiny_train_config(max_steps=10, lr=2.0, warmup_steps=0)
    opt = build_optimizer(model, cfg)
    sched = build_scheduler(opt, cfg)
    for s in range(1, 5):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(2.0 * (1 - s / 10) ** 0.9)
    assert math.isclose(lr_factor(10, cfg), 0.0)


@pytest.mark.parametrize(
    "bad",
    [
        dict(batch_size=3, num_gpus=2),
        dict(schedule="cosine"),
        dict(lr=0),
        dict(crop_size=(8,)),
        dict(lr="1e-3"),
        dict(amp="yes"),
        dict(max_steps=10.5),
    ],
)
def test_bad_train_settings_are_refused(bad):
    with pytest.raises(ValueError, match="train"):
        tiny_train_config(**bad)
