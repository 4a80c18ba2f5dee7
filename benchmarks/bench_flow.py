"""Optical-flow speed at 480x854 and accuracy on SynthVIS for every method of the flow pipeline.

Usage: ``python benchmarks/bench_flow.py [--pairs 6] [--raft-pairs 2] [--checkpoint PATH]
[--raft-small-weights PATH] [--raft-large-weights PATH] [--device cpu]``.

Speed: frame pairs per second of the estimator alone (frames in memory -> flow array), after one
warm-up call, on SynthVIS frames rendered at 480x854 (DAVIS 480p). RAFT's speed does not depend on
its weights, so RAFT runs with random weights when no file is given (speed only). Accuracy: EPE /
EPE_noc / Fl-all on the SynthVIS validation videos of the default generator config (96x160),
generated in memory; RAFT is scored only with real weights or the pipeline's fine-tuned checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from vis_pipelines.flow import (
    DISFlow,
    FarnebackFlow,
    FlowErrorTotals,
    RaftFlow,
    build_raft,
    load_raft,
    load_raft_weights,
)
from vis_pipelines.synth import SynthConfig, build_categories, generate_video

CLASSICAL = ("dis_ultrafast", "dis_fast", "dis_medium", "farneback")


def classical(name: str):
    """The OpenCV estimator called ``name``."""
    return FarnebackFlow() if name == "farneback" else DISFlow(name.removeprefix("dis_"))


def raft(arch: str, weights: Path | None, device: str, *, name: str | None = None) -> RaftFlow:
    """RAFT with the given weights (random when None: valid for timing only)."""
    if weights is None:
        torch.manual_seed(0)
        model = build_raft(arch)
    else:
        model = load_raft(load_raft_weights(weights, arch), arch, source=weights)
    return RaftFlow(model, name=name or arch, iterations=12, batch_size=1, device=device)


def speed(estimator, frames: np.ndarray, pairs: int) -> float:
    """Pairs per second over ``pairs`` consecutive pairs, after one warm-up pair."""
    estimator.estimate(frames[:1], frames[1:2])
    start = time.perf_counter()
    for t in range(pairs):
        estimator.estimate(frames[t : t + 1], frames[t + 1 : t + 2])
    return pairs / (time.perf_counter() - start)


def accuracy(estimator, videos: list) -> dict[str, float]:
    """EPE / EPE_noc / Fl-all of ``estimator`` on ``videos`` (SynthVideo with GT flow)."""
    totals = FlowErrorTotals()
    for video in videos:
        first, second = video.frames[:-1], video.frames[1:]
        flow = np.concatenate(
            [
                estimator.estimate(first[t : t + 8], second[t : t + 8])
                for t in range(0, len(first), 8)
            ]
        )
        totals.update(flow, video.flow, video.occluded)
    return totals.summary()


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=6, help="timed pairs per OpenCV method")
    parser.add_argument("--raft-pairs", type=int, default=2, help="timed pairs per RAFT model")
    parser.add_argument("--epe-videos", type=int, default=20, help="SynthVIS valid videos scored")
    parser.add_argument(
        "--checkpoint", type=Path, default=Path("data/06_models/optical_flow/raft_finetuned.pt")
    )
    parser.add_argument("--raft-small-weights", type=Path, default=None)
    parser.add_argument("--raft-large-weights", type=Path, default=None)
    parser.add_argument("--device", default="cpu", help="RAFT device (cpu, cuda, auto)")
    parser.add_argument("--skip-raft-large", action="store_true")
    args = parser.parse_args()
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), OpenCV {cv2.__version__} "
        f"({cv2.getNumThreads()} threads), RAFT device {args.device}"
    )

    hd_cfg = dataclasses.replace(
        SynthConfig(), height=480, width=854, min_frames=args.pairs + 2, max_frames=args.pairs + 2
    )
    hd = generate_video(hd_cfg, "valid", 0, build_categories(hd_cfg)).frames
    print(f"\nSpeed at {hd.shape[1]}x{hd.shape[2]} (frame pairs/s, estimator only):")
    for name in CLASSICAL:
        fps = speed(classical(name), hd, args.pairs)
        print(f"  {name:22s} {fps:8.2f} fps  {1000 / fps:9.1f} ms/pair")
    rafts = [("raft_small", args.raft_small_weights)]
    if not args.skip_raft_large:
        rafts.append(("raft_large", args.raft_large_weights))
    for arch, weights in rafts:
        fps = speed(raft(arch, weights, args.device), hd, args.raft_pairs)
        note = "" if weights else "  (random weights: timing only)"
        print(f"  {arch:22s} {fps:8.2f} fps  {1000 / fps:9.1f} ms/pair{note}")

    cfg = SynthConfig()
    categories = build_categories(cfg)
    videos = [generate_video(cfg, "valid", i, categories) for i in range(args.epe_videos)]
    pairs = sum(len(v.flow) for v in videos)
    print(
        f"\nAccuracy on SynthVIS valid ({len(videos)} videos, {pairs} pairs, "
        f"{cfg.height}x{cfg.width}, gap 1):"
    )
    rows = {"zero_flow (reference)": None, **{name: classical(name) for name in CLASSICAL}}
    for arch, weights in rafts:
        if weights is not None:
            rows[arch] = raft(arch, weights, args.device)
    if args.checkpoint.is_file():
        rows["raft_small_finetuned"] = raft(
            "raft_small", args.checkpoint, args.device, name="raft_small_finetuned"
        )
    else:
        print(f"  (no fine-tuned checkpoint at {args.checkpoint}; run the optical_flow pipeline)")
    print(f"  {'method':22s} {'EPE':>7s} {'EPE_noc':>8s} {'Fl-all %':>9s}")
    for name, estimator in rows.items():
        if estimator is None:
            totals = FlowErrorTotals()
            for video in videos:
                totals.update(np.zeros_like(video.flow), video.flow, video.occluded)
            scores = totals.summary()
        else:
            scores = accuracy(estimator, videos)
        print(f"  {name:22s} {scores['EPE']:7.3f} {scores['EPE_noc']:8.3f} {scores['Fl_all']:9.2f}")


if __name__ == "__main__":
    main()
