"""Your own videos and instance masks converted into the YouTube-VIS layout.

Input, per video:

* ``source``: a folder of frames (``.jpg/.jpeg/.png/.bmp``, natural name order) or a video file
  read with ``cv2.VideoCapture`` (``.mp4``, ``.avi``, ...). Frame stems are the file stems for a
  folder and ``%05d`` of the 0-based frame index for a video file.
* ``masks_dir``: one PNG per labelled frame, named ``<frame stem>.png``. Pixel value = instance
  id (palette index or grey value): 0 background, 255 void (ignored, belongs to no instance). A
  binary mask must therefore be saved as 0/1, not 0/255 (a mask holding only 0 and 255 is logged).
  An optional ``instances.json`` ``{"<id>": "<category name>"}`` gives each instance's category;
  without it, every instance gets the only category when ``category_names`` has one.

Output: ``<out_root>/JPEGImages/<name>/%05d.jpg`` (every ``fps_stride``-th frame) and a YouTube-VIS
JSON (default ``<out_root>/annotations.json``). The JSON is *appendable*: converting another video
into the same file adds a video (next free video and annotation ids) and merges categories by name.

Rules: a frame without a mask PNG is *unlabeled*: every object's segmentation is ``null`` there and
its index is listed in the video's ``unlabeled_frames``. On a labelled frame an instance that is not
visible is ``null`` too (the YouTube-VIS convention). A mask whose size differs from its frame
raises ``FormatError`` naming the PNG. Frames are staged in a hidden folder and moved into place
only when the whole video converted, and the JSON is written atomically afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from .atomic import staged_directory
from .davis import VOID
from .davis_layout import natural_key
from .errors import FormatError
from .images import read_image, write_image
from .rle import encode_masks, rle_area, rle_bbox
from .ytvis import load_json, load_ytvis_json, save_ytvis_json, validate_ytvis

__all__ = [
    "VIDEO_SUFFIXES",
    "read_instance_png",
    "convert_custom_video",
    "convert_custom_dataset",
]

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
_FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def read_instance_png(
    path: str | Path, *, expected_size: tuple[int, int] | None = None
) -> np.ndarray:
    """Read a palette or grey PNG whose pixel value is the instance id, as uint8 ``(H, W)``."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            arr = np.array(img)
    except FileNotFoundError:
        raise FormatError("mask not found", source=path) from None
    except (OSError, SyntaxError) as err:
        raise FormatError(f"cannot decode PNG ({err})", source=path) from None
    if mode in ("RGB", "RGBA"):
        rgb = arr[..., :3]
        if not (
            np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])
        ):
            raise FormatError(
                "colour RGB mask: save instance ids as a palette or grey-scale PNG", source=path
            )
        arr = rgb[..., 0]
    elif mode not in ("P", "L", "1", "I", "I;16"):
        raise FormatError(f"unsupported PNG mode {mode!r}", source=path)
    if arr.ndim != 2:
        raise FormatError(f"expected a single-channel mask, got shape {arr.shape}", source=path)
    if arr.dtype != np.uint8:
        if arr.size and (int(arr.max()) > 255 or int(arr.min()) < 0):
            raise FormatError(f"instance ids must be 0..255, found {int(arr.max())}", source=path)
        arr = arr.astype(np.uint8)
    if expected_size is not None and arr.shape != tuple(expected_size):
        raise FormatError(
            f"mask is {arr.shape[0]}x{arr.shape[1]} but its frame is "
            f"{expected_size[0]}x{expected_size[1]}",
            source=path,
        )
    return arr


def _frames(
    source: Path, stride: int
) -> tuple[Iterator[tuple[int, str, np.ndarray]], int, float | None]:
    """(iterator over kept (source index, stem, RGB), number of kept frames, fps or None)."""
    if source.is_dir():
        files = sorted(
            (p for p in source.iterdir() if p.is_file() and p.suffix.lower() in _FRAME_SUFFIXES),
            key=lambda p: natural_key(p.name),
        )
        if not files:
            raise FormatError("no frames (*.jpg|*.png|*.bmp)", source=source)
        kept = list(enumerate(files))[::stride]

        def from_folder() -> Iterator[tuple[int, str, np.ndarray]]:
            size = None
            for i, p in kept:
                rgb = read_image(p, expected_size=size)
                size = size or rgb.shape[:2]
                yield i, p.stem, rgb

        return from_folder(), len(kept), None
    if not source.is_file():
        raise FormatError(
            "video source not found (a folder of frames or a video file)", source=source
        )
    cap = cv2.VideoCapture(str(source))
    if not cap.isOpened():
        raise FormatError("OpenCV cannot open this video", source=source)
    fps = float(cap.get(cv2.CAP_PROP_FPS)) or None
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))

    def from_video() -> Iterator[tuple[int, str, np.ndarray]]:
        i = 0
        try:
            while True:
                ok, bgr = cap.read()
                if not ok:
                    break
                if i % stride == 0:
                    yield i, f"{i:05d}", cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                i += 1
        finally:
            cap.release()
        if i == 0:
            raise FormatError("no frame could be decoded", source=source)

    # The container's frame count is a hint for the progress bar only (it can be wrong).
    return from_video(), max(0, -(-count // stride)), (fps / stride if fps else None)


def _instance_categories(
    masks_dir: Path | None,
    instance_categories: Mapping[int | str, str] | None,
    category_names: Sequence[str],
) -> tuple[dict[int, str], str]:
    """Instance id → category name, and where it came from (for error messages)."""
    where = "instance_categories"
    mapping = instance_categories
    if mapping is None and masks_dir is not None and (masks_dir / "instances.json").is_file():
        where = str(masks_dir / "instances.json")
        mapping = load_json(masks_dir / "instances.json")
        if not isinstance(mapping, dict):
            raise FormatError(
                'must be an object {"<instance id>": "<category name>"}', source=where
            )
    out: dict[int, str] = {}
    for key, cat in (mapping or {}).items():
        try:
            iid = int(key)
        except (TypeError, ValueError):
            raise FormatError(f"instance id {key!r} is not an integer", source=where) from None
        if not 0 < iid < VOID:
            raise FormatError(f"instance id {iid} must be in 1..254", source=where)
        if cat not in category_names:
            raise FormatError(
                f"instance {iid}: category {cat!r} is not one of {list(category_names)}",
                source=where,
            )
        out[iid] = cat
    return out, where


def _empty_dataset() -> dict[str, Any]:
    return {
        "info": {"description": "custom videos converted by vis_pipelines"},
        "videos": [],
        "annotations": [],
        "categories": [],
    }


def _add_video(
    data: dict[str, Any],
    source: Path,
    masks_dir: Path | None,
    out_root: Path,
    *,
    name: str,
    category_names: Sequence[str],
    fps_stride: int,
    instance_categories: Mapping[int | str, str] | None,
    overwrite: bool,
    quality: int,
    json_path: Path,
) -> dict[str, Any]:
    """Convert one video, write its frames and add it to ``data`` (in place); returns the video."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"name must be a plain folder name, got {name!r}")
    if isinstance(fps_stride, bool) or not isinstance(fps_stride, int) or fps_stride < 1:
        raise ValueError(f"fps_stride must be an integer >= 1, got {fps_stride!r}")
    names = list(category_names)
    if (
        not names
        or not all(isinstance(c, str) and c for c in names)
        or len(set(names)) != len(names)
    ):
        raise ValueError(f"category_names must be unique non-empty strings, got {category_names!r}")
    if masks_dir is not None and not masks_dir.is_dir():
        raise FormatError("masks folder not found", source=masks_dir)
    mapping, mapping_source = _instance_categories(masks_dir, instance_categories, names)

    videos = data["videos"]
    clash = [
        v
        for v in videos
        if v.get("name") == name
        or any(str(f).startswith(f"{name}/") for f in v.get("file_names", [])[:1])
    ]
    video_id = max((v["id"] for v in videos), default=0) + 1
    if clash:
        if not overwrite:
            raise ValueError(
                f"video {name!r} is already in {json_path} (id {clash[0]['id']}); "
                "pass overwrite=True to replace it"
            )
        video_id = clash[0]["id"]  # keep the id stable when re-converting a video

    # Categories merge by name; new names get the next free ids.
    cat_ids = {c["name"]: c["id"] for c in data["categories"]}
    for cname in names:
        if cname not in cat_ids:
            cat_ids[cname] = max(cat_ids.values(), default=0) + 1
            data["categories"].append({"id": cat_ids[cname], "name": cname})

    frames, n_hint, fps = _frames(source, fps_stride)
    per_instance: dict[int, dict[int, dict[str, Any]]] = {}
    unlabeled: list[int] = []
    source_indices: list[int] = []
    only_255 = 0
    size: tuple[int, int] | None = None
    with staged_directory(out_root / "JPEGImages" / name) as staged:
        t = -1
        for t, (src_idx, stem, rgb) in enumerate(
            tqdm(frames, total=n_hint or None, desc=name, leave=False)
        ):
            if size is None:
                size = (int(rgb.shape[0]), int(rgb.shape[1]))
            elif rgb.shape[:2] != size:
                raise FormatError(
                    f"frame {src_idx} is {rgb.shape[0]}x{rgb.shape[1]}, earlier frames are "
                    f"{size[0]}x{size[1]}",
                    source=source,
                )
            write_image(staged / f"{t:05d}.jpg", rgb, quality=quality)
            source_indices.append(src_idx)
            mask_path = masks_dir / f"{stem}.png" if masks_dir is not None else None
            if mask_path is None or not mask_path.is_file():
                unlabeled.append(t)
                continue
            ids = read_instance_png(mask_path, expected_size=size)
            present = np.unique(ids)
            inst = present[(present != 0) & (present != VOID)]
            if inst.size == 0 and VOID in present:
                only_255 += 1
            if inst.size == 0:
                continue
            # One pycocotools call per frame for all its instances.
            rles = encode_masks(ids[None] == inst[:, None, None])
            for iid, rle in zip(inst.tolist(), rles, strict=True):
                if iid not in mapping and len(names) != 1:
                    raise FormatError(
                        f"instance {iid} has no category (no entry in {mapping_source}, and "
                        f"category_names has {len(names)} names)",
                        source=mask_path,
                    )
                per_instance.setdefault(iid, {})[t] = rle
        if t < 0 or size is None:
            raise FormatError("no frame could be read", source=source)
    length = t + 1
    if only_255:
        logger.warning(
            "%s: %d mask(s) hold only 0 and 255; 255 is void, so they label nothing "
            "(save binary masks as 0/1)",
            name,
            only_255,
        )
    if len(unlabeled) == length and masks_dir is not None:
        logger.warning(
            "%s: no mask matched any frame in %s (masks are <frame stem>.png)", name, masks_dir
        )

    if clash:
        old_ids = {v["id"] for v in clash}
        data["videos"] = [v for v in videos if v["id"] not in old_ids]
        data["annotations"] = [a for a in data["annotations"] if a["video_id"] not in old_ids]
    video: dict[str, Any] = {
        "id": video_id,
        "name": name,
        "width": size[1],
        "height": size[0],
        "length": length,
        "file_names": [f"{name}/{i:05d}.jpg" for i in range(length)],
        "source": source.name,
        "fps_stride": fps_stride,
        "source_frame_indices": source_indices,
        "unlabeled_frames": unlabeled,
    }
    if fps:
        video["fps"] = fps
    data["videos"].append(video)
    next_ann = max((a["id"] for a in data["annotations"]), default=0) + 1
    for iid in sorted(per_instance):
        masks = per_instance[iid]
        segs = [masks.get(i) for i in range(length)]
        areas = rle_area([masks[i] for i in sorted(masks)]).tolist()
        area_of = dict(zip(sorted(masks), areas, strict=True))
        data["annotations"].append(
            {
                "id": next_ann,
                "video_id": video_id,
                "instance_id": iid,
                "category_id": cat_ids[mapping.get(iid, names[0])],
                "segmentations": segs,
                "areas": [None if s is None else float(area_of[i]) for i, s in enumerate(segs)],
                "bboxes": [None if s is None else rle_bbox(s) for s in segs],
                "iscrowd": 0,
            }
        )
        next_ann += 1
    logger.info(
        "%s: %d frames (%d unlabeled), %d instances",
        name,
        length,
        len(unlabeled),
        len(per_instance),
    )
    return video


def _load_or_new(json_path: Path) -> dict[str, Any]:
    if not json_path.exists():
        return _empty_dataset()
    data = load_ytvis_json(json_path)
    if data["annotations"] is None:
        data["annotations"] = []
    return data


def _save(data: dict[str, Any], json_path: Path) -> dict[str, Any]:
    data = validate_ytvis(data, source=json_path)
    save_ytvis_json(data, json_path, validate=False)
    return data


def convert_custom_video(
    source: str | Path,
    masks_dir: str | Path | None,
    out_root: str | Path,
    *,
    name: str,
    category_names: Sequence[str],
    fps_stride: int = 1,
    instance_categories: Mapping[int | str, str] | None = None,
    json_path: str | Path | None = None,
    overwrite: bool = False,
    quality: int = 90,
) -> dict[str, Any]:
    """Convert one video (frame folder or video file) and its masks; append it to the JSON.

    Returns the whole YouTube-VIS dict as written to ``json_path`` (default
    ``<out_root>/annotations.json``). ``instance_categories`` overrides
    ``masks_dir/instances.json``.
    """
    out_root = Path(out_root)
    json_path = Path(json_path) if json_path is not None else out_root / "annotations.json"
    data = _load_or_new(json_path)
    _add_video(
        data,
        Path(source),
        Path(masks_dir) if masks_dir is not None else None,
        out_root,
        name=name,
        category_names=category_names,
        fps_stride=fps_stride,
        instance_categories=instance_categories,
        overwrite=overwrite,
        quality=quality,
        json_path=json_path,
    )
    return _save(data, json_path)


def convert_custom_dataset(
    videos_root: str | Path,
    masks_root: str | Path | None,
    out_root: str | Path,
    *,
    category_names: Sequence[str],
    fps_stride: int = 1,
    json_path: str | Path | None = None,
    overwrite: bool = False,
    quality: int = 90,
) -> dict[str, Any]:
    """Convert every video under ``videos_root`` (frame folders and video files, name order).

    Video ``<name>`` (a folder, or a file ``<name>.mp4``...) takes its masks from
    ``<masks_root>/<name>/`` (with its own optional ``instances.json``); a video without a mask
    folder is converted unlabeled. The JSON is written once, after every video converted.
    """
    videos_root = Path(videos_root)
    if not videos_root.is_dir():
        raise FormatError("videos folder not found", source=videos_root)
    entries: dict[str, Path] = {}
    for p in sorted(videos_root.iterdir(), key=lambda q: natural_key(q.name)):
        if p.name.startswith("."):
            continue
        if p.is_dir() or p.suffix.lower() in VIDEO_SUFFIXES:
            name = p.name if p.is_dir() else p.stem
            if name in entries:
                raise FormatError(
                    f"two sources for video {name!r}: {entries[name].name} and {p.name}",
                    source=videos_root,
                )
            entries[name] = p
    if not entries:
        raise FormatError("no frame folders or video files", source=videos_root)
    out_root = Path(out_root)
    json_path = Path(json_path) if json_path is not None else out_root / "annotations.json"
    data = _load_or_new(json_path)
    for name, src in tqdm(entries.items(), desc="videos"):
        mdir = Path(masks_root) / name if masks_root is not None else None
        if mdir is not None and not mdir.is_dir():
            logger.warning("%s: no mask folder %s; converted unlabeled", name, mdir)
            mdir = None
        _add_video(
            data,
            src,
            mdir,
            out_root,
            name=name,
            category_names=category_names,
            fps_stride=fps_stride,
            instance_categories=None,
            overwrite=overwrite,
            quality=quality,
            json_path=json_path,
        )
    return _save(data, json_path)
