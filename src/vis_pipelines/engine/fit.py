"""Fit a VIS model: one process, or DDP workers under torchrun when ``num_gpus > 1``.

The model is named by its builder (``"package.module:function"``, called as
``builder(config, num_classes)``), so the same job description runs in this process or is written
to a spec file for the torchrun workers (:mod:`.worker`).
"""

from __future__ import annotations

import importlib
import logging
import socket
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from vis_pipelines.datasets.training_run import TrainingRun
from vis_pipelines.datasets.video_set import VideoSet
from vis_pipelines.devices import resolve_device

from .clips import ClipDataset
from .config import TrainConfig
from .distributed import init_process_group, launch_workers, world_info
from .metrics_log import TrainingLog
from .train import compatible, train_model

__all__ = ["FitJob", "fit", "run_job", "load_builder"]

log = logging.getLogger(__name__)


@dataclass
class FitJob:
    """Everything a training process needs (picklable: it is the torchrun workers' spec)."""

    builder: str
    model_config: Any  # the family's frozen config dataclass (has ``to_dict()``)
    train_config: TrainConfig
    train_set: VideoSet
    categories: list[int]
    run: TrainingRun


def load_builder(path: str):
    """Import ``"package.module:function"``."""
    module, _, name = path.partition(":")
    if not name:
        raise ValueError(f"builder must look like 'package.module:function', got {path!r}")
    return getattr(importlib.import_module(module), name)


def run_job(
    job: FitJob, *, distributed: bool = False, stop_at: int | None = None
) -> dict[str, Any]:
    """Train in this process (one DDP rank when ``distributed``); returns the final state."""
    cfg = job.train_config
    device = resolve_device(cfg.device)
    if distributed:
        info = init_process_group(device.type)
        if device.type == "cuda":
            device = torch.device("cuda", info.local_rank)
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    torch.manual_seed(cfg.seed)
    model: nn.Module = load_builder(job.builder)(job.model_config, len(job.categories))
    dataset = ClipDataset(job.train_set, cfg, categories=job.categories)
    resume = job.run.load_checkpoint()
    rank = world_info().rank
    # Curves continue only when the checkpoint really resumes; a fresh run starts them anew.
    resuming = resume is not None and compatible(resume, job.model_config.to_dict(), cfg)
    training_log = TrainingLog(job.run.live_dir, resume=resuming) if rank == 0 else None
    ddp_wrap = None
    if distributed:

        def ddp_wrap(m: nn.Module) -> nn.Module:
            ids = [device.index] if device.type == "cuda" else None
            return nn.parallel.DistributedDataParallel(m, device_ids=ids)

    try:
        return train_model(
            model,
            dataset,
            cfg,
            device=device,
            model_config=job.model_config.to_dict(),
            resume=resume,
            save_checkpoint=job.run.save_checkpoint,
            training_log=training_log,
            stop_at=stop_at,
            ddp_wrap=ddp_wrap,
        )
    finally:
        if training_log is not None:
            training_log.close()


def fit(job: FitJob) -> dict[str, Any]:
    """Train ``job``; with ``num_gpus > 1`` through torchrun workers, else in this process."""
    n = job.train_config.num_gpus
    if n > 1:
        if not torch.cuda.is_available() or torch.cuda.device_count() < n:
            raise ValueError(
                f"train.num_gpus = {n}, but {torch.cuda.device_count()} CUDA device(s) are visible"
            )
        return spawn(job, n)
    return run_job(job)


def spawn(job: FitJob, nproc: int) -> dict[str, Any]:
    """Run ``job`` on ``nproc`` torchrun workers and return the checkpoint rank 0 wrote."""
    # One spec per host: on a shared filesystem every node of a multi-node run writes its own.
    spec = job.run.path / f"ddp_job_{socket.gethostname()}.pt"
    spec.parent.mkdir(parents=True, exist_ok=True)
    # The spec holds Python objects (configs, the dataset handle): a trusted file of our own.
    torch.save(job, spec)
    try:
        launch_workers(nproc, spec)
    finally:
        spec.unlink(missing_ok=True)
    state = job.run.load_checkpoint()
    if state is None:
        raise RuntimeError(f"distributed training left no checkpoint in {job.run.path}")
    return state
