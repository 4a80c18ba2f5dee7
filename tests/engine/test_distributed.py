"""DDP: the torchrun command, and a real two-process (gloo, CPU) training run through the worker."""

from __future__ import annotations

import sys

import pytest
import torch
from engine_helpers import tiny_model_config, tiny_train_config, tiny_video_set

from vis_pipelines.datasets import YTVISDataset
from vis_pipelines.datasets.training_run import TrainingRun
from vis_pipelines.engine import fit as fit_module
from vis_pipelines.engine.distributed import torchrun_command, world_info
from vis_pipelines.engine.fit import FitJob, fit, spawn


def test_torchrun_command_single_and_multi_node(monkeypatch):
    monkeypatch.delenv("VIS_TORCHRUN_ARGS", raising=False)
    cmd = torchrun_command(4, "spec.pt")
    assert cmd[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--standalone" in cmd and "--nproc_per_node=4" in cmd
    assert cmd[-3:] == ["-m", "vis_pipelines.engine.worker", "spec.pt"]
    monkeypatch.setenv("VIS_TORCHRUN_ARGS", "--nnodes=2 --node_rank=1 --rdzv_endpoint=h:29500")
    multi = torchrun_command(8, "spec.pt")
    assert "--standalone" not in multi
    assert {"--nnodes=2", "--node_rank=1", "--rdzv_endpoint=h:29500"} <= set(multi)


def test_single_process_world():
    assert world_info().size == 1 and world_info().rank == 0


def test_more_gpus_than_visible_is_refused(tmp_path):
    videos = tiny_video_set()
    job = FitJob(
        builder="vis_pipelines.models.vis_model:build_mask2former",
        model_config=tiny_model_config(),
        train_config=tiny_train_config(num_gpus=2),
        train_set=videos,
        categories=sorted(c["id"] for c in videos.categories),
        run=TrainingRun(tmp_path),
    )
    if torch.cuda.device_count() >= 2:
        pytest.skip("this machine has two GPUs")
    with pytest.raises(ValueError, match="num_gpus = 2"):
        fit(job)


@pytest.mark.slow
def test_two_gloo_processes_train_and_rank0_writes_the_checkpoint(tmp_path, monkeypatch):
    monkeypatch.delenv("VIS_TORCHRUN_ARGS", raising=False)
    # On disk: the workers receive the dataset by pickle (paths, not in-memory generators).
    files = YTVISDataset(
        json_path=str(tmp_path / "train.json"), frames_dir=str(tmp_path / "JPEGImages")
    )
    files.save(tiny_video_set())
    videos = files.load()
    job = FitJob(
        builder="vis_pipelines.models.vis_model:build_mask2former",
        model_config=tiny_model_config(),
        train_config=tiny_train_config(max_steps=2, batch_size=2, num_gpus=2, checkpoint_every=1),
        train_set=videos,
        categories=sorted(c["id"] for c in videos.categories),
        run=TrainingRun(tmp_path / "ddp"),
    )
    state = spawn(job, 2)  # CPU: the workers use the gloo backend
    assert state["step"] == 2
    assert not list((tmp_path / "ddp").glob("ddp_job_*.pt"))  # the spec is removed
    # DDP keeps replicas identical, so rank 0's weights are the trained model (they moved).
    init = fit_module.load_builder(job.builder)(job.model_config, len(job.categories))
    moved = [k for k, v in init.state_dict().items() if not torch.equal(v, state["model"][k])]
    assert moved
