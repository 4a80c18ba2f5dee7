"""Fine-tuning torchvision RAFT on ground-truth flow (SynthVIS) with RAFT's training recipe.

Recipe (Teed & Deng, ECCV 2020, sec. 4): sequence loss with ``gamma``, AdamW, one-cycle learning
rate with linear annealing over ``steps + 100`` steps (their code's schedule length), gradient
clipping, random crops and horizontal flips; BatchNorm layers are frozen when starting from
pretrained weights, as RAFT does for every stage after FlyingChairs. Seeded: the same config gives
the same weights.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import asdict
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from vis_pipelines.datasets import FlowSequences
from vis_pipelines.formats import FormatError

from .config import FinetuneConfig
from .loss import sequence_loss
from .padding import InputPadder
from .raft import build_raft, frames_to_raft_input, load_raft, resolve_device
from .sources import FrameSequences, as_frame_sequences

__all__ = ["FlowPairSampler", "finetune_raft"]

logger = logging.getLogger(__name__)


def _where(flows: FlowSequences) -> str:
    return str(flows.root) if flows.root is not None else "<memory>"


class FlowPairSampler:
    """Random training pairs ``(frame t, frame t + gap, GT flow t -> t + gap)`` of ``sequences``.

    Ground-truth flow files are named after frame ``t`` (``FlowSequences`` convention). Sequences
    are loaded on demand and a few are kept in memory, so large sets never sit in memory whole.
    """

    def __init__(
        self,
        frames: FrameSequences,
        gt: FlowSequences,
        sequences: list[str],
        *,
        gap: int = 1,
        crop: tuple[int, int] | None = None,
        flip: bool = True,
        rng: np.random.Generator,
        cache_size: int = 8,
    ) -> None:
        self.frames, self.gt, self.gap = frames, gt, int(gap)
        self.crop, self.flip, self.rng = crop, flip, rng
        self.pairs: list[tuple[str, int, int]] = []  # (seq, index of t, index of the flow)
        for seq in sequences:
            index = {name: t for t, name in enumerate(frames.frame_names(seq))}
            for k, name in enumerate(gt.frame_names(seq)):
                t = index.get(name)
                if t is None or t + self.gap not in range(len(index)):
                    raise FormatError(
                        f"ground-truth flow {name!r} has no frame pair (t, t{self.gap:+d})",
                        source=_where(gt),
                        record=f"sequence {seq}",
                    )
                self.pairs.append((seq, t, k))
        if not self.pairs:
            raise ValueError(f"no ground-truth flow in sequences {sequences[:5]}...")
        self._load = functools.lru_cache(maxsize=cache_size)(self._load_sequence)

    def _load_sequence(self, seq: str) -> tuple[np.ndarray, np.ndarray]:
        frames, flows = self.frames.load_frames(seq), self.gt.load(seq)
        if frames.shape[1:3] != flows.shape[1:3]:
            raise FormatError(
                f"flow is {flows.shape[1:3]} but frames are {frames.shape[1:3]}",
                source=_where(self.gt),
                record=f"sequence {seq}",
            )
        if self.crop is not None and (
            self.crop[0] > frames.shape[1] or self.crop[1] > frames.shape[2]
        ):
            raise ValueError(
                f"finetune.crop {list(self.crop)} is larger than the "
                f"{frames.shape[1]}x{frames.shape[2]} frames of sequence {seq}"
            )
        return frames, flows

    def sample(self, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """uint8 ``[B, h, w, 3]`` first and second frames and float32 ``[B, h, w, 2]`` flows."""
        picks = self.rng.integers(0, len(self.pairs), size=batch_size)
        first, second, flows = [], [], []
        for p in picks:
            seq, t, k = self.pairs[int(p)]
            frames, gt = self._load(seq)
            a, b, f = frames[t], frames[t + self.gap], gt[k]
            if self.crop is not None:
                ch, cw = self.crop
                y = int(self.rng.integers(0, a.shape[0] - ch + 1))
                x = int(self.rng.integers(0, a.shape[1] - cw + 1))
                a, b, f = (arr[y : y + ch, x : x + cw] for arr in (a, b, f))
            if self.flip and self.rng.random() < 0.5:
                # Mirroring the image mirrors the motion: u changes sign, v does not.
                a, b, f = a[:, ::-1], b[:, ::-1], f[:, ::-1] * np.array([-1.0, 1.0], np.float32)
            first.append(a)
            second.append(b)
            flows.append(f)
        shapes = {x.shape for x in first}
        if len(shapes) > 1:
            raise ValueError(
                f"training frames differ in size {sorted(shapes)}; set finetune.crop to a size "
                "that fits every sequence"
            )
        return np.stack(first), np.stack(second), np.stack(flows).astype(np.float32)


def _freeze_batchnorm(model: torch.nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.eval()


def finetune_raft(
    frames: object,
    gt: FlowSequences,
    sequences: list[str],
    config: FinetuneConfig,
    *,
    init_state: dict[str, torch.Tensor] | None = None,
    gap: int = 1,
) -> dict[str, Any]:
    """Fine-tune a RAFT model on ``sequences`` and return a checkpoint dict.

    The checkpoint follows the project contract ``{model, optimizer, scheduler, scaler, step,
    config, rng_state}`` (plus ``history``: loss and training-batch EPE per step). ``init_state``
    is a torchvision state dict to start from; without it the model starts from random weights.
    """
    source = as_frame_sequences(frames)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    if init_state is not None:
        model = load_raft(init_state, config.arch, source=config.init_weights or "init_state")
    else:
        model = build_raft(config.arch)
        logger.warning(
            "RAFT fine-tuning starts from RANDOM weights (finetune.init_weights is null); "
            "put torchvision's %s weights under data/06_models/pretrained/ and set it for a "
            "useful model",
            config.arch,
        )
    device = resolve_device(config.device)
    amp = config.amp and device.type == "cuda"
    model.to(device)
    sampler = FlowPairSampler(
        source, gt, sequences, gap=gap, crop=config.crop, flip=config.flip, rng=rng
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, eps=1e-8
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=config.lr,
        total_steps=config.steps + 100,
        pct_start=0.05,
        cycle_momentum=False,
        anneal_strategy="linear",
    )
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    logger.info(
        "Fine-tuning %s on %d pairs of %d sequences: %d steps, batch %d, %s, %s init",
        config.arch,
        len(sampler.pairs),
        len(sequences),
        config.steps,
        config.batch_size,
        device,
        "pretrained" if init_state is not None else "random",
    )
    history: dict[str, list[float]] = {"loss": [], "epe": []}
    start = time.perf_counter()
    model.train()
    if init_state is not None:
        _freeze_batchnorm(model)
    progress = tqdm(range(config.steps), desc=f"finetune {config.arch}", unit="step")
    for step in progress:
        a, b, f = sampler.sample(config.batch_size)
        x1, x2 = frames_to_raft_input(a, device), frames_to_raft_input(b, device)
        target = torch.from_numpy(f).to(device).permute(0, 3, 1, 2)
        valid = torch.linalg.vector_norm(target, dim=1) < config.max_flow
        padder = InputPadder(*x1.shape[-2:], multiple=8, min_size=config.min_size)
        x1, x2 = padder.pad(x1, x2)
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            predictions = model(x1, x2, num_flow_updates=config.iterations)
        predictions = [padder.unpad(p).float() for p in predictions]
        loss = sequence_loss(predictions, target, valid, gamma=config.gamma)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        with torch.no_grad():
            epe = torch.linalg.vector_norm(predictions[-1] - target, dim=1)[valid].mean()
        history["loss"].append(loss.item())
        history["epe"].append(epe.item())
        progress.set_postfix(loss=f"{history['loss'][-1]:.3f}", epe=f"{history['epe'][-1]:.2f}")
        if (step + 1) % config.log_every == 0 or step + 1 == config.steps:
            window = slice(max(0, step + 1 - config.log_every), step + 1)
            logger.info(
                "finetune step %d/%d: loss %.3f, train EPE %.3f px (mean of last %d steps)",
                step + 1,
                config.steps,
                float(np.mean(history["loss"][window])),
                float(np.mean(history["epe"][window])),
                len(history["loss"][window]),
            )
    seconds = time.perf_counter() - start
    logger.info("Fine-tuning done: %d steps in %.1f s", config.steps, seconds)
    model.eval()
    return {
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict() if amp else None,
        "step": config.steps,
        "config": {
            **asdict(config),
            "crop": list(config.crop) if config.crop else None,
            "sequences": list(sequences),
            "gap": gap,
            "seconds": seconds,
        },
        "rng_state": {"torch": torch.get_rng_state(), "numpy": rng.bit_generator.state},
        "history": history,
    }
