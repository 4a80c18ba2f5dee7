"""Command line, no Kedro needed.

    python -m vis_pipelines.evaluation ytvis --gt ann.json --results results.json [--json out.json]
    python -m vis_pipelines.evaluation davis --gt-root GT --pred-root PRED --task semi
    python -m vis_pipelines.evaluation export --gt valid.json --results results.json --out sub.zip

``--json`` writes the official numbers as fractions in [0, 1] with -1 where undefined (ytvis: the
twelve cocoeval stats; davis: J&F-Mean, J-Mean, ... as the DAVIS toolkit names them). DAVIS tasks:
semi (DAVIS-2017 semi-supervised), unsupervised (DAVIS-2017 unsupervised), binary (DAVIS-2016
foreground, also FBMS / SegTrackV2).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..formats.atomic import atomic_write_json
from ..formats.errors import FormatError
from ..formats.ytvis import load_json, load_ytvis_json
from .davis import davis_scores, read_davis_folders
from .submission import export_submission
from .ytvis import STAT_NAMES, category_split_ap, format_summary, run_ytvis_eval

__all__ = ["main", "build_parser"]

_DAVIS_OFFICIAL = {
    "J&F-Mean": "JF_mean",
    "J-Mean": "J_mean",
    "J-Recall": "J_recall",
    "J-Decay": "J_decay",
    "F-Mean": "F_mean",
    "F-Recall": "F_recall",
    "F-Decay": "F_decay",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m vis_pipelines.evaluation``."""
    ap = argparse.ArgumentParser(
        prog="python -m vis_pipelines.evaluation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="command", required=True)
    y = sub.add_parser("ytvis", help="YouTube-VIS / OVIS / LV-VIS / BURST / SynthVIS mask AP")
    y.add_argument("--gt", required=True, type=Path, help="annotation json (YouTube-VIS format)")
    y.add_argument("--results", required=True, type=Path, help="results json")
    y.add_argument(
        "--split-field",
        default=None,
        help="category field for AP per group: partition / split (LV-VIS, SynthVIS), "
        "frequency (BURST)",
    )
    y.add_argument("--json", type=Path, default=None, help="write the 12 stats (fractions) here")
    y.add_argument(
        "--workers",
        type=int,
        default=None,
        help="threads for the compiled kernels (same numbers; default: the CPUs this process "
        "may use)",
    )
    y.add_argument("--per-video", type=Path, default=None, help="per-video table (csv)")
    y.add_argument("--per-category", type=Path, default=None, help="per-category table (csv)")
    d = sub.add_parser("davis", help="DAVIS J&F (semi-supervised, unsupervised, DAVIS-2016 binary)")
    d.add_argument(
        "--gt-root", required=True, type=Path, help="folder with one PNG folder per sequence"
    )
    d.add_argument("--pred-root", required=True, type=Path, help="same layout with predictions")
    d.add_argument("--task", default="semi", choices=["semi", "unsupervised", "binary"])
    d.add_argument(
        "--sequences",
        default=None,
        help="sequence names, comma separated, or a text file with one per line "
        "(ImageSets/2017/val.txt); default: every folder under --gt-root",
    )
    d.add_argument("--json", type=Path, default=None, help="write the summary (fractions) here")
    d.add_argument("--per-object", type=Path, default=None, help="per-object table (csv)")
    e = sub.add_parser(
        "export", help="check results against a split json and zip them for a server"
    )
    e.add_argument("--gt", required=True, type=Path, help="the split's json (valid/test)")
    e.add_argument("--results", required=True, type=Path)
    e.add_argument(
        "--out", required=True, type=Path, help="zip to write (results.json at its root)"
    )
    e.add_argument("--top-k", type=int, default=None, help="keep the k best predictions per video")
    e.add_argument("--max-mb", type=float, default=None, help="size budget of the zip in MB")
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap


def _official(x: float) -> float:
    return -1.0 if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _sequences(arg: str | None) -> list[str] | None:
    if not arg:
        return None
    path = Path(arg)
    if path.is_file():
        return [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    return [s.strip() for s in arg.split(",") if s.strip()]


def _usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _run_ytvis(args: argparse.Namespace) -> None:
    gt = load_ytvis_json(args.gt)
    results = load_json(args.results)
    workers = args.workers if args.workers is not None else _usable_cpus()
    ev = run_ytvis_eval(gt, results, source=str(args.results), workers=workers)
    print(format_summary(ev.stats))
    extra = category_split_ap(ev, args.split_field) if args.split_field else {}
    for name, value in extra.items():
        print(f" {name:<18} = {value:0.3f}")
    if args.json:
        atomic_write_json(args.json, {**{k: ev.stats[k] for k in STAT_NAMES}, **extra}, indent=2)
    if args.per_video:
        args.per_video.parent.mkdir(parents=True, exist_ok=True)
        ev.per_video.to_csv(args.per_video, index=False)
    if args.per_category:
        args.per_category.parent.mkdir(parents=True, exist_ok=True)
        ev.per_category.to_csv(args.per_category, index=False)


def _run_davis(args: argparse.Namespace) -> None:
    gt, pred = read_davis_folders(
        args.gt_root, args.pred_root, sequences=_sequences(args.sequences), task=args.task
    )
    summary, table = davis_scores(gt, pred, task=args.task)
    print(" ".join(f"{k:>9}" for k in _DAVIS_OFFICIAL))
    print(" ".join(f"{summary[v]:9.3f}" for v in _DAVIS_OFFICIAL.values()))
    if args.json:
        atomic_write_json(
            args.json, {k: _official(summary[v]) for k, v in _DAVIS_OFFICIAL.items()}, indent=2
        )
    if args.per_object:
        args.per_object.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.per_object, index=False)


def _run_export(args: argparse.Namespace) -> None:
    info = export_submission(
        load_json(args.results),
        load_json(args.gt),
        args.out,
        top_k=args.top_k,
        max_bytes=None if args.max_mb is None else int(args.max_mb * 1e6),
    )
    print(
        f"wrote {info['path']}: {info['predictions']} predictions, top-k {info['top_k']}, "
        f"{info['bytes'] / 1e6:.2f} MB"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; bad input prints one ``error:`` line and returns 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        {"ytvis": _run_ytvis, "davis": _run_davis, "export": _run_export}[args.command](args)
    except (FormatError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
