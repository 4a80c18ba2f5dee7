"""The ``synthvis`` pipeline on a tiny configuration: layouts, consistency, determinism, Kedro session."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from vis_pipelines.formats import decode_rle, read_flo, read_image, read_mask_png
from vis_pipelines.pipelines.synthvis import create_pipeline
from vis_pipelines.synth.generator import SynthConfig

ROOT = Path(__file__).resolve().parents[3]
TINY = {
    "seed": 3,
    "height": 48,
    "width": 64,
    "min_frames": 4,
    "max_frames": 6,
    "min_objects": 1,
    "max_objects": 3,
    "n_train": 3,
    "n_valid": 2,
    "n_test": 1,
}


def _catalog(root: Path) -> DataCatalog:
    conf = yaml.safe_load((ROOT / "conf/base/catalog.yml").read_text())
    entries = {}
    for name, entry in conf.items():
        if not name.startswith("synthvis_"):
            continue
        entry = dict(entry)
        for key in ("json_path", "frames_dir", "root", "path", "filepath"):
            if key in entry:
                entry[key] = str(root / entry[key])
        entries[name] = entry
    catalog = DataCatalog.from_config(entries)
    catalog["params:synthvis.generator"] = SynthConfig(**TINY)
    catalog["params:synthvis.davis_imagesets"] = {"train": "train", "val": "valid"}
    return catalog


def _run(root: Path) -> DataCatalog:
    catalog = _catalog(root)
    SequentialRunner().run(create_pipeline(), catalog)
    return catalog


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, DataCatalog]:
    root = tmp_path_factory.mktemp("synthvis")
    return root, _run(root)


def test_ytvis_layout_is_consistent(generated) -> None:
    root, catalog = generated
    base = root / "data/01_raw/synthvis/ytvis"
    train = catalog.load("synthvis_train")
    assert len(train.videos) == 3
    assert {c["split"] for c in train.categories} == {"base", "novel"}
    novel = {c["id"] for c in train.categories if c["split"] == "novel"}
    assert not novel & {a["category_id"] for a in train.annotations}  # novel never in train
    for video in train.videos:
        assert TINY["min_frames"] <= video["length"] <= TINY["max_frames"]
        for name in video["file_names"]:
            frame = read_image(base / "train/JPEGImages" / name)
            assert frame.shape == (48, 64, 3)
        for ann in train.annotations_for(video["id"]):
            for seg, area, box in zip(
                ann["segmentations"], ann["areas"], ann["bboxes"], strict=True
            ):
                assert (seg is None) == (area is None) == (box is None)
                if seg is not None:
                    mask = decode_rle(seg)
                    assert mask.sum() == area > 0
                    ys, xs = np.nonzero(mask)
                    assert box == [
                        xs.min(),
                        ys.min(),
                        xs.max() - xs.min() + 1,
                        ys.max() - ys.min() + 1,
                    ]
    ids = [
        v["id"]
        for split in ("train", "valid", "test")
        for v in catalog.load(f"synthvis_{split}").videos
    ]
    assert ids == list(range(1, 7))  # unique across splits


def test_davis_and_flow_layouts(generated) -> None:
    root, catalog = generated
    davis = root / "data/01_raw/synthvis/davis"
    assert (davis / "ImageSets/2016/train.txt").read_text().split() == [
        f"train_{i:04d}" for i in range(3)
    ]
    assert (davis / "ImageSets/2016/val.txt").read_text().split() == ["valid_0000", "valid_0001"]
    valid = catalog.load("synthvis_valid")
    video = valid.videos[0]
    masks = sorted((davis / "Annotations/480p/valid_0000").glob("*.png"))
    assert len(masks) == video["length"]
    fg = np.zeros((video["length"], 48, 64), bool)
    for ann in valid.annotations_for(video["id"]):
        fg |= valid.masks(ann).astype(bool)
    for t, png in enumerate(masks):
        np.testing.assert_array_equal(
            read_mask_png(png), fg[t]
        )  # foreground = all (moving) objects
    flows = sorted((root / "data/01_raw/synthvis/flow/gt_gap1/valid_0000").glob("*.flo"))
    assert [p.stem for p in flows] == [f"{t:05d}" for t in range(video["length"] - 1)]
    assert read_flo(flows[0]).shape == (48, 64, 2)
    gt = catalog.load("synthvis_gt_flow")
    occluded = gt.load_occlusion("valid_0000")
    assert occluded.shape == (video["length"] - 1, 48, 64) and occluded.dtype == bool
    # Background pixels hidden at t+1 by a moving object are occluded: some, never all.
    assert 0 < occluded.mean() < 0.5


def test_manifest_and_validation_report(generated) -> None:
    root, _ = generated
    manifest = json.loads((root / "data/01_raw/synthvis/manifest.json").read_text())
    assert (
        manifest["train_videos"] == 3
        and manifest["valid_videos"] == 2
        and manifest["test_videos"] == 1
    )
    assert len(manifest["params_hash"]) == 12
    report = json.loads((root / "data/08_reporting/validation/synthvis.json").read_text())
    assert set(report) == {"synthvis_train", "synthvis_valid", "synthvis_test"}
    assert all(r["success"] for r in report.values())


def test_same_seed_gives_byte_identical_files(generated, tmp_path) -> None:
    root, _ = generated
    _run(tmp_path)
    first = _digest(root / "data/01_raw/synthvis")
    assert first == _digest(tmp_path / "data/01_raw/synthvis")
    assert len(first) > 50


def test_kedro_session_runs_registered_pipeline(tmp_path, monkeypatch) -> None:
    """``kedro run --pipelines synthvis`` through a real KedroSession in a copy of the project."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local"))
    (tmp_path / "conf/local").mkdir()
    (tmp_path / "src").mkdir()  # Kedro checks that the source dir exists; the package is installed
    monkeypatch.chdir(
        tmp_path
    )  # catalog paths are relative to the working directory, as with `kedro run`
    bootstrap_project(tmp_path)
    params = {"synthvis": {"generator": TINY}}  # what `kedro run --params` builds from dotted keys
    with KedroSession.create(project_path=tmp_path, runtime_params=params) as session:
        session.run(pipeline_names=["synthvis"])
    train = json.loads((tmp_path / "data/01_raw/synthvis/ytvis/train.json").read_text())
    assert len(train["videos"]) == 3
    assert (tmp_path / "data/01_raw/synthvis/davis/ImageSets/2016/val.txt").is_file()
