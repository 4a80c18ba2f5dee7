"""Speed of the SynthVIS generator: videos/s and frames/s for the default config and for 480x854.

Usage: ``python benchmarks/bench_synthvis.py [--threads 1] [--hd-videos 6]``. Generation is
in-memory only (no file writing); OpenCV runs on ``--threads`` threads (default 1: one core).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import cv2

from vis_pipelines.synth import SPLITS, SynthConfig, build_categories, generate_video


def bench(cfg: SynthConfig, label: str, per_split: dict[str, int]) -> None:
    """Generate ``per_split[split]`` videos of each split and print throughput."""
    categories = build_categories(cfg)
    n_videos = n_frames = n_objects = 0
    start = time.perf_counter()
    for split in SPLITS:
        for index in range(per_split[split]):
            video = generate_video(cfg, split, index, categories)
            n_videos += 1
            n_frames += video.num_frames
            n_objects += len(video.objects)
    seconds = time.perf_counter() - start
    print(
        f"{label:>34}: {n_videos:4d} videos, {n_frames:5d} frames, {n_objects:4d} objects in "
        f"{seconds:6.2f} s -> {n_videos / seconds:7.2f} videos/s, "
        f"{n_frames / seconds:8.1f} frames/s"
    )


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1)")
    parser.add_argument("--hd-videos", type=int, default=6, help="videos per split at 480x854")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    print(f"SynthVIS generator, OpenCV threads: {args.threads}")
    cfg = SynthConfig()
    bench(
        cfg,
        "default (96x160, 60/20/20 videos)",
        {"train": cfg.n_train, "valid": cfg.n_valid, "test": cfg.n_test},
    )
    hd = dataclasses.replace(cfg, height=480, width=854)
    n = args.hd_videos
    bench(hd, f"480x854 ({n}/{n}/{n} videos)", {split: n for split in SPLITS})
    hd_clean = dataclasses.replace(hd, noise_std=0.0, lighting_amplitude=0.0)
    bench(hd_clean, "480x854, no noise/lighting", {split: n for split in SPLITS})


if __name__ == "__main__":
    main()
