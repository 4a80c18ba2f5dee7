"""Training loop: exact resume, NaN stop naming step and term, checkpoints, learning, logs."""

from __future__ import annotations

import pytest
import torch
from engine_helpers import tiny_model_config, tiny_train_config, tiny_video_set

from vis_pipelines.datasets.training_run import TrainingRun
from vis_pipelines.engine.clips import ClipDataset
from vis_pipelines.engine.fit import FitJob, run_job
from vis_pipelines.engine.train import NonFiniteLossError, compatible, train_model
from vis_pipelines.models.vis_model import build_mask2former

BUILDER = "vis_pipelines.models.vis_model:build_mask2former"


def _job(tmp_path, name: str, **train) -> FitJob:
    videos = tiny_video_set()
    return FitJob(
        builder=BUILDER,
        model_config=tiny_model_config(),
        train_config=tiny_train_config(**train),
        train_set=videos,
        categories=sorted(c["id"] for c in videos.categories),
        run=TrainingRun(tmp_path / name),
    )


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_killed_and_resumed_run_ends_with_the_same_weights(tmp_path):
    full = run_job(_job(tmp_path, "full", max_steps=4, checkpoint_every=2))
    job = _job(tmp_path, "killed", max_steps=4, checkpoint_every=2)
    # "Kill" after step 3: the last checkpoint on disk is the one of step 2.
    run_job(job, stop_at=3)
    assert job.run.load_checkpoint()["step"] == 2
    resumed = run_job(_job(tmp_path, "killed", max_steps=4, checkpoint_every=2))
    assert resumed["step"] == full["step"] == 4
    assert _same_weights(resumed["model"], full["model"])
    assert not _same_weights(full["model"], run_job(_job(tmp_path, "s1", seed=1))["model"])


def test_checkpoint_has_the_design_keys_and_resumes_only_matching_settings(tmp_path):
    job = _job(tmp_path, "run", max_steps=2, checkpoint_every=1)
    state = run_job(job)
    saved = job.run.load_checkpoint()
    assert set(saved) == {
        "model",
        "optimizer",
        "scheduler",
        "scaler",
        "step",
        "config",
        "rng_state",
    }
    assert saved["step"] == 2
    assert _same_weights(saved["model"], state["model"])
    assert compatible(saved, job.model_config.to_dict(), job.train_config)
    # Bookkeeping settings do not block a resume; the learning rate does.
    assert compatible(
        saved, job.model_config.to_dict(), tiny_train_config(max_steps=2, log_every=7)
    )
    assert not compatible(saved, job.model_config.to_dict(), tiny_train_config(max_steps=2, lr=0.5))
    # A checkpoint from before a setting existed (here copy_paste_prob) ran with its default.
    old = {**saved, "config": {**saved["config"], "train": dict(saved["config"]["train"])}}
    del old["config"]["train"]["copy_paste_prob"]
    assert compatible(old, job.model_config.to_dict(), job.train_config)
    assert not compatible(
        old, job.model_config.to_dict(), tiny_train_config(max_steps=2, copy_paste_prob=0.5)
    )


def test_changed_settings_train_from_scratch(tmp_path, caplog):
    run_job(_job(tmp_path, "run", max_steps=2))
    with caplog.at_level("WARNING"):
        state = run_job(_job(tmp_path, "run", max_steps=2, lr=5e-4))
    assert "from scratch" in caplog.text
    assert state["step"] == 2


class _Exploding(torch.nn.Module):
    """Model whose dice loss turns NaN at the third step."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(()))
        self.calls = 0

    def forward(self, clips, targets, generator=None):
        self.calls += 1
        bad = torch.tensor(float("nan")) if self.calls == 3 else torch.tensor(0.0)
        return {"loss_ce": self.w * 1.0, "loss_dice": self.w * 2.0 + bad}


def test_non_finite_loss_stops_with_step_and_term():
    ds = ClipDataset(tiny_video_set(), tiny_train_config())
    with pytest.raises(NonFiniteLossError, match=r"step 2: loss term 'loss_dice' is nan"):
        train_model(
            _Exploding(),
            ds,
            tiny_train_config(max_steps=5, clip_grad_norm=None),
            device=torch.device("cpu"),
            model_config={},
        )


def test_training_reduces_the_loss_on_a_fixed_clip():
    torch.manual_seed(0)
    videos = tiny_video_set()
    cfg = tiny_train_config(scale_range=(1.0, 1.0), flip_prob=0.0)
    ds = ClipDataset(videos, cfg)
    from vis_pipelines.engine.clips import collate_clips

    clips, targets = collate_clips([ds[0], ds[1]])
    model = build_mask2former(tiny_model_config(), len(videos.categories))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    model.train()
    first = None
    for _ in range(40):
        loss = sum(model(clips, targets, generator=gen).values())
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.6 * first


def test_training_log_writes_dvclive_series(tmp_path):
    job = _job(tmp_path, "logged", max_steps=3, log_every=1)
    run_job(job)
    series = job.run.live_dir / "plots" / "metrics" / "train"
    loss = (series / "loss.tsv").read_text().splitlines()
    assert loss[0].split("\t") == ["step", "loss"]
    assert [int(row.split("\t")[0]) for row in loss[1:]] == [1, 2, 3]
    assert (series / "loss_dice_aux.tsv").is_file() and (series / "lr.tsv").is_file()
