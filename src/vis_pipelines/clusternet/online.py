"""ClusterNet's per-sequence schedule: pre-training, then online optimisation frame by frame.

For the sequence's causal flow images (frame 1, 2, ... in order; see ``flow_input``), the model is

1. pre-trained on reconstruction only: ``scope="causal"`` on the first flow alone (the only one
   available when the first prediction is due), ``scope="sequence"`` on every flow of the sequence
   (what the released code does: its per-sequence checkpoints are trained on the whole video, which
   lets later frames shape early predictions, so that scope is not online);
2. given data-driven prototypes (``seed_prototypes``): k-means++ placement on the pre-training
   flows' embeddings, and at every new frame the prototypes no pixel of it uses are moved onto its
   embeddings (a motion first seen late gets prototypes too);
3. optimised online: when frame t arrives, ``steps`` Adam steps on batches holding frame t and
   ``batch_size - 1`` frames drawn (seeded) from frames 1..t, then frame t is clustered: each
   pixel goes to its prototype under the saliency-balanced Sinkhorn assignment (or the nearest).

Frame t's clustering therefore depends on flows of frames <= t only (with the causal scope). Every
random draw comes from ``seed`` and the sequence name; nothing depends on the sequence length.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from vis_pipelines.devices import resolve_device
from vis_pipelines.models.clusternet import ClusterNet, ClusterNetConfig, build_clusternet

from .flow_input import flow_to_input

__all__ = ["OnlineConfig", "OnlineResult", "sequence_seed", "cluster_online"]

logger = logging.getLogger(__name__)

PRETRAIN_SCOPES = ("causal", "sequence")

# (frame index in the input, step, cluster ids [H, W] at output size) -> None
StepCallback = Callable[[int, int, np.ndarray], None]


@dataclass(frozen=True)
class OnlineConfig:
    """Schedule of one sequence (the paper: 100 pre-training epochs, 50 steps, batch 16)."""

    pretrain_epochs: int = 100
    pretrain_scope: str = "causal"  # causal | sequence (as released; not online)
    steps: int = 50  # optimisation steps per incoming frame
    batch_size: int = 16
    lr: float = 1.0e-3
    input_size: tuple[int, int] | None = None  # network input (h, w); None: the flow's size
    min_magnitude: float = 0.5  # px: colour-wheel scale floor (see flow_input.flow_to_input)
    seed_prototypes: bool = True  # k-means++ placement after pre-training, unused ones per frame
    balanced_assignment: bool = True  # labels from saliency-balanced Sinkhorn, not nearest
    seed: int = 0
    device: str = "auto"
    threads: int | None = None  # torch CPU threads; None: torch's default

    def __post_init__(self) -> None:
        if self.pretrain_scope not in PRETRAIN_SCOPES:
            raise ValueError(f"pretrain_scope must be one of {PRETRAIN_SCOPES}")
        for name in ("pretrain_epochs", "steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"clusternet online: {name} must be >= 0")
        if self.batch_size < 1 or self.lr <= 0:
            raise ValueError("clusternet online: batch_size must be >= 1 and lr > 0")
        if self.input_size is not None:
            size = tuple(int(v) for v in self.input_size)
            if len(size) != 2 or min(size) < 1:
                raise ValueError(f"input_size must be [h, w] or null, got {self.input_size}")
            object.__setattr__(self, "input_size", size)
        if self.threads is not None and self.threads < 1:
            raise ValueError("clusternet online: threads must be >= 1 or null")


@dataclass
class OnlineResult:
    """Per frame of the input: final cluster ids (``[N, H, W]`` int16) and training figures."""

    labels: np.ndarray
    loss: list[float] = field(default_factory=list)  # last step's loss per frame
    contrast: list[float] = field(default_factory=list)
    pretrain_steps: int = 0


def sequence_seed(seed: int, name: str) -> int:
    """The seed of one sequence: the run's seed mixed with the sequence name (order-free)."""
    return (int(seed) * 1_000_003 + zlib.crc32(name.encode())) % 2**31


def _network_size(size: tuple[int, int], stride: int) -> tuple[int, int]:
    """``size`` rounded to the nearest multiple of the stride (at least one stride)."""
    return tuple(max(stride, int(round(s / stride)) * stride) for s in size)  # type: ignore


def _inputs(motions: np.ndarray, config: OnlineConfig, stride: int) -> torch.Tensor:
    """Colour-wheel images of the motions at the network's input size, ``Tensor[N, 3, h, w]``."""
    rgb = torch.from_numpy(flow_to_input(motions, min_magnitude=config.min_magnitude))
    size = _network_size(config.input_size or motions.shape[1:3], stride)
    if tuple(rgb.shape[-2:]) != size:
        rgb = F.interpolate(rgb, size=size, mode="bilinear", align_corners=False, antialias=True)
    return rgb.contiguous()


def _step(
    model: ClusterNet, optimiser: torch.optim.Optimizer, batch: torch.Tensor, *, contrast: bool
) -> dict[str, torch.Tensor]:
    out = model(batch, contrast=contrast)
    optimiser.zero_grad(set_to_none=True)
    out["loss"].backward()
    optimiser.step()
    return out


def cluster_online(
    motions: np.ndarray,
    *,
    model_config: ClusterNetConfig,
    config: OnlineConfig,
    name: str = "sequence",
    on_step: StepCallback | None = None,
) -> OnlineResult:
    """Cluster the pixels of every frame of a sequence online.

    Args:
        motions: incoming motion of frames 1..T-1, float32 ``[N, H, W, 2]`` at the output size.
        model_config: architecture and loss settings.
        config: schedule.
        name: the sequence name (part of its seed).
        on_step: called after each online step's forward pass with frame ``i``'s cluster ids at
            output size, before the update (the released code's candidates for its best-step
            oracle).

    Returns:
        Final cluster ids per frame: frame ``i`` is clustered once its ``steps`` updates are done.
    """
    if motions.ndim != 4 or motions.shape[-1] != 2:
        raise ValueError(f"motions must be [N, H, W, 2], got {motions.shape}")
    n, out_h, out_w = motions.shape[:3]
    device = resolve_device(config.device)
    if config.threads is not None and device.type == "cpu":
        torch.set_num_threads(config.threads)
    seed = sequence_seed(config.seed, name)
    rng = np.random.default_rng(seed)
    model = build_clusternet(model_config, seed=seed).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    inputs = _inputs(motions, config, model.stride).to(device)
    labels = np.zeros((n, out_h, out_w), dtype=np.int16)
    result = OnlineResult(labels=labels)
    if n == 0:
        return result

    def labels_of(assignment: torch.Tensor) -> np.ndarray:
        up = F.interpolate(assignment, size=(out_h, out_w), mode="bilinear", align_corners=False)
        return up[0].argmax(0).cpu().numpy().astype(np.int16)

    def assignment_of(scores: torch.Tensor, salient: torch.Tensor) -> torch.Tensor:
        if config.balanced_assignment:
            return model.balanced_assignment(scores, salient)
        return scores

    # Pre-training: reconstruction only, on what the scope allows.
    pool = n if config.pretrain_scope == "sequence" else 1
    per_epoch = -(-pool // config.batch_size)
    for _ in range(config.pretrain_epochs):
        order = rng.permutation(pool)
        for k in range(per_epoch):
            chunk = order[k * config.batch_size : (k + 1) * config.batch_size]
            _step(model, optimiser, inputs[chunk], contrast=False)
            result.pretrain_steps += 1
    generator = torch.Generator().manual_seed(seed)
    if config.seed_prototypes:
        # At most one batch of the pre-training flows, spread over them (bounded memory).
        picks = np.unique(np.linspace(0, pool - 1, min(pool, config.batch_size)).round())
        model.seed_prototypes(inputs[picks.astype(np.int64)], generator=generator)
    for i in range(n):
        if config.seed_prototypes and i > 0:
            # A motion first seen now gets the prototypes no pixel of this frame uses.
            model.seed_prototypes(inputs[i : i + 1], only_unused=True, generator=generator)
        out = None
        for step in range(config.steps):
            # Frame i first, then a seeded draw from frames 0..i (all of them already seen).
            extra = rng.integers(0, i + 1, size=config.batch_size - 1)
            batch = inputs[np.concatenate([[i], extra]).astype(np.int64)]
            out = _step(model, optimiser, batch, contrast=True)
            if on_step is not None:
                with torch.no_grad():
                    scores = out["scores"][:1].detach()
                    on_step(i, step, labels_of(assignment_of(scores, out["salient"][:1])))
        if out is not None:
            result.loss.append(float(out["loss"].detach()))
            result.contrast.append(float(out["contrast"].detach()))
        with torch.no_grad():
            x = inputs[i : i + 1]
            scores = model.scores(x)
            labels[i] = labels_of(assignment_of(scores, model.salient(x, scores.shape[-2:])))
    return result
