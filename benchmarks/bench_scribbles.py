"""Speed and stroke statistics of the scribble generator on 720p masks, against a reference.

The reference is the straightforward version of the same protocol, on the whole frame: scikit-image
opening (disk footprint) with the shrinking radius, ``medial_axis``, a networkx 8-neighbour graph
built in a Python loop, networkx spanning tree and Dijkstra sweeps, the same Catmull-Rom Bézier
evaluated in Python, ``skimage.draw.line`` rasterisation. It needs ``scikit-image`` and ``networkx``
(benchmark only: ``pip install scikit-image networkx``).

Usage: ``python benchmarks/bench_scribbles.py [--masks 200] [--reference-masks 20] [--threads 1]
[--synthvis-videos 4]``. Prints masks/s and ms per mask (library, library at full skeleton
resolution, with RLE decode/encode, reference), the speed ratio, coverage / stroke length /
strokes per mask, and how close library and reference strokes are, on two mask sets: ellipses (as
in the published generator's measurement) and mixed shapes (rings, bars, stars, two blobs, thin
lines, border-touching and tiny objects); then whole SynthVIS videos rendered at 720p.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Callable

import cv2
import numpy as np

from vis_pipelines.formats import encode_mask
from vis_pipelines.formats.rle_strict import decode_rle_box
from vis_pipelines.scribbles import ScribbleConfig, encode_pixels, scribble_mask
from vis_pipelines.scribbles.bezier import bezier_curve, resample_path
from vis_pipelines.scribbles.scribble import scribble_box

H, W = 720, 1280


# ----------------------------------------------------------------------------- mask sets
def ellipse_masks(n: int, seed: int) -> list[np.ndarray]:
    """Filled ellipses of random size (semi-axes 15-320 px), aspect and orientation."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        a = float(np.exp(rng.uniform(np.log(15), np.log(320))))
        b = a * rng.uniform(0.25, 1.0)
        cx, cy = rng.uniform(a, W - a), rng.uniform(min(a, H / 2), max(H - a, H / 2))
        m = np.zeros((H, W), np.uint8)
        cv2.ellipse(m, (int(cx), int(cy)), (int(a), int(b)), rng.uniform(0, 180), 0, 360, 1, -1)
        out.append(m)
    return out


def mixed_masks(n: int, seed: int) -> list[np.ndarray]:
    """Rings, bars, stars, two blobs, thin lines, border-touching and tiny objects at 720p."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        m = np.zeros((H, W), np.uint8)
        kind = i % 7
        cx, cy, s = (
            int(rng.uniform(200, W - 200)),
            int(rng.uniform(150, H - 150)),
            rng.uniform(30, 140),
        )
        if kind == 0:  # ring
            cv2.circle(m, (cx, cy), int(s), 1, max(3, int(s / 3)))
        elif kind == 1:  # bar
            angle = rng.uniform(0, np.pi)
            d = np.array([np.cos(angle), np.sin(angle)]) * s * 2
            cv2.line(
                m,
                (int(cx - d[0]), int(cy - d[1])),
                (int(cx + d[0]), int(cy + d[1])),
                1,
                max(4, int(s / 4)),
            )
        elif kind == 2:  # star
            t = np.arange(10) * np.pi / 5 + rng.uniform(0, np.pi)
            r = np.where(np.arange(10) % 2 == 0, s * 1.5, s * 0.6)
            pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1).astype(np.int32)
            cv2.fillPoly(m, [pts], 1)
        elif kind == 3:  # two blobs
            cv2.circle(m, (cx - int(s), cy), int(s * 0.6), 1, -1)
            cv2.ellipse(
                m, (cx + int(s), cy + int(s / 2)), (int(s * 0.8), int(s * 0.4)), 30, 0, 360, 1, -1
            )
        elif kind == 4:  # thin curve
            xs = np.linspace(cx - 2 * s, cx + 2 * s, 50)
            ys = cy + s * 0.5 * np.sin((xs - cx) / s * 2)
            cv2.polylines(
                m, [np.stack([xs, ys], 1).astype(np.int32)], False, 1, int(rng.integers(1, 4))
            )
        elif kind == 5:  # touching the frame border
            cv2.ellipse(m, (0, cy), (int(s * 2), int(s)), 0, 0, 360, 1, -1)
        else:  # tiny
            m[cy : cy + int(rng.integers(1, 4)), cx : cx + int(rng.integers(1, 4))] = 1
        out.append(m)
    return out


# ----------------------------------------------------------------------------- reference
def reference_scribble(
    mask: np.ndarray, config: ScribbleConfig, rng: np.random.Generator
) -> np.ndarray:
    """The straightforward implementation (skimage + networkx + Python loops); returns a mask."""
    import networkx as nx
    from skimage.draw import line
    from skimage.morphology import medial_axis, opening

    mask = mask.astype(bool)
    area = int(mask.sum())
    if area == 0:
        return np.zeros(mask.shape, np.uint8)
    r = min(config.radius_factor * math.sqrt(area), config.radius_cap)
    opened = None
    while r >= 1.0:
        k = int(math.floor(r))
        yy, xx = np.mgrid[-k : k + 1, -k : k + 1]
        opened = opening(mask, yy**2 + xx**2 <= r * r)
        if opened.any():
            break
        r *= config.shrink_factor
        opened = None
    if opened is None:
        opened = mask
    skeleton = medial_axis(opened)
    graph = nx.Graph()
    ys, xs = np.nonzero(skeleton)
    for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
        graph.add_node((y, x))
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if (dy or dx) and 0 <= y + dy < mask.shape[0] and 0 <= x + dx < mask.shape[1]:
                    if skeleton[y + dy, x + dx]:
                        graph.add_edge(
                            (y, x),
                            (y + dy, x + dx),
                            weight=math.hypot(dy, dx) + rng.random() * 1e-4,
                        )
    components = [c for c in nx.connected_components(graph)]
    kept = [c for c in components if len(c) >= config.min_component_size] or [
        max(components, key=len)
    ]
    out = np.zeros(mask.shape, np.uint8)
    for comp in kept:
        tree = nx.minimum_spanning_tree(graph.subgraph(comp))
        start = next(iter(sorted(comp)))
        dist = nx.single_source_dijkstra_path_length(tree, start)
        end_a = max(dist, key=dist.get)
        dist, paths = nx.single_source_dijkstra(tree, end_a)
        end_b = max(dist, key=dist.get)
        path = np.array(paths[end_b], float)
        curve = bezier_curve(resample_path(path, config.bezier_spacing), config.bezier_samples)
        pts = np.rint(curve).astype(int)
        for (y0, x0), (y1, x1) in zip(pts[:-1], pts[1:], strict=True):
            rr, cc = line(y0, x0, y1, x1)
            ok = (rr >= 0) & (rr < mask.shape[0]) & (cc >= 0) & (cc < mask.shape[1])
            out[rr[ok], cc[ok]] = 1
        if len(pts) == 1:
            out[pts[0][0], pts[0][1]] = 1
    out &= mask.astype(np.uint8)
    if not out.any():
        out[
            np.unravel_index(
                np.argmax(cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)), mask.shape
            )
        ] = 1
    return out


# ----------------------------------------------------------------------------- measurement
@dataclasses.dataclass
class Result:
    seconds: list[float]
    coverage: float  # % of mask pixels
    pixels: float  # stroke pixels per mask
    strokes: float  # strokes per mask (library only)


def run_library(masks: list[np.ndarray], config: ScribbleConfig, seed: int = 0) -> Result:
    """Time ``scribble_mask`` on every mask (one call per mask, fresh seeded generator)."""
    times, pixels, strokes, area = [], 0, 0, 0
    for i, m in enumerate(masks):
        rng = np.random.default_rng([seed, i])
        t0 = time.perf_counter()
        s = scribble_mask(m, config, rng)
        times.append(time.perf_counter() - t0)
        assert m[s.ys, s.xs].all() and s.pixels > 0
        pixels += s.pixels
        strokes += s.strokes
        area += int(m.sum())
    return Result(times, 100.0 * pixels / area, pixels / len(masks), strokes / len(masks))


def run_end_to_end(masks: list[np.ndarray], config: ScribbleConfig) -> list[float]:
    """Per-mask time of the pipeline's work: checked RLE decode of the box, scribble, encode."""
    rles = [encode_mask(m) for m in masks]
    times = []
    for i, rle in enumerate(rles):
        t0 = time.perf_counter()
        box, y0, x0 = decode_rle_box(rle)
        s = scribble_box(box, y0, x0, config, np.random.default_rng([0, i]))
        encode_pixels(s.ys, s.xs, H, W)
        times.append(time.perf_counter() - t0)
    return times


def run_reference(
    masks: list[np.ndarray], config: ScribbleConfig
) -> tuple[Result, list[np.ndarray]]:
    """Time the reference on every mask; also return its strokes."""
    times, pixels, area, strokes = [], 0, 0, []
    for i, m in enumerate(masks):
        rng = np.random.default_rng([0, i])
        t0 = time.perf_counter()
        out = reference_scribble(m, config, rng)
        times.append(time.perf_counter() - t0)
        assert not (out & (m == 0)).any() and out.any()
        pixels += int(out.sum())
        area += int(m.sum())
        strokes.append(out)
    return Result(times, 100.0 * pixels / area, pixels / len(masks), float("nan")), strokes


def agreement(masks: list[np.ndarray], reference: list[np.ndarray], config: ScribbleConfig) -> str:
    """Median per-mask stroke-length ratio (library / reference) and mean distance between them."""
    ratios, distances = [], []
    for i, (m, ref) in enumerate(zip(masks, reference, strict=True)):
        lib = scribble_mask(m, config, np.random.default_rng([0, i])).to_mask(m.shape)
        ratios.append(lib.sum() / ref.sum())
        # Symmetric mean distance: every pixel of one stroke to the nearest pixel of the other.
        to_ref = cv2.distanceTransform((ref == 0).astype(np.uint8), cv2.DIST_L2, 5)
        to_lib = cv2.distanceTransform((lib == 0).astype(np.uint8), cv2.DIST_L2, 5)
        distances.append((to_ref[lib == 1].mean() + to_lib[ref == 1].mean()) / 2)
    return (
        f"stroke length library/reference: median {np.median(ratios):.2f} "
        f"(quartiles {np.percentile(ratios, 25):.2f}-{np.percentile(ratios, 75):.2f}); "
        f"mean distance between the strokes {np.mean(distances):.1f} px"
    )


def _line(label: str, r: Result | list[float], extra: str = "") -> str:
    sec = np.asarray(r.seconds if isinstance(r, Result) else r)
    text = (
        f"{label:>34}: {1.0 / sec.mean():8.1f} masks/s, {1e3 * sec.mean():8.2f} ms/mask "
        f"(median {1e3 * np.median(sec):.2f}, p95 {1e3 * np.percentile(sec, 95):.2f})"
    )
    if isinstance(r, Result):
        text += f", coverage {r.coverage:.3f}%, {r.pixels:.0f} px/mask"
        if not math.isnan(r.strokes):
            text += f", {r.strokes:.2f} strokes/mask"
    return text + extra


def bench(name: str, make: Callable[[int, int], list[np.ndarray]], n: int, n_ref: int) -> None:
    """Print the figures for one mask set."""
    masks = make(n, 0)
    config = ScribbleConfig()
    print(f"\n{name}: {n} masks at {W}x{H} (mean area {np.mean([m.sum() for m in masks]):.0f} px)")
    run_library(masks[:5], config)  # warm-up (imports, lookup tables)
    lib = run_library(masks, config)
    print(_line("library (default)", lib))
    full = run_library(masks, dataclasses.replace(config, skeleton_size=0))
    print(_line("library, full-res skeleton", full))
    print(_line("library + RLE decode/encode", run_end_to_end(masks, config)))
    if n_ref:
        sub = masks[:n_ref]
        ref, ref_strokes = run_reference(sub, config)
        lib_sub = run_library(sub, config)
        ratio = np.mean(ref.seconds) / np.mean(lib_sub.seconds)
        print(_line(f"reference ({n_ref} masks)", ref))
        print(_line(f"library, same {n_ref} masks", lib_sub, f" -> {ratio:.0f}x faster"))
        print(f"{'':>34}  {agreement(sub, ref_strokes, config)}")


def bench_synthvis(n_videos: int) -> None:
    """Per-video scribbling (decode, objects, background, encode) of SynthVIS videos at 720p."""
    from vis_pipelines.scribbles import scribble_video
    from vis_pipelines.synth import SynthConfig
    from vis_pipelines.synth.layouts import SynthVISSource, build_ytvis

    cfg = dataclasses.replace(SynthConfig(), height=H, width=W, n_train=n_videos)
    data = build_ytvis(SynthVISSource(cfg), "train").data
    config = ScribbleConfig()
    rows, seconds = [], 0.0
    for video in data["videos"]:
        anns = [a for a in data["annotations"] if a["video_id"] == video["id"]]
        t0 = time.perf_counter()
        rows += scribble_video(video, anns, config).stats
        seconds += time.perf_counter() - t0
    obj = [r for r in rows if r["kind"] == "object"]
    bg = [r for r in rows if r["kind"] == "background"]
    masks = sum(r["frames"] for r in rows)
    coverage = 100.0 * sum(r["scribble_pixels"] for r in obj) / sum(r["mask_pixels"] for r in obj)
    bg_coverage = 100.0 * sum(r["scribble_pixels"] for r in bg) / sum(r["mask_pixels"] for r in bg)
    print(
        f"\nSynthVIS at {W}x{H} ({n_videos} videos, {masks} masks incl. backgrounds): "
        f"{masks / seconds:.1f} masks/s, {1e3 * seconds / masks:.2f} ms/mask end to end; "
        f"object coverage {coverage:.3f}%, background coverage {bg_coverage:.3f}%"
    )


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--masks", type=int, default=200, help="masks per set for the library")
    parser.add_argument(
        "--reference-masks", type=int, default=20, help="masks per set for the reference (0: skip)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="OpenCV threads (default 1: one core)"
    )
    parser.add_argument(
        "--synthvis-videos", type=int, default=4, help="SynthVIS videos at 720p (0: skip)"
    )
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    print(f"Scribble generator, OpenCV threads: {args.threads}")
    bench("ellipses", ellipse_masks, args.masks, args.reference_masks)
    bench("mixed shapes", mixed_masks, args.masks, args.reference_masks)
    if args.synthvis_videos:
        bench_synthvis(args.synthvis_videos)


if __name__ == "__main__":
    main()
