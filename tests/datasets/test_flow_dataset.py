"""FlowSequences / FlowDirDataset: lazy .flo folders, in-memory flows, atomic saves, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasets_layouts import flo_bytes
from kedro.io import DataCatalog

from vis_pipelines.datasets import FlowDirDataset, FlowSequences
from vis_pipelines.formats import FormatError

TYPE = "vis_pipelines.datasets.FlowDirDataset"


def test_load_lists_and_reads(flow_dir) -> None:
    flows = FlowDirDataset(path=str(flow_dir["root"])).load()
    assert flows.names() == ["bear", "car"]
    for seq, (names, truth) in flow_dir["flows"].items():
        assert flows.frame_names(seq) == names
        got = flows.load(seq)
        assert got.dtype == np.float32 and got.shape == truth.shape
        np.testing.assert_array_equal(got, truth)
    np.testing.assert_array_equal(flows.read("car", "00001"), flow_dir["flows"]["car"][1][1])


def test_load_is_lazy(flow_dir) -> None:
    (flow_dir["root"] / "car" / "00002.flo").write_bytes(b"PIEH")  # corrupt, not read yet
    flows = FlowDirDataset(path=str(flow_dir["root"])).load()
    np.testing.assert_array_equal(flows.load("bear"), flow_dir["flows"]["bear"][1])
    with pytest.raises(FormatError) as err:
        flows.load("car")
    assert "car/00002.flo" in str(err.value) and "too short" in str(err.value)


def test_save_round_trip_from_folder_and_memory(flow_dir, tmp_path: Path) -> None:
    src = FlowDirDataset(path=str(flow_dir["root"])).load()
    copy = FlowDirDataset(path=str(tmp_path / "copy" / "dis_gap1"))
    assert not copy.exists()
    copy.save(src)
    for seq in src.names():
        for name in src.frame_names(seq):
            a = flow_dir["root"] / seq / f"{name}.flo"
            b = tmp_path / "copy" / "dis_gap1" / seq / f"{name}.flo"
            assert a.read_bytes() == b.read_bytes()
    flow = np.random.default_rng(0).normal(size=(2, 5, 7, 2)).astype(np.float32)
    mem = FlowSequences(flows={"s": lambda: (["00003", "00004"], flow)})
    assert mem.frame_names("s") == ["00003", "00004"]
    np.testing.assert_array_equal(mem.read("s", "00004"), flow[1])
    out = FlowDirDataset(path=str(tmp_path / "mem"))
    out.save(mem)
    assert (tmp_path / "mem" / "s" / "00003.flo").read_bytes() == flo_bytes(flow[0])
    np.testing.assert_array_equal(out.load().load("s"), flow)
    assert not list(tmp_path.rglob("*.tmp"))


def test_catalog_from_config(flow_dir, tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "flow_dis": {"type": TYPE, "path": str(flow_dir["root"])},
            "flow_out": {"type": TYPE, "path": str(tmp_path / "o")},
        }
    )
    catalog.save("flow_out", catalog.load("flow_dis"))
    np.testing.assert_array_equal(
        catalog.load("flow_out").load("bear"), flow_dir["flows"]["bear"][1]
    )


def test_errors(flow_dir, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="flow folder not found"):
        FlowDirDataset(path=str(tmp_path / "none")).load()
    flows = FlowSequences(root=flow_dir["root"])
    with pytest.raises(FormatError, match=r"dis_gap1/cow.*sequence cow"):
        flows.frame_names("cow")
    bad_magic = flo_bytes(np.zeros((6, 8, 2), np.float32))
    (flow_dir["root"] / "bear" / "00000.flo").write_bytes(b"\0\0\0\0" + bad_magic[4:])
    with pytest.raises(FormatError, match=r"bear/00000.flo.*bad magic"):
        flows.read("bear", "00000")
    small = np.zeros((4, 8, 2), np.float32)
    (flow_dir["root"] / "bear" / "00000.flo").write_bytes(flo_bytes(small))
    with pytest.raises(FormatError, match=r"bear/00001.flo.*expected 4x8"):
        flows.load("bear")
    with pytest.raises(FormatError, match="no flow for frame '00009'"):
        FlowSequences(flows={"s": lambda: (["0"], np.zeros((1, 2, 2, 2)))}).read("s", "00009")
    with pytest.raises(ValueError, match=r"expected 2 flows"):
        FlowSequences(flows={"s": lambda: (["0", "1"], np.zeros((1, 2, 2, 2)))}).load("s")


def test_occlusion_masks_roundtrip(tmp_path) -> None:
    """Occlusion masks travel beside the flow as <frame>_occ.png and come back as booleans."""
    flow = np.zeros((2, 3, 4, 2), np.float32)
    flow[1, ..., 0] = 1.5
    occ = np.zeros((2, 3, 4), bool)
    occ[0, 1, 2] = True
    occ[1, :, 3] = True
    ds = FlowDirDataset(path=str(tmp_path / "gt_gap1"))
    ds.save(FlowSequences(flows={"seq": lambda: (["00000", "00001"], flow, occ)}))
    assert sorted(p.name for p in (tmp_path / "gt_gap1/seq").iterdir()) == [
        "00000.flo",
        "00000_occ.png",
        "00001.flo",
        "00001_occ.png",
    ]
    loaded = ds.load()
    assert loaded.frame_names("seq") == ["00000", "00001"]
    np.testing.assert_array_equal(loaded.load("seq"), flow)
    np.testing.assert_array_equal(loaded.load_occlusion("seq"), occ)
    # Copying a folder keeps the masks; a flow folder without masks reports None.
    copy = FlowDirDataset(path=str(tmp_path / "copy"))
    copy.save(loaded)
    np.testing.assert_array_equal(copy.load().load_occlusion("seq"), occ)
    (tmp_path / "gt_gap1/seq/00001_occ.png").unlink()
    with pytest.raises(FormatError, match=r"00001_occ\.png.*occlusion mask missing"):
        loaded.load_occlusion("seq")
    FlowDirDataset(path=str(tmp_path / "plain")).save(
        FlowSequences(flows={"s": lambda: (["00000"], flow[:1])})
    )
    assert FlowDirDataset(path=str(tmp_path / "plain")).load().load_occlusion("s") is None
