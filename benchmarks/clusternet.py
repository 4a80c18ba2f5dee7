"""ClusterNet speed: optimisation steps, one online sequence, Sinkhorn, the baseline.

Usage: ``python benchmarks/clusternet.py [--device cpu] [--threads 1] [--frames 16]
[--paper-steps 1] [--paper-batch 1]``.

Prints, for the base (CPU) and the paper configuration: parameters, seconds per optimisation step
(forward + backward + Adam, one batch) at the configured input size, and the whole online schedule
of one synthetic sequence (``--frames`` frames of a two-motion flow field) with its seconds per
frame; then Sinkhorn (fp32, 3 iterations) and the motion-threshold baseline per frame. The paper
schedule (100 epochs, 50 steps per frame, batch 16 at 480x854) is extrapolated from measured steps
at ``--paper-batch`` (1 by default: one full batch of 16 takes minutes per step on a CPU).
Process CPU time and wall time are both shown: on a shared machine wall time also counts other
processes.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from vis_pipelines.clusternet.baseline import baseline_mask
from vis_pipelines.clusternet.config import ClusterNetParams
from vis_pipelines.clusternet.sequence import segment_sequence
from vis_pipelines.models.clusternet import build_clusternet, sinkhorn

ROOT = Path(__file__).resolve().parents[1]


def load(env: str, key: str = "clusternet") -> ClusterNetParams:
    """The segmentation parameters of ``conf/<env>/parameters_clusternet.yml``."""
    conf = yaml.safe_load((ROOT / f"conf/{env}/parameters_clusternet.yml").read_text())
    return ClusterNetParams(**conf[key]["segmentation"])


def two_motions(frames: int, size: tuple[int, int]) -> np.ndarray:
    """Incoming motion of frames 1..T-1: a panning camera and a moving square."""
    h, w = size
    side = max(4, min(h, w) // 5)
    out = np.empty((frames - 1, h, w, 2), np.float32)
    for t in range(1, frames):
        out[t - 1] = (1.0, 0.0)
        y, x = h // 4 + t, w // 4 + 2 * t
        out[t - 1, y : y + side, x : x + side] = (3.0, 2.0)
    return out


def timed(fn, repeat: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per call of ``fn``, after one warm-up call."""
    fn()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.process_time() - cpu) / repeat, (time.perf_counter() - wall) / repeat


def step_time(
    params: ClusterNetParams, size: tuple[int, int], device: str, repeat: int, batch: int
):
    """Seconds per online optimisation step (with the contrastive term) at network size."""
    model = build_clusternet(params.model).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    s = model.stride
    h, w = (max(s, round(v / s) * s) for v in size)
    x = torch.rand(batch, 3, h, w, device=device) * 2 - 1

    def step() -> None:
        out = model(x)
        optimiser.zero_grad(set_to_none=True)
        out["loss"].backward()
        optimiser.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    n = sum(p.numel() for p in model.parameters())
    return n, (h, w), *timed(step, repeat)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--paper-steps", type=int, default=1, help="timed paper-size steps")
    parser.add_argument("--paper-batch", type=int, default=1, help="batch of the timed steps")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, device {args.device}, {args.threads} CPU thread(s)")

    base = load("base")
    base = dataclasses.replace(
        base, online=dataclasses.replace(base.online, device=args.device, threads=args.threads)
    )
    size = base.online.input_size or (96, 160)
    n, net, cpu, wall = step_time(base, size, args.device, 20, base.online.batch_size)
    print(
        f"base  : {n} parameters, input {net}, batch {base.online.batch_size}: "
        f"{1e3 * cpu:.1f} ms CPU / {1e3 * wall:.1f} ms wall per step"
    )
    motions = two_motions(args.frames, (96, 160))
    gt = [np.zeros((96, 160), np.uint8)] * args.frames
    for mode in ("gt_free", "as_released"):
        cpu, wall = timed(lambda m=mode: segment_sequence(m, motions, base, name="b", gt=gt), 1)
        print(
            f"base  : {mode:11s} sequence of {args.frames} frames at 96x160: {cpu:.2f} s CPU / "
            f"{wall:.2f} s wall ({wall / (args.frames - 1):.3f} s per frame)"
        )

    paper = load("paper", "clusternet_davis16")
    online = paper.online
    n, net, cpu, wall = step_time(
        paper, (480, 854), args.device, args.paper_steps, args.paper_batch
    )
    step = wall * online.batch_size / args.paper_batch  # linear in the batch (compute-bound)
    per_seq = (online.pretrain_epochs * -(-69 // online.batch_size) + 69 * online.steps) * step
    print(
        f"paper : {n} parameters, input {net}: {wall:.2f} s wall per step at batch "
        f"{args.paper_batch} -> ~{step:.1f} s per batch-{online.batch_size} step, "
        f"~{online.steps * step:.0f} s per frame, ~{per_seq / 3600:.1f} h for a 70-frame DAVIS "
        "sequence with whole-sequence pre-training (extrapolated)"
    )
    scores = torch.rand(16 * 120 * 214, 30, device=args.device) * 2 - 1
    cpu, wall = timed(lambda: sinkhorn(scores, eps=0.05, iters=3), 5)
    print(f"sinkhorn: {scores.shape[0]} x 30 (one paper batch), {1e3 * wall:.1f} ms wall")
    flow = two_motions(2, (480, 854))[0]
    cpu, wall = timed(lambda: baseline_mask(flow), 10)
    print(f"baseline: {1e3 * wall:.1f} ms wall per 480x854 frame (affine fit + threshold)")


if __name__ == "__main__":
    main()
