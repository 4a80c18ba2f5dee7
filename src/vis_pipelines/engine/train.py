"""The training loop shared by every VIS family: AdamW, schedule, clipping, AMP, checkpoints, resume.

A run is a pure function of its configuration: clips are drawn from ``(seed, sample index)`` (see
:mod:`.clips`) and the point-sampling generator's state travels in the checkpoint, so a run killed
and resumed from its last checkpoint ends with the same weights as an uninterrupted run (on CPU;
CUDA kernels are not bit-deterministic). A non-finite loss stops the run with the step and the term.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from .clips import ClipDataset, StepSampler, collate_clips
from .config import TrainConfig
from .distributed import WorldInfo, all_reduce_mean, world_info
from .metrics_log import TrainingLog
from .optim import build_optimizer, build_scheduler

__all__ = ["train_model", "NonFiniteLossError", "training_state", "compatible", "BOOKKEEPING"]

log = logging.getLogger(__name__)

# Settings that change how a run is carried out, not what it computes: a checkpoint written under
# other values of these still resumes.
BOOKKEEPING = ("device", "checkpoint_every", "log_every", "num_workers", "threads", "num_gpus")


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or infinite; the message names the step and the term."""


def _run_record(model_config: dict[str, Any], cfg: TrainConfig) -> dict[str, Any]:
    train = {k: v for k, v in cfg.to_dict().items() if k not in BOOKKEEPING}
    return {"model": model_config, "train": train}


def compatible(state: dict[str, Any], model_config: dict[str, Any], cfg: TrainConfig) -> bool:
    """True when ``state`` was written by a run with the same model and training settings."""
    want = _run_record(model_config, cfg)
    got = state.get("config") or {}
    # A setting added after the checkpoint was written is missing from it: its default is what
    # that run used (new settings default to the old behaviour), so it still resumes.
    got_train = {**_run_record({}, TrainConfig())["train"], **got.get("train", {})}
    norm = lambda d: {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}  # noqa: E731
    return norm(got.get("model", {})) == norm(want["model"]) and norm(got_train) == norm(
        want["train"]
    )


def training_state(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    scaler: torch.amp.GradScaler,
    step: int,
    config: dict[str, Any],
    generator: torch.Generator,
) -> dict[str, Any]:
    """The DESIGN.md checkpoint dict ``{model, optimizer, scheduler, scaler, step, config, rng_state}``."""
    rng: dict[str, Any] = {"torch": torch.get_rng_state(), "points": generator.get_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return {
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "step": int(step),
        "config": config,
        "rng_state": rng,
    }


def _check_finite(losses: dict[str, torch.Tensor], step: int) -> None:
    for name, value in losses.items():
        if not torch.isfinite(value).all():
            raise NonFiniteLossError(
                f"training stopped at step {step}: loss term {name!r} is {value.item()} "
                "(lower the learning rate, check the data, or disable AMP)"
            )


def train_model(
    model: nn.Module,
    dataset: ClipDataset,
    cfg: TrainConfig,
    *,
    device: torch.device,
    model_config: dict[str, Any],
    resume: dict[str, Any] | None = None,
    save_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    training_log: TrainingLog | None = None,
    stop_at: int | None = None,
    ddp_wrap: Callable[[nn.Module], nn.Module] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on clips of ``dataset`` for ``cfg.max_steps`` steps; returns the final state.

    Args:
        model: a model whose ``forward(clips, targets, generator=...)`` returns weighted losses.
        dataset: training clips.
        cfg: optimisation and bookkeeping settings.
        device: where to train.
        model_config: the model's configuration (stored in checkpoints, checked on resume).
        resume: a checkpoint to continue from (ignored, with a warning, if its settings differ).
        save_checkpoint: called with the state every ``cfg.checkpoint_every`` steps and at the end
            (rank 0 only under DDP).
        training_log: metrics sink (loss terms, learning rate) every ``cfg.log_every`` steps.
        stop_at: stop after this step without finishing (tests of resume; ``None``: run to the end).
        ddp_wrap: wraps the model for distributed data parallel (set by the torchrun worker).
    """
    world: WorldInfo = world_info()
    per_rank = cfg.batch_size // world.size
    model.to(device)
    model.train()
    optimizer = build_optimizer(model, cfg)
    scheduler = build_scheduler(optimizer, cfg)
    use_amp = cfg.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
    generator = torch.Generator(device=device)
    generator.manual_seed(cfg.seed * 1000003 + world.rank)
    torch.manual_seed(cfg.seed)
    record = _run_record(model_config, cfg)
    start = 0
    if resume is not None:
        if compatible(resume, model_config, cfg):
            model.load_state_dict(resume["model"])
            optimizer.load_state_dict(resume["optimizer"])
            scheduler.load_state_dict(resume["scheduler"])
            scaler.load_state_dict(resume["scaler"])
            rng = resume.get("rng_state") or {}
            if "torch" in rng:
                torch.set_rng_state(rng["torch"])
            if "points" in rng:
                generator.set_state(rng["points"])
            if "cuda" in rng and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(rng["cuda"])
            start = int(resume["step"])
            log.info("resuming training at step %d of %d", start, cfg.max_steps)
        else:
            log.warning("checkpoint settings differ from the configuration: training from scratch")
    net = ddp_wrap(model) if ddp_wrap is not None else model
    loader = DataLoader(
        dataset,
        batch_size=per_rank,
        sampler=StepSampler(
            start_step=start,
            max_steps=cfg.max_steps,
            per_rank=per_rank,
            rank=world.rank,
            world=world.size,
        ),
        collate_fn=collate_clips,
        num_workers=cfg.num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=False,
    )
    params = [p for p in model.parameters() if p.requires_grad]
    autocast = (
        (lambda: torch.autocast("cuda", dtype=torch.float16))
        if use_amp
        else (lambda: nullcontext())
    )
    step = start
    saved: dict[str, Any] | None = None  # the state last handed to save_checkpoint
    bar = tqdm(
        total=cfg.max_steps,
        initial=start,
        desc="train",
        unit="it",
        disable=None if world.rank == 0 else True,
    )
    tic = time.perf_counter()
    try:
        for clips, targets in loader:
            clips = clips.to(device, non_blocking=True)
            with autocast():
                losses = net(clips, targets, generator=generator)
            losses = {k: v.float() for k, v in losses.items()}
            _check_finite(losses, step)
            total = sum(losses.values())
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(total).backward()
            if cfg.clip_grad_norm is not None:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(params, cfg.clip_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            step += 1
            bar.update(1)
            if step % cfg.log_every == 0 or step == cfg.max_steps:
                values = {k: all_reduce_mean(v.detach()) for k, v in losses.items()}
                loss = sum(values.values())
                bar.set_postfix(loss=f"{loss:.3f}")
                if training_log is not None and world.rank == 0:
                    elapsed = time.perf_counter() - tic
                    training_log.log(
                        step,
                        {
                            "loss": loss,
                            **_grouped(values),
                            "lr": scheduler.get_last_lr()[0],
                            "it_per_s": (step - start) / max(elapsed, 1e-9),
                        },
                    )
            done = step == cfg.max_steps
            if (
                save_checkpoint is not None
                and world.rank == 0
                and (done or step % cfg.checkpoint_every == 0)
            ):
                saved = training_state(model, optimizer, scheduler, scaler, step, record, generator)
                save_checkpoint(saved)
            if stop_at is not None and step >= stop_at:
                break
    finally:
        bar.close()
    elapsed = time.perf_counter() - tic
    if step > start:
        log.info(
            "trained steps %d-%d in %.1f s (%.2f it/s)",
            start,
            step,
            elapsed,
            (step - start) / elapsed,
        )
    if saved is not None and saved["step"] == step:
        return saved  # the final checkpoint is the final state: not copied a second time
    return training_state(model, optimizer, scheduler, scaler, step, record, generator)


def _grouped(values: dict[str, float]) -> dict[str, float]:
    """Final-layer terms as they are, plus each term summed over the auxiliary layers."""
    out: dict[str, float] = {}
    for name, value in values.items():
        head, _, tail = name.rpartition("_")
        if tail.isdigit():
            out[f"{head}_aux"] = out.get(f"{head}_aux", 0.0) + value
        else:
            out[name] = value
    return {k: v for k, v in out.items() if math.isfinite(v)}
