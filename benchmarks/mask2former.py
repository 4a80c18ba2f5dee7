"""Mask2Former-VIS training speed and memory: it/s and peak memory for the tiny and paper configs.

    python benchmarks/mask2former.py                      # tiny + paper on CPU (and CUDA if present)
    python benchmarks/mask2former.py --configs tiny --steps 30 --threads 2

Each step is a full training step (forward, Hungarian matching, point-sampled losses over all
decoder layers, backward, AdamW) on random clips with random instance masks; the first steps are
warm-up and not timed. Peak memory: process max RSS on CPU, ``torch.cuda.max_memory_allocated``
on CUDA.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import torch
import yaml

from vis_pipelines.engine.config import TrainConfig
from vis_pipelines.engine.optim import build_optimizer
from vis_pipelines.models.config import Mask2FormerConfig
from vis_pipelines.models.vis_model import build_mask2former

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "tiny": ROOT / "conf/base/parameters_mask2former.yml",
    "paper": ROOT / "conf/paper/parameters_mask2former.yml",
}


def _load(name: str) -> tuple[Mask2FormerConfig, TrainConfig]:
    params = yaml.safe_load(CONFIGS[name].read_text())["mask2former"]
    model = {**params["model"], "init_checkpoint": None, "backbone_weights": None}
    return Mask2FormerConfig(**model), TrainConfig(**{**params["train"], "num_gpus": 1})


def _batch(cfg: TrainConfig, per_step: int, classes: int, device: torch.device, seed: int):
    g = torch.Generator().manual_seed(seed)
    h, w = cfg.crop_size
    t = cfg.num_frames
    clips = torch.randint(0, 255, (per_step, t, 3, h, w), generator=g, dtype=torch.uint8)
    targets = []
    for _ in range(per_step):
        n = int(torch.randint(1, 4, (1,), generator=g))
        masks = torch.zeros(n, t, h, w)
        for i in range(n):
            y, x = (
                int(torch.randint(0, h // 2, (1,), generator=g)),
                int(torch.randint(0, w // 2, (1,), generator=g)),
            )
            masks[i, :, y : y + h // 3, x : x + w // 3] = 1
        targets.append({"labels": torch.randint(0, classes, (n,), generator=g), "masks": masks})
    return clips.to(device), targets


def bench(name: str, device: torch.device, steps: int, warmup: int, batch: int | None) -> dict:
    """Time ``steps`` training steps of config ``name``; returns the figures."""
    model_cfg, train_cfg = _load(name)
    per_step = batch or train_cfg.batch_size
    classes = 40
    torch.manual_seed(0)
    model = build_mask2former(model_cfg, classes).to(device).train()
    opt = build_optimizer(model, train_cfg)
    clips, targets = _batch(train_cfg, per_step, classes, device, 0)
    use_amp = device.type == "cuda" and train_cfg.amp
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for step in range(warmup + steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        tic = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
            losses = model(clips, targets)
        loss = sum(v.float() for v in losses.values())
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step >= warmup:
            times.append(time.perf_counter() - tic)
    step_s = sum(times) / len(times)
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**30
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    return {
        "config": name,
        "device": str(device),
        "clips/step": per_step,
        "frames": f"{train_cfg.num_frames}x{train_cfg.crop_size[0]}x{train_cfg.crop_size[1]}",
        "params_M": sum(p.numel() for p in model.parameters()) / 1e6,
        "s/step": step_s,
        "it/s": 1.0 / step_s,
        "peak_GiB": peak,
    }


def main() -> None:
    """Parse arguments, run the benchmarks, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", default=["tiny", "paper"], choices=sorted(CONFIGS))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--paper-cpu-batch",
        type=int,
        default=1,
        help="clips per step for the paper config on CPU (its real batch is per-GPU sized)",
    )
    parser.add_argument("--cpu-only", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")]
    if torch.cuda.is_available() and not args.cpu_only:
        devices.append(torch.device("cuda"))
    rows = []
    for device in devices:
        for name in args.configs:
            batch = args.paper_cpu_batch if (name == "paper" and device.type == "cpu") else None
            steps = (
                max(2, args.steps // 5)
                if (name == "paper" and device.type == "cpu")
                else args.steps
            )
            rows.append(bench(name, device, steps, args.warmup, batch))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    head = ["config", "device", "clips/step", "frames", "params_M", "s/step", "it/s", "peak_GiB"]
    print(" | ".join(f"{h:>10}" for h in head))
    for r in rows:
        print(
            " | ".join(
                f"{r[h]:>10.3f}" if isinstance(r[h], float) else f"{r[h]!s:>10}" for h in head
            )
        )


if __name__ == "__main__":
    main()
