"""Cost of the Cluster2Former loss next to the Mask2Former-VIS loss it replaces.

    python benchmarks/cluster2former.py                    # paper sizes (+ tiny), CPU and CUDA
    python benchmarks/cluster2former.py --repeat 20 --threads 2

Times the criterion alone — matching plus the losses of every decoder layer, forward and
backward — on random decoder outputs of the paper config (100 queries, 10 layers of outputs,
2 frames at 1/4 of 360×640) and of the tiny CPU config, for the same targets: Mask2Former-VIS's
Hungarian matching + point-sampled BCE/dice (12544 points per mask) against Cluster2Former's
majority vote + similarity constraint on 40 scribble points per instance. Peak memory on CUDA.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import yaml

from vis_pipelines.models.cluster2former import Cluster2FormerConfig, build_cluster_criterion
from vis_pipelines.models.config import Mask2FormerConfig
from vis_pipelines.models.vis_model import build_criterion

ROOT = Path(__file__).resolve().parents[1]
SIZES = {  # config file, crop (H, W), clips per step
    "tiny": (ROOT / "conf/base/parameters_cluster2former.yml", (96, 160), 4),
    "paper": (ROOT / "conf/paper/parameters_cluster2former.yml", (360, 640), 4),
}
NUM_CLASSES = 40


def _configs(name: str) -> tuple[Mask2FormerConfig, Cluster2FormerConfig]:
    params = yaml.safe_load(SIZES[name][0].read_text())["cluster2former"]["model"]
    params = {**params, "init_checkpoint": None, "backbone_weights": None}
    cluster = Cluster2FormerConfig(**params)
    base = {
        k: v for k, v in cluster.to_dict().items() if k in Mask2FormerConfig.__dataclass_fields__
    }
    m2f = yaml.safe_load((ROOT / SIZES[name][0].parent / "parameters_mask2former.yml").read_text())
    for key in ("train_num_points", "oversample_ratio", "importance_sample_ratio"):
        base[key] = m2f["mask2former"]["model"][key]
    return Mask2FormerConfig(**base), cluster


def _inputs(cfg: Cluster2FormerConfig, size: tuple[int, int], clips: int, device, seed: int = 0):
    """Random decoder outputs and targets (full masks + a scribble line inside each, background)."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    t = 2
    layers = cfg.dec_layers + 1

    def layer():
        return {
            "pred_logits": torch.randn(clips, cfg.num_queries, NUM_CLASSES + 1, generator=g),
            "pred_masks": torch.randn(clips, cfg.num_queries, t, h // 4, w // 4, generator=g),
        }

    outs = [layer() for _ in range(layers)]
    outputs = {**outs[-1], "aux_outputs": outs[:-1]}
    outputs = {
        k: ([{kk: vv.to(device).requires_grad_() for kk, vv in a.items()} for a in v] if k ==
            "aux_outputs" else v.to(device).requires_grad_())
        for k, v in outputs.items()
    }  # fmt: skip
    full, scribbled = [], []
    for _ in range(clips):
        n = int(torch.randint(1, 6, (1,), generator=g))
        masks = torch.zeros(n, t, h, w)
        strokes = torch.zeros(n, t, h, w)
        for i in range(n):
            y = int(torch.randint(0, h // 2, (1,), generator=g))
            x = int(torch.randint(0, w // 2, (1,), generator=g))
            masks[i, :, y : y + h // 3, x : x + w // 3] = 1
            strokes[i, :, y + h // 6, x + 2 : x + w // 3 - 2] = 1
        labels = torch.randint(0, NUM_CLASSES, (n,), generator=g)
        background = (masks.sum(0) == 0).float()
        stroke_bg = torch.zeros(t, h, w)
        stroke_bg[:, h - 4, :] = background[:, h - 4, :]
        full.append({"labels": labels.to(device), "masks": masks.to(device)})
        scribbled.append(
            {
                "labels": labels.to(device),
                "masks": strokes.to(device),
                "background": stroke_bg.to(device),
            }
        )
    return outputs, full, scribbled


def _time(criterion, outputs, targets, repeat: int, device) -> tuple[float, float]:
    gen = torch.Generator(device=device).manual_seed(0)
    times = []
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for i in range(repeat + 1):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        losses = criterion(outputs, targets, generator=gen)
        criterion.weighted_total(losses).backward()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i:  # the first call is warm-up
            times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else float("nan")
    return 1000 * sum(times) / len(times), peak


def main() -> None:
    """Print ms per criterion call (forward + backward) for both losses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["tiny", "paper"], choices=list(SIZES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"{'size':6} {'device':6} {'loss':28} {'ms/call':>9} {'peak MiB':>9}")
    for name in args.sizes:
        m2f_cfg, c2f_cfg = _configs(name)
        _, size, clips = SIZES[name]
        for device in devices:
            outputs, full, scribbled = _inputs(c2f_cfg, size, clips, device)
            rows = [
                ("Mask2Former (Hungarian+BCE/dice)", build_criterion(m2f_cfg, NUM_CLASSES), full),
                ("Cluster2Former (vote+constraint)",
                 build_cluster_criterion(c2f_cfg, NUM_CLASSES), scribbled),
            ]  # fmt: skip
            for label, criterion, targets in rows:
                ms, peak = _time(criterion.to(device), outputs, targets, args.repeat, device)
                print(f"{name:6} {device.type:6} {label:28} {ms:9.1f} {peak:9.0f}")


if __name__ == "__main__":
    main()
