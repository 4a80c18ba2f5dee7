"""RAFT fine-tuning on ground-truth flow: training pairs, determinism, the checkpoint contract."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from flow_helpers import translated_video

from vis_pipelines.datasets import DAVISSequences, FlowSequences, TorchCheckpointDataset
from vis_pipelines.datasets.checkpoint import CHECKPOINT_KEYS
from vis_pipelines.flow import (
    FinetuneConfig,
    FlowPairSampler,
    OpticalFlowParams,
    build_plan,
    finetune_raft,
    load_raft_weights,
)
from vis_pipelines.formats import FormatError

H, W = 24, 32


def _data(dx: float = 1.0) -> tuple[DAVISSequences, FlowSequences]:
    videos = {
        "s0": translated_video(3, H, W, dx, 0.0, seed=4),
        "s1": translated_video(4, H, W, dx, 0.0, seed=5),
    }
    frames = DAVISSequences(
        sequences={
            k: (lambda v=v: (v, np.zeros(v.shape[:3], np.uint8))) for k, v in videos.items()
        },
        imagesets={"train": ["s0", "s1"]},
    )

    def gt(n: int):
        flow = np.zeros((n - 1, H, W, 2), np.float32)
        flow[..., 0] = dx
        return lambda: ([f"{t:05d}" for t in range(n - 1)], flow)

    return frames, FlowSequences(flows={"s0": gt(3), "s1": gt(4)})


def test_sampler_crops_and_flips() -> None:
    frames, gt = _data()
    sampler = FlowPairSampler(
        frames, gt, ["s0", "s1"], crop=(16, 24), flip=True, rng=np.random.default_rng(0)
    )
    assert len(sampler.pairs) == 2 + 3
    first, second, flow = sampler.sample(32)
    assert first.shape == second.shape == (32, 16, 24, 3) and flow.shape == (32, 16, 24, 2)
    # Flipped samples move left (u = -1), the others right; v stays 0.
    u = flow[:, 0, 0, 0]
    assert set(np.unique(u)) == {-1.0, 1.0} and np.all(flow[..., 1] == 0)
    with pytest.raises(ValueError, match="larger than"):
        FlowPairSampler(frames, gt, ["s0"], crop=(64, 64), rng=np.random.default_rng(0)).sample(1)
    broken = FlowSequences(flows={"s0": lambda: (["00002"], np.zeros((1, H, W, 2), np.float32))})
    with pytest.raises(FormatError, match="has no frame pair"):
        FlowPairSampler(frames, broken, ["s0"], rng=np.random.default_rng(0))


def test_finetune_is_seeded_and_follows_the_checkpoint_contract(tmp_path: Path, caplog) -> None:
    frames, gt = _data()
    cfg = FinetuneConfig(steps=2, batch_size=1, iterations=2, seed=3, log_every=1)
    with caplog.at_level(logging.WARNING):
        ckpt = finetune_raft(frames, gt, ["s0", "s1"], cfg)
    assert "RANDOM weights" in caplog.text
    assert set(CHECKPOINT_KEYS) <= set(ckpt) and ckpt["step"] == 2
    assert ckpt["config"]["arch"] == "raft_small" and ckpt["config"]["sequences"] == ["s0", "s1"]
    assert len(ckpt["history"]["loss"]) == 2 and np.isfinite(ckpt["history"]["loss"]).all()
    again = finetune_raft(frames, gt, ["s0", "s1"], cfg)
    for name, tensor in ckpt["model"].items():
        torch.testing.assert_close(again["model"][name], tensor, rtol=0, atol=0)
    # Saved and reloaded through the catalog dataset (weights-only unpickler).
    dataset = TorchCheckpointDataset(filepath=str(tmp_path / "raft_finetuned.pt"))
    dataset.save(ckpt)
    loaded = dataset.load()
    assert loaded["step"] == 2
    # The checkpoint is what the raft_small_finetuned method runs.
    params = OpticalFlowParams(methods=["raft_small_finetuned"], raft={"iterations": 2})
    plan = build_plan(frames, params, finetuned=loaded)
    (task,) = plan.tasks
    assert task.config["trained"] == {"steps": 2, "init": "random", "sequences": 2}
    _, video = plan.load("s0")
    (batch,) = list(plan.run(task, video))
    assert batch.flows.shape == (2, H, W, 2)
    # The checkpoint loads as initial weights too (the "model" entry is used).
    assert (
        load_raft_weights(tmp_path / "raft_finetuned.pt", "raft_small").keys()
        == ckpt["model"].keys()
    )


def test_finetuned_method_must_match_the_checkpoint_arch() -> None:
    frames, _ = _data()
    params = OpticalFlowParams(methods=["raft_large_finetuned"])
    with pytest.raises(ValueError, match="holds a raft_small model"):
        build_plan(
            frames, params, finetuned={"model": {}, "step": 0, "config": {"arch": "raft_small"}}
        )
