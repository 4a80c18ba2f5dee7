"""Tiny datasets in each real on-disk layout, written with OpenCV/PIL/pycocotools directly.

The fixtures do not use ``vis_pipelines.formats`` writers, so the tests compare the data layer
against independently produced files and hand-known arrays.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

H, W, T = 24, 32, 3


def rgb_frames(seed: int, t: int = T, h: int = H, w: int = W) -> np.ndarray:
    """Deterministic random RGB frames ``[t, h, w, 3]``."""
    return np.random.default_rng(seed).integers(0, 256, (t, h, w, 3), dtype=np.uint8)


def box_mask(y0: int, x0: int, y1: int, x1: int, h: int = H, w: int = W) -> np.ndarray:
    """A 0/1 mask with a filled rectangle [y0:y1, x0:x1]."""
    m = np.zeros((h, w), dtype=np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def coco_rle(mask: np.ndarray) -> dict[str, Any]:
    """Compressed RLE straight from pycocotools (counts as str)."""
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(r["size"][0]), int(r["size"][1])], "counts": r["counts"].decode()}


def list_rle(mask: np.ndarray) -> dict[str, Any]:
    """Uncompressed RLE (OVIS style): run lengths of the column-major pixels, zeros first."""
    flat = mask.reshape(-1, order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat[0] == 1:
        runs = [0, *runs]
    return {"size": list(mask.shape), "counts": [int(r) for r in runs]}


def write_jpeg(path: Path, rgb: np.ndarray) -> None:
    """Write an RGB frame as JPEG with OpenCV (creating folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def read_rgb(path: Path) -> np.ndarray:
    """Read a frame with OpenCV as RGB (the independent reference for ``load_frames``)."""
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


# Ground truth of the YouTube-VIS-style fixture: video -> instance -> [T] masks (None = absent).
GT_MASKS: dict[int, list[list[np.ndarray | None]]] = {
    1: [
        [box_mask(2, 3, 10, 12), None, box_mask(4, 5, 12, 14)],
        [box_mask(12, 16, 20, 30), box_mask(13, 16, 21, 30), box_mask(14, 16, 22, 30)],
    ],
    2: [[box_mask(0, 0, 5, 5), box_mask(1, 1, 6, 6), box_mask(2, 2, 7, 7)]],
}
VIDEO_NAMES = {1: "0a1b2c3d4e", 2: "ff00ee11dd"}


def _ytvis_dict(file_name, rle=coco_rle, categories=None) -> dict[str, Any]:
    videos, anns = [], []
    for vid, instances in GT_MASKS.items():
        videos.append(
            {
                "id": vid,
                "width": W,
                "height": H,
                "length": T,
                "file_names": [file_name(VIDEO_NAMES[vid], t) for t in range(T)],
            }
        )
        for k, masks in enumerate(instances):
            anns.append(
                {
                    "id": len(anns) + 1,
                    "video_id": vid,
                    "category_id": k + 1,
                    "iscrowd": 0,
                    "segmentations": [None if m is None else rle(m) for m in masks],
                }
            )
    cats = categories or [{"id": 1, "name": "person"}, {"id": 2, "name": "dog"}]
    return {
        "info": {"description": "tiny"},
        "videos": videos,
        "annotations": anns,
        "categories": cats,
    }


def _write_frames(root: Path, data: dict[str, Any], seed: int) -> None:
    for v, video in enumerate(data["videos"]):
        frames = rgb_frames(seed + v)
        for t, name in enumerate(video["file_names"]):
            write_jpeg(root / name, frames[t])


@pytest.fixture
def ytvis19(tmp_path: Path) -> dict[str, Path]:
    """YouTube-VIS 2019: train.json + train/JPEGImages/<vid>/<frame>.jpg; valid.json unlabeled."""
    root = tmp_path / "ytvis19"
    train = _ytvis_dict(lambda v, t: f"{v}/{t * 5:05d}.jpg")
    _write_frames(root / "train" / "JPEGImages", train, seed=10)
    (root / "train.json").write_text(json.dumps(train))
    valid = _ytvis_dict(lambda v, t: f"{v}/{t * 5:05d}.jpg")
    valid["annotations"] = None
    _write_frames(root / "valid" / "JPEGImages", valid, seed=20)
    (root / "valid.json").write_text(json.dumps(valid))
    return {
        "train_json": root / "train.json",
        "train_frames": root / "train" / "JPEGImages",
        "valid_json": root / "valid.json",
        "valid_frames": root / "valid" / "JPEGImages",
    }


@pytest.fixture
def ovis(tmp_path: Path) -> dict[str, Path]:
    """OVIS: annotations_train.json (uncompressed list-counts RLE) + train/<vid>/img_*.jpg."""
    root = tmp_path / "ovis"
    data = _ytvis_dict(lambda v, t: f"{v}/img_{t + 1:07d}.jpg", rle=list_rle)
    _write_frames(root / "train", data, seed=30)
    (root / "annotations_train.json").write_text(json.dumps(data))
    return {"json": root / "annotations_train.json", "frames": root / "train"}


LVVIS_CATEGORIES = [
    {"id": 1, "name": "person", "synonyms": ["human"], "partition": "base"},
    {"id": 2, "name": "dog", "synonyms": ["puppy", "hound"], "partition": "novel"},
]


@pytest.fixture
def lvvis(tmp_path: Path) -> dict[str, Path]:
    """LV-VIS layout: train_instances.json with ``partition`` on categories + train/JPEGImages."""
    root = tmp_path / "lvvis"
    data = _ytvis_dict(lambda v, t: f"{v}/{t:05d}.jpg", categories=LVVIS_CATEGORIES)
    _write_frames(root / "train" / "JPEGImages", data, seed=40)
    (root / "train_instances.json").write_text(json.dumps(data))
    return {"json": root / "train_instances.json", "frames": root / "train" / "JPEGImages"}


# ----------------------------------------------------------------------------------- DAVIS
DAVIS_SIZE = (20, 28)


def davis_ids(seed: int, t: int, ids: tuple[int, ...]) -> np.ndarray:
    """Object-id maps ``[t, h, w]`` drawing each id as a random rectangle (later ids on top)."""
    rng = np.random.default_rng(seed)
    h, w = DAVIS_SIZE
    out = np.zeros((t, h, w), dtype=np.uint8)
    for k in range(t):
        for obj in ids:
            y0, x0 = rng.integers(0, h - 6), rng.integers(0, w - 6)
            out[k, y0 : y0 + 6, x0 : x0 + 6] = obj
    return out


def _palette_png(path: Path, ids: np.ndarray) -> None:
    img = Image.fromarray(ids, mode="P")
    img.putpalette([c for i in range(256) for c in (i, 255 - i, (7 * i) % 256)])
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


@pytest.fixture
def davis16(tmp_path: Path) -> dict[str, Any]:
    """DAVIS-2016 original release: grey 0/255 PNGs and ImageSets/480p/*.txt of frame-path lines."""
    root = tmp_path / "DAVIS"
    h, w = DAVIS_SIZE
    truth: dict[str, np.ndarray] = {}
    for s, seq in enumerate(["bear", "blackswan", "car-shadow"]):
        frames = rgb_frames(50 + s, t=3, h=h, w=w)
        binary = davis_ids(60 + s, 3, (1,))
        truth[seq] = binary
        for t in range(3):
            write_jpeg(root / "JPEGImages" / "480p" / seq / f"{t:05d}.jpg", frames[t])
            png = root / "Annotations" / "480p" / seq / f"{t:05d}.png"
            png.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray((binary[t] * 255).astype(np.uint8), mode="L").save(png)
    sets = root / "ImageSets" / "480p"
    sets.mkdir(parents=True)
    lines = {"train": ["bear", "car-shadow"], "val": ["blackswan"]}
    for split, seqs in lines.items():
        text = "".join(
            f"/JPEGImages/480p/{q}/{t:05d}.jpg /Annotations/480p/{q}/{t:05d}.png\n"
            for q in seqs
            for t in range(3)
        )
        (sets / f"{split}.txt").write_text(text)
    return {"root": root, "masks": truth, "imagesets": lines}


@pytest.fixture
def davis17(tmp_path: Path) -> dict[str, Any]:
    """DAVIS-2017 layout: palette PNGs with ids 1..3 and 255 void; 'dogs' lacks frame 2's PNG."""
    root = tmp_path / "DAVIS2017"
    h, w = DAVIS_SIZE
    truth: dict[str, np.ndarray] = {}
    annotated: dict[str, np.ndarray] = {}
    for s, (seq, ids) in enumerate({"bike-packing": (1, 2), "dogs": (1, 2, 3)}.items()):
        frames = rgb_frames(70 + s, t=3, h=h, w=w)
        masks = davis_ids(80 + s, 3, ids)
        masks[:, 0, :] = 255  # void border row, as DAVIS marks uncertain object edges
        ann = np.array([True, True, seq != "dogs"])
        masks[~ann] = 0
        truth[seq], annotated[seq] = masks, ann
        for t in range(3):
            write_jpeg(root / "JPEGImages" / "480p" / seq / f"{t:05d}.jpg", frames[t])
            if ann[t]:
                _palette_png(root / "Annotations" / "480p" / seq / f"{t:05d}.png", masks[t])
    sets = root / "ImageSets" / "2017"
    sets.mkdir(parents=True)
    (sets / "train.txt").write_text("bike-packing\n")
    (sets / "val.txt").write_text("dogs\n")
    return {
        "root": root,
        "masks": truth,
        "annotated": annotated,
        "imagesets": {"train": ["bike-packing"], "val": ["dogs"]},
    }


# ----------------------------------------------------------------------------------- flow
def flo_bytes(flow: np.ndarray) -> bytes:
    """Middlebury .flo bytes written by hand: float32 202021.25, int32 w, h, then u,v per pixel."""
    h, w = flow.shape[:2]
    return (
        np.float32(202021.25).tobytes()
        + np.int32(w).tobytes()
        + np.int32(h).tobytes()
        + flow.astype("<f4").tobytes()
    )


@pytest.fixture
def flow_dir(tmp_path: Path) -> dict[str, Any]:
    """<flow_root>/dis_gap1/<seq>/<frame>.flo for two sequences."""
    root = tmp_path / "flow" / "dis_gap1"
    truth: dict[str, tuple[list[str], np.ndarray]] = {}
    for s, (seq, n) in enumerate({"bear": 2, "car": 3}.items()):
        rng = np.random.default_rng(90 + s)
        flows = rng.normal(0, 3, (n, 6, 8, 2)).astype(np.float32)
        names = [f"{t:05d}" for t in range(n)]
        (root / seq).mkdir(parents=True)
        for name, f in zip(names, flows, strict=True):
            (root / seq / f"{name}.flo").write_bytes(flo_bytes(f))
        truth[seq] = (names, flows)
    return {"root": root, "flows": truth}
