"""The ``scribbles`` pipeline on a tiny SynthVIS: outputs, validation, resume, ParallelRunner,
errors, and a real ``KedroSession`` run after ``synthvis``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError
from kedro.runner import ParallelRunner, SequentialRunner
from scribbles_pipeline_helpers import ROOT, TINY, make_catalog

from vis_pipelines.formats import FormatError, decode_rle, load_json
from vis_pipelines.pipelines.scribbles import create_pipeline
from vis_pipelines.pipelines.scribbles.pipeline import SHARDS_ENV, SOURCES_ENV, configured_sources
from vis_pipelines.scribbles import ScribbleConfig

SOURCES = ["synthvis_train", "synthvis_valid"]
SHARDS = 2


def _run(raw: Path, out: Path, *, runner=None, generator=None, sources=SOURCES, upto=None):
    catalog = make_catalog(raw, out, generator, shared=isinstance(runner, ParallelRunner))
    pipeline = create_pipeline(sources=sources, shards=SHARDS)
    if upto:  # only the nodes these outputs need (skips validation / previews)
        pipeline = pipeline.to_outputs(*upto)
    (runner or SequentialRunner()).run(pipeline, catalog)
    return catalog


def _parts(out: Path, source: str = "synthvis_train") -> dict[str, int]:
    folder = out / f"data/02_intermediate/scribbles/{source}/parts"
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("*.json"))}


@pytest.fixture(scope="module")
def sequential(synthvis_root, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scribbles_seq")
    _run(synthvis_root, out)
    return out


def test_outputs_of_a_full_run(synthvis_root, sequential) -> None:
    out = sequential
    for source, split, n_videos in (("synthvis_train", "train", 3), ("synthvis_valid", "valid", 2)):
        data = load_json(out / f"data/03_primary/scribbles/{source}.json")
        gt = load_json(synthvis_root / f"data/01_raw/synthvis/ytvis/{split}.json")
        assert data["videos"] == gt["videos"] and data["categories"] == gt["categories"]
        full = {a["id"]: a for a in gt["annotations"]}
        objects = [a for a in data["annotations"] if a["category_id"] is not None]
        backgrounds = [a for a in data["annotations"] if a["category_id"] is None]
        assert {a["id"] for a in objects} == set(full)  # every object of SynthVIS is visible
        assert sorted(a["video_id"] for a in backgrounds) == sorted(v["id"] for v in gt["videos"])
        for ann in objects:
            for seg, mask_rle in zip(
                ann["segmentations"], full[ann["id"]]["segmentations"], strict=True
            ):
                assert (seg is None) == (mask_rle is None or not decode_rle(mask_rle).any())
                if seg is not None:
                    stroke, mask = decode_rle(seg), decode_rle(mask_rle)
                    assert stroke.any() and not (stroke & (mask == 0)).any()
        summary = json.loads((out / f"data/08_reporting/scribbles/{source}.json").read_text())
        table = pd.read_csv(out / f"data/08_reporting/scribbles/{source}_stats.csv")
        obj = table[table["kind"] == "object"]
        assert summary["videos"] == n_videos and len(obj) == len(full)
        assert summary["coverage_pct"] == pytest.approx(
            100 * obj["scribble_pixels"].sum() / obj["mask_pixels"].sum()
        )
        assert 0 < summary["coverage_pct"] < 20
        assert summary["object_frames_without_scribble"] == 0 == summary["objects_without_scribble"]
        assert summary["params_hash"] == data["info"]["scribbles"]["params_hash"]
        assert isinstance(summary["git_revision"], str)
        report = (out / f"data/08_reporting/scribbles/{source}.md").read_text()
        assert report.startswith(f"# Scribbles: {source}") and "coverage_pct" in report
        previews = sorted((out / f"data/08_reporting/scribbles/{source}_previews").glob("*.png"))
        assert len(previews) == 2
        validation = json.loads(
            (out / f"data/08_reporting/validation/{source}_scribbles.json").read_text()
        )
        assert validation["success"] and validation["invariants"]["pixels_outside_mask"] == 0


def test_scribble_dataset_loads_with_its_frames(synthvis_root, sequential) -> None:
    catalog = make_catalog(synthvis_root, sequential)
    scribbles = catalog.load("synthvis_train.scribbles")
    video = scribbles.videos[0]
    frames = scribbles.load_frames(video["id"])
    assert frames.shape == (video["length"], TINY.height, TINY.width, 3)
    _, anns = scribbles.instance_masks(video["id"])
    assert any(a["category_id"] is None for a in anns)


def test_rerun_skips_done_videos_and_changes_nothing(synthvis_root, sequential, tmp_path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(sequential, out)
    before = _parts(out)
    target = out / "data/03_primary/scribbles/synthvis_train.json"
    first = target.read_bytes()
    _run(synthvis_root, out, sources=["synthvis_train"], upto=["synthvis_train.scribbles"])
    assert _parts(out) == before  # no part rewritten
    assert target.read_bytes() == first
    # A lost part is recomputed alone, identically.
    victim = sorted(before)[1]
    content = (out / "data/02_intermediate/scribbles/synthvis_train/parts" / victim).read_bytes()
    (out / "data/02_intermediate/scribbles/synthvis_train/parts" / victim).unlink()
    _run(synthvis_root, out, sources=["synthvis_train"], upto=["synthvis_train.scribbles"])
    after = _parts(out)
    assert {k for k in after if after[k] != before.get(k)} == {victim}
    assert (
        out / "data/02_intermediate/scribbles/synthvis_train/parts" / victim
    ).read_bytes() == content
    assert target.read_bytes() == first
    # New parameters redo every video.
    _run(
        synthvis_root,
        out,
        sources=["synthvis_train"],
        upto=["synthvis_train.scribbles"],
        generator=ScribbleConfig(seed=1),
    )
    changed = _parts(out)
    assert all(changed[k] != after[k] for k in after)
    assert json.loads(target.read_text())["info"]["scribbles"]["generator"]["seed"] == 1


def test_parallel_runner_gives_the_same_files(synthvis_root, sequential, tmp_path) -> None:
    _run(synthvis_root, tmp_path, runner=ParallelRunner(max_workers=2))
    for rel in (
        "data/03_primary/scribbles/synthvis_train.json",
        "data/03_primary/scribbles/synthvis_valid.json",
        "data/08_reporting/scribbles/synthvis_train_stats.csv",
    ):
        assert (tmp_path / rel).read_bytes() == (sequential / rel).read_bytes(), rel
    assert sorted(_parts(tmp_path)) == sorted(_parts(sequential))


def _corrupted_source(synthvis_root: Path, tmp_path: Path, edit) -> dict:
    data = load_json(synthvis_root / "data/01_raw/synthvis/ytvis/train.json")
    edit(data)
    raw = tmp_path / "raw"
    target = raw / "data/01_raw/synthvis/ytvis"
    target.mkdir(parents=True)
    (target / "train.json").write_text(json.dumps(data))
    (target / "train").symlink_to(synthvis_root / "data/01_raw/synthvis/ytvis/train")
    return data


def test_corrupt_rle_names_video_and_annotation(synthvis_root, tmp_path) -> None:
    def corrupt(data: dict) -> None:
        ann = data["annotations"][1]
        t = next(t for t, s in enumerate(ann["segmentations"]) if s is not None)
        ann["segmentations"][t]["counts"] = ann["segmentations"][t]["counts"][:-2]
        corrupt.where = f"video {ann['video_id']} annotation {ann['id']} frame {t}"

    _corrupted_source(synthvis_root, tmp_path, corrupt)
    with pytest.raises(FormatError, match="corrupt RLE counts") as err:
        _run(
            tmp_path / "raw",
            tmp_path / "out",
            sources=["synthvis_train"],
            upto=["synthvis_train.scribbles"],
        )
    assert corrupt.where in str(err.value) and "train.json" in str(err.value)


def test_size_mismatch_names_video_and_annotation(synthvis_root, tmp_path) -> None:
    def shrink(data: dict) -> None:
        ann = data["annotations"][0]
        t = next(t for t, s in enumerate(ann["segmentations"]) if s is not None)
        ann["segmentations"][t]["size"] = [TINY.height - 1, TINY.width]
        shrink.where = f"annotations[0] (id {ann['id']}) frame {t}"

    _corrupted_source(synthvis_root, tmp_path, shrink)
    # Caught when the source loads (Kedro's catalog prefixes the dataset name to the message).
    with pytest.raises(DatasetError, match="does not match the video size") as err:
        _run(
            tmp_path / "raw",
            tmp_path / "out",
            sources=["synthvis_train"],
            upto=["synthvis_train.scribbles"],
        )
    assert shrink.where in str(err.value) and isinstance(err.value.__cause__, FormatError)


def test_unlabeled_source_is_refused(synthvis_root, tmp_path) -> None:
    _corrupted_source(synthvis_root, tmp_path, lambda d: d.update(annotations=None))
    with pytest.raises(ValueError, match="no annotations"):
        _run(
            tmp_path / "raw",
            tmp_path / "out",
            sources=["synthvis_train"],
            upto=["synthvis_train.scribbles"],
        )


def test_sources_and_shards_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(SOURCES_ENV, raising=False)
    monkeypatch.delenv(SHARDS_ENV, raising=False)
    assert configured_sources() == (["synthvis_train", "synthvis_valid"], 4)
    monkeypatch.setenv(SOURCES_ENV, "ytvis19_train, ovis_train")
    monkeypatch.setenv(SHARDS_ENV, "8")
    assert configured_sources() == (["ytvis19_train", "ovis_train"], 8)
    pipeline = create_pipeline()
    assert {n.namespace for n in pipeline.nodes} == {"ytvis19_train", "ovis_train"}
    assert len(pipeline.nodes) == 2 * (8 + 3)
    assert "ovis_train" in pipeline.inputs()
    monkeypatch.setenv(SHARDS_ENV, "x")
    with pytest.raises(ValueError, match=SHARDS_ENV):
        configured_sources()
    with pytest.raises(ValueError, match="plain catalog name"):
        create_pipeline(sources=["a.b"], shards=2)


@pytest.mark.slow
def test_kedro_session_runs_synthvis_then_scribbles(tmp_path, monkeypatch) -> None:
    """``kedro run --pipelines synthvis,scribbles`` in a copy of the project: the scribble nodes
    wait for the SynthVIS files they read."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local"))
    (tmp_path / "conf/local").mkdir()
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(SOURCES_ENV, raising=False)
    bootstrap_project(tmp_path)
    tiny = {k: getattr(TINY, k) for k in ("seed", "height", "width", "min_frames", "max_frames")}
    tiny.update(n_train=2, n_valid=1, n_test=1, max_objects=2)
    params = {"synthvis": {"generator": tiny}, "scribbles": {"previews": {"videos": 1}}}
    with KedroSession.create(project_path=tmp_path, runtime_params=params) as session:
        session.run(pipeline_names=["synthvis", "scribbles"])
    for source in ("synthvis_train", "synthvis_valid"):
        data = json.loads((tmp_path / f"data/03_primary/scribbles/{source}.json").read_text())
        assert any(a["category_id"] is None for a in data["annotations"])
        assert (tmp_path / f"data/08_reporting/scribbles/{source}_stats.csv").is_file()
    assert (
        len(list((tmp_path / "data/08_reporting/scribbles/synthvis_train_previews").glob("*.png")))
        == 1
    )
    assert os.environ.get(SOURCES_ENV) is None


def _project(tmp_path: Path, monkeypatch, sources: str) -> None:
    """A copy of the project's conf in ``tmp_path``, bootstrapped, scribbling ``sources``."""
    from kedro.framework.startup import bootstrap_project

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local"))
    (tmp_path / "conf/local").mkdir()
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(SOURCES_ENV, sources)
    monkeypatch.setenv(SHARDS_ENV, "2")
    bootstrap_project(tmp_path)


def test_paper_env_scribbles_a_youtube_vis_release(synthvis_root, tmp_path, monkeypatch) -> None:
    """conf/paper: YouTube-VIS 2019 in its release layout (here: tiny SynthVIS files)."""
    from kedro.framework.session import KedroSession

    _project(tmp_path, monkeypatch, "ytvis19_train")
    release = tmp_path / "data/01_raw/ytvis_2019"
    release.mkdir(parents=True)
    shutil.copy(synthvis_root / "data/01_raw/synthvis/ytvis/train.json", release / "train.json")
    (release / "train").symlink_to(synthvis_root / "data/01_raw/synthvis/ytvis/train")
    with KedroSession.create(project_path=tmp_path, env="paper") as session:
        session.run(pipeline_names=["scribbles"])
        catalog = session.load_context().catalog
    scribbles = catalog.load("ytvis19_train.scribbles")
    assert scribbles.frames_root == Path("data/01_raw/ytvis_2019/train/JPEGImages")
    assert scribbles.load_frames(scribbles.video_ids[0]).shape[1:] == (TINY.height, TINY.width, 3)
    summary = json.loads((tmp_path / "data/08_reporting/scribbles/ytvis19_train.json").read_text())
    assert summary["videos"] == 3 and summary["object_frames_without_scribble"] == 0
    assert (
        len(list((tmp_path / "data/08_reporting/scribbles/ytvis19_train_previews").glob("*.png")))
        == 3
    )


def test_any_youtube_vis_path_set_in_conf_local(synthvis_root, tmp_path, monkeypatch) -> None:
    """A user's dataset: one catalog entry in conf/local and VIS_SCRIBBLES_SOURCES."""
    from kedro.framework.session import KedroSession

    _project(tmp_path, monkeypatch, "my_vis")
    base = synthvis_root / "data/01_raw/synthvis/ytvis"
    (tmp_path / "conf/local/catalog.yml").write_text(
        "my_vis:\n"
        "  type: vis_pipelines.datasets.YTVISDataset\n"
        f"  json_path: {base / 'valid.json'}\n"
        f"  frames_dir: {base / 'valid/JPEGImages'}\n"
    )
    with KedroSession.create(project_path=tmp_path) as session:
        session.run(pipeline_names=["scribbles"])
    data = json.loads((tmp_path / "data/03_primary/scribbles/my_vis.json").read_text())
    assert len(data["videos"]) == 2 and data["info"]["scribbles"]["source"] == "my_vis"
    assert (tmp_path / "data/08_reporting/validation/my_vis_scribbles.json").is_file()
