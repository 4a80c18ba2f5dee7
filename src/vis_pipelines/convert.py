"""Dataset tools without Kedro: ``python -m vis_pipelines.convert <command>``.

Commands: ``burst`` (BURST → YouTube-VIS json), ``fbms`` / ``segtrackv2`` (release layout → DAVIS
layout), ``custom`` (frames folder or video + per-frame PNG masks → YouTube-VIS layout), ``split``
(seeded local held-out split of a train json) and ``validate`` (format + Great Expectations checks).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from vis_pipelines.formats.atomic import atomic_write_json
from vis_pipelines.formats.burst import convert_burst_file
from vis_pipelines.formats.custom_video import convert_custom_dataset, convert_custom_video
from vis_pipelines.formats.errors import FormatError
from vis_pipelines.formats.fbms import convert_fbms_to_davis
from vis_pipelines.formats.segtrackv2 import convert_segtrackv2_to_davis
from vis_pipelines.formats.ytvis import load_ytvis_json, save_ytvis_json

__all__ = ["main"]

logger = logging.getLogger(__name__)


def _size(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size must be HEIGHTxWIDTH, got {text!r}") from None
    return [h, w]


def _instances(text: str | None) -> dict[int, str] | None:
    if not text:
        return None
    try:
        pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
        return {int(k): v.strip() for k, v in pairs}
    except ValueError:
        raise ValueError(f"--instances must look like '1=cat,2=dog', got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vis_pipelines.convert", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("burst", help="BURST annotations -> YouTube-VIS json")
    p.add_argument(
        "--burst", required=True, type=Path, help="BURST json (e.g. val/all_classes.json)"
    )
    p.add_argument("--out", required=True, type=Path, help="output YouTube-VIS json")
    p.add_argument(
        "--class-split", type=Path, help="json {common: [...], uncommon: [...]} (default: built in)"
    )
    p.add_argument(
        "--human-only", action="store_true", help="keep only human-annotated masks (is_gt)"
    )

    for name, what in (("fbms", "FBMS-59"), ("segtrackv2", "SegTrackV2")):
        p = sub.add_parser(name, help=f"{what} release layout -> DAVIS layout")
        p.add_argument("--root", required=True, type=Path, help=f"{what} release folder")
        p.add_argument("--out", required=True, type=Path, help="output DAVIS-layout root")
        p.add_argument(
            "--size", type=_size, help="resize to HEIGHTxWIDTH (e.g. 480x640); default: keep"
        )
        p.add_argument(
            "--binary", action="store_true", help="write 0/1 foreground instead of object ids"
        )
        if name == "fbms":
            p.add_argument("--split", default="Testset", choices=["Trainingset", "Testset"])

    p = sub.add_parser("custom", help="frames folder / video + PNG masks -> YouTube-VIS layout")
    p.add_argument(
        "--source",
        required=True,
        type=Path,
        help="frames folder or video file (or a folder of them with --many)",
    )
    p.add_argument(
        "--masks", type=Path, help="folder of per-frame PNG masks (pixel value = instance id)"
    )
    p.add_argument("--out", required=True, type=Path, help="output root (JPEGImages/ + json)")
    p.add_argument("--name", help="video name (default: source stem)")
    p.add_argument("--categories", required=True, help="comma-separated category names")
    p.add_argument(
        "--instances",
        help="instance id -> category, e.g. '1=cat,2=dog' (default: an "
        "instances.json in --masks, or the single category)",
    )
    p.add_argument("--stride", type=int, default=1, help="keep every k-th frame")
    p.add_argument("--many", action="store_true", help="--source/--masks hold one entry per video")

    p = sub.add_parser("split", help="seeded local held-out split of a train json")
    p.add_argument("--json", required=True, type=Path)
    p.add_argument(
        "--out-dir", required=True, type=Path, help="writes train.json, holdout.json, split.json"
    )
    p.add_argument("--fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-stratify", action="store_true", help="do not stratify by category")

    p = sub.add_parser(
        "validate", help="check a YouTube-VIS json (and its frames) like the pipelines do"
    )
    p.add_argument("--json", required=True, type=Path)
    p.add_argument("--frames-dir", type=Path, help="also check that every frame file exists")
    p.add_argument(
        "--scribbles", action="store_true", help="allow background annotations (category null)"
    )
    return parser


def _run(args: argparse.Namespace) -> dict:
    if args.command == "burst":
        data = convert_burst_file(
            args.burst, args.out, class_split_path=args.class_split, human_only=args.human_only
        )
        return {
            "videos": len(data["videos"]),
            "annotations": len(data["annotations"]),
            "out": str(args.out),
        }
    if args.command == "fbms":
        return convert_fbms_to_davis(
            args.root, args.out, split=args.split, size=args.size, binary=args.binary
        )
    if args.command == "segtrackv2":
        return convert_segtrackv2_to_davis(args.root, args.out, size=args.size, binary=args.binary)
    if args.command == "custom":
        names = [c.strip() for c in args.categories.split(",") if c.strip()]
        if args.many:
            data = convert_custom_dataset(
                args.source, args.masks, args.out, category_names=names, fps_stride=args.stride
            )
        else:
            data = convert_custom_video(
                args.source,
                args.masks,
                args.out,
                name=args.name or args.source.stem,
                category_names=names,
                fps_stride=args.stride,
                instance_categories=_instances(args.instances),
            )
        return {
            "videos": len(data["videos"]),
            "annotations": len(data["annotations"] or []),
            "out": str(args.out),
        }
    if args.command == "split":
        from vis_pipelines.splits import holdout_split

        data = load_ytvis_json(args.json)
        train, holdout, manifest = holdout_split(
            data, fraction=args.fraction, seed=args.seed, stratify_by_category=not args.no_stratify
        )
        save_ytvis_json(train, args.out_dir / "train.json")
        save_ytvis_json(holdout, args.out_dir / "holdout.json")
        atomic_write_json(args.out_dir / "split.json", manifest, indent=2)
        return {
            "train_videos": len(train["videos"]),
            "holdout_videos": len(holdout["videos"]),
            "label": manifest.get("label"),
            "out_dir": str(args.out_dir),
        }
    if args.command == "validate":
        from vis_pipelines.datasets import YTVISDataset
        from vis_pipelines.validation import validate_annotations

        if args.frames_dir is not None:
            data = (
                YTVISDataset(json_path=str(args.json), frames_dir=str(args.frames_dir)).load().data
            )
        else:
            data = load_ytvis_json(args.json)
        summary = validate_annotations(
            data, name=args.json.name, allow_null_category=args.scribbles
        )
        return {"success": summary["success"], "videos": len(data["videos"])}
    raise AssertionError(args.command)  # argparse restricts the choices


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code (2 for bad input)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        result = _run(args)
    except (FormatError, ValueError, FileNotFoundError) as err:
        # One clear line naming the file / record / field, not a traceback.
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
