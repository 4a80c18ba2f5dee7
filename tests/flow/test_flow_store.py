"""The resumable flow store: layout, records, skipping valid outputs, recovery after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from flow_helpers import translated_video, write_davis
from kedro.io import DatasetError

from vis_pipelines.datasets import DAVISDataset, FlowDirDataset
from vis_pipelines.datasets.flow_store import RECORD_NAME, FlowStore, FlowStoreDataset
from vis_pipelines.flow import DISFlow, FlowPlan, FlowTask, OpticalFlowParams, build_plan
from vis_pipelines.formats import FormatError, read_flo


class CountingFlow:
    """DIS medium that counts the pairs it computes and can fail on one sequence's frames."""

    device = "cpu"

    def __init__(self, fail_on: np.ndarray | None = None) -> None:
        self.name, self.batch_size = "dis_medium", 2
        self.inner = DISFlow("medium")
        self.pairs = 0
        self.fail_on = fail_on

    def estimate(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        if self.fail_on is not None and any(np.array_equal(f, self.fail_on) for f in second):
            raise RuntimeError("simulated crash")
        self.pairs += len(first)
        return self.inner.estimate(first, second)


def _plan(root: Path, estimator, *, gaps=(1, -1), config=None, recompute=False) -> FlowPlan:
    frames = DAVISDataset(root=str(root)).load()
    tasks = [FlowTask("dis_medium", g, estimator, config or {"method": "dis_medium"}) for g in gaps]
    return FlowPlan(frames, ["a", "b", "c"], tasks, recompute=recompute)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.flo"))}


def test_layout_and_records(tiny_davis: Path, tmp_path: Path) -> None:
    est = CountingFlow()
    out = tmp_path / "flow"
    FlowStoreDataset(path=str(out)).save(_plan(tiny_davis, est))
    # 4 + 3 + 5 frames -> 3 + 2 + 4 pairs per gap
    assert est.pairs == 2 * 9
    assert sorted(p.name for p in out.iterdir()) == ["dis_medium_gap-1", "dis_medium_gap1"]
    forward = sorted(p.name for p in (out / "dis_medium_gap1/a").iterdir())
    assert forward == ["00000.flo", "00001.flo", "00002.flo", RECORD_NAME]
    backward = sorted(p.stem for p in (out / "dis_medium_gap-1/a").glob("*.flo"))
    assert backward == ["00001", "00002", "00003"]  # flow t -> t-1 named after t
    flow = read_flo(out / "dis_medium_gap1/a/00000.flo")
    assert flow.shape == (40, 56, 2)
    assert np.median(flow[8:-8, 8:-8, 0]) == pytest.approx(1.0, abs=0.3)  # the video moves +1 px
    assert np.median(read_flo(out / "dis_medium_gap-1/a/00001.flo")[8:-8, 8:-8, 0]) == (
        pytest.approx(-1.0, abs=0.3)
    )
    # .flo round trip: the files hold exactly the estimator's float32 output.
    video = DAVISDataset(root=str(tiny_davis)).load().load_frames("a")
    expected = DISFlow("medium").estimate(video[:-1], video[1:])
    for t in range(3):
        np.testing.assert_array_equal(read_flo(out / f"dis_medium_gap1/a/{t:05d}.flo"), expected[t])
    record = json.loads((out / "dis_medium_gap1/a" / RECORD_NAME).read_text())
    assert record["pairs"] == 3 and record["frames"] == ["00000", "00001", "00002"]
    assert record["height"] == 40 and record["width"] == 56 and record["seconds"] > 0
    assert {"config_hash", "input_hash", "device", "versions"} <= set(record)
    # The store loads; each folder is an ordinary FlowDirDataset folder.
    store = FlowStoreDataset(path=str(out)).load()
    assert isinstance(store, FlowStore) and store.folders() == [
        "dis_medium_gap-1",
        "dis_medium_gap1",
    ]
    assert store.record("dis_medium_gap1", "b")["pairs"] == 2
    flows = FlowDirDataset(path=str(out / "dis_medium_gap1")).load()
    assert flows.names() == ["a", "b", "c"] and flows.load("c").shape == (4, 40, 56, 2)


def test_rerun_skips_valid_outputs_and_redoes_broken_ones(tiny_davis: Path, tmp_path: Path) -> None:
    out = tmp_path / "flow"
    dataset = FlowStoreDataset(path=str(out))
    dataset.save(_plan(tiny_davis, CountingFlow()))
    before = _files(out)

    again = CountingFlow()
    dataset.save(_plan(tiny_davis, again))
    assert again.pairs == 0 and _files(out) == before

    # A truncated .flo (e.g. copied badly) and a lost record: only those sequences are redone.
    damaged = out / "dis_medium_gap1/a/00001.flo"
    damaged.write_bytes(damaged.read_bytes()[:100])
    (out / "dis_medium_gap-1/c" / RECORD_NAME).unlink()
    (out / "dis_medium_gap1/b" / RECORD_NAME).write_text("{not json")
    repair = CountingFlow()
    dataset.save(_plan(tiny_davis, repair))
    assert repair.pairs == 3 + 4 + 2  # gap1/a, gap-1/c, gap1/b
    assert _files(out) == before  # deterministic: the same bytes come back

    # recompute: true ignores valid outputs.
    forced = CountingFlow()
    dataset.save(_plan(tiny_davis, forced, recompute=True))
    assert forced.pairs == 18


def test_changed_settings_or_frames_are_recomputed(tiny_davis: Path, tmp_path: Path) -> None:
    out = tmp_path / "flow"
    dataset = FlowStoreDataset(path=str(out))
    dataset.save(_plan(tiny_davis, CountingFlow(), gaps=(1,)))
    changed = CountingFlow()
    dataset.save(_plan(tiny_davis, changed, gaps=(1,), config={"method": "dis_medium", "v": 2}))
    assert changed.pairs == 9
    # New frames under the same names (e.g. SynthVIS regenerated with another seed).
    write_davis(
        tiny_davis,
        {"a": translated_video(4, 40, 56, -2.0, 0.0, seed=9)},
        {"train": ["c"], "val": ["a", "b"]},
    )
    redo = CountingFlow()
    dataset.save(_plan(tiny_davis, redo, gaps=(1,), config={"method": "dis_medium", "v": 2}))
    assert redo.pairs == 3  # only "a" changed


def test_crash_leaves_no_partial_output_and_resumes(tiny_davis: Path, tmp_path: Path) -> None:
    out = tmp_path / "flow"
    dataset = FlowStoreDataset(path=str(out))
    frames_b = DAVISDataset(root=str(tiny_davis)).load().load_frames("b")
    with pytest.raises(DatasetError, match="simulated crash"):
        dataset.save(_plan(tiny_davis, CountingFlow(fail_on=frames_b[1]), gaps=(1,)))
    assert (out / "dis_medium_gap1/a" / RECORD_NAME).is_file()  # done before the crash
    assert not (out / "dis_medium_gap1/b" / RECORD_NAME).exists()
    assert not list(out.rglob("*.tmp"))  # no half-written file anywhere
    resumed = CountingFlow()
    dataset.save(_plan(tiny_davis, resumed, gaps=(1,)))
    assert resumed.pairs == 2 + 4  # b and c; a was kept


def test_stale_flow_files_are_removed(tiny_davis: Path, tmp_path: Path) -> None:
    out = tmp_path / "flow"
    stale = out / "dis_medium_gap1/a/00007.flo"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    FlowStoreDataset(path=str(out)).save(_plan(tiny_davis, CountingFlow(), gaps=(1,)))
    assert not stale.exists()


def test_corrupt_frame_is_named(tiny_davis: Path, tmp_path: Path) -> None:
    bad = tiny_davis / "JPEGImages/480p/b/00001.jpg"
    bad.write_bytes(b"\xff\xd8 truncated jpeg")
    plan = build_plan(
        DAVISDataset(root=str(tiny_davis)).load(), OpticalFlowParams(methods=["dis_fast"])
    )
    with pytest.raises(FormatError, match=r"b/00001\.jpg.*cannot decode image"):
        FlowStoreDataset(path=str(tmp_path / "flow")).save(plan)


def test_load_and_save_errors(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="flow folder not found"):
        FlowStoreDataset(path=str(tmp_path / "none")).load()
    with pytest.raises(ValueError, match="saves a FlowPlan"):
        FlowStoreDataset(path=str(tmp_path / "x")).save({"not": "a plan"})
    store = FlowStore(tmp_path)
    with pytest.raises(FormatError, match="flow record missing"):
        store.record("dis_fast_gap1", "a")
