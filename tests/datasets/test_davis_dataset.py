"""DAVISSequences/DAVISDataset on DAVIS-2016 (grey PNGs) and DAVIS-2017 (palette, void, sparse)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from datasets_layouts import DAVIS_SIZE, davis_ids, read_rgb, rgb_frames
from kedro.io import DataCatalog, DatasetError
from PIL import Image

from vis_pipelines.datasets import DAVISDataset, DAVISSequences
from vis_pipelines.formats import FormatError


def test_davis16_grey_masks_and_framepath_imagesets(davis16) -> None:
    seqs = DAVISDataset(root=str(davis16["root"])).load()
    assert seqs.names() == ["bear", "blackswan", "car-shadow"]
    assert seqs.names("train") == davis16["imagesets"]["train"]
    assert seqs.imagesets == davis16["imagesets"]
    ids, annotated = seqs.load_masks("bear")
    assert ids.dtype == np.uint8 and set(np.unique(ids)) <= {0, 1}
    np.testing.assert_array_equal(ids, davis16["masks"]["bear"])
    assert annotated.tolist() == [True, True, True]
    frames = seqs.load_frames("blackswan")
    assert frames.shape == (3, *DAVIS_SIZE, 3)
    np.testing.assert_array_equal(frames[1], read_rgb(seqs.frame_paths("blackswan")[1]))
    assert seqs.frame_names("bear") == ["00000", "00001", "00002"]


def test_davis_split_restricts_names(davis16) -> None:
    val = DAVISDataset(root=str(davis16["root"]), split="val").load()
    assert val.names() == ["blackswan"] and val.names("train") == ["bear", "car-shadow"]


def test_davis17_palette_ids_void_and_sparse_annotations(davis17) -> None:
    seqs = DAVISDataset(root=str(davis17["root"]), year="2017").load()
    assert seqs.imagesets == davis17["imagesets"]
    ids, annotated = seqs.load_masks("dogs")
    np.testing.assert_array_equal(ids, davis17["masks"]["dogs"])
    assert set(np.unique(ids)) == {0, 1, 2, 3, 255}
    assert annotated.tolist() == [True, True, False]
    assert ids[2].max() == 0


def test_save_round_trip_from_folder(davis17, tmp_path: Path) -> None:
    src = DAVISDataset(root=str(davis17["root"]), year="2017").load()
    out = DAVISDataset(root=str(tmp_path / "copy"), year="2017")
    assert not out.exists()
    out.save(src)
    assert out.exists()
    back = out.load()
    assert back.names() == src.names() and back.imagesets == src.imagesets
    for seq in src.names():
        for a, b in zip(src.frame_paths(seq), back.frame_paths(seq), strict=True):
            assert a.read_bytes() == b.read_bytes()  # frames copied, not re-encoded
        ids_a, ann_a = src.load_masks(seq)
        ids_b, ann_b = back.load_masks(seq)
        np.testing.assert_array_equal(ids_a, ids_b)
        np.testing.assert_array_equal(ann_a, ann_b)
    # the un-annotated frame gets no PNG, and written PNGs use the palette (P mode)
    assert not (tmp_path / "copy" / "Annotations" / "480p" / "dogs" / "00002.png").exists()
    with Image.open(tmp_path / "copy" / "Annotations" / "480p" / "dogs" / "00000.png") as img:
        assert img.mode == "P"


def test_save_split_writes_only_its_sequences(davis16, tmp_path: Path) -> None:
    src = DAVISDataset(root=str(davis16["root"]), split="train").load()
    DAVISDataset(root=str(tmp_path / "t"), split="train").save(src)
    back = DAVISSequences(root=tmp_path / "t")
    assert back.names() == ["bear", "car-shadow"]
    assert back.imagesets == {"train": ["bear", "car-shadow"]}
    assert (tmp_path / "t" / "ImageSets" / "2016" / "train.txt").read_text() == "bear\ncar-shadow\n"
    np.testing.assert_array_equal(back.load_masks("bear")[0], davis16["masks"]["bear"])


def test_in_memory_sequences_round_trip(tmp_path: Path) -> None:
    frames = rgb_frames(5, t=2, h=DAVIS_SIZE[0], w=DAVIS_SIZE[1])
    masks = davis_ids(6, 2, (1, 2))
    masks[0, 3, 3] = 255
    seqs = DAVISSequences(
        sequences={
            "blob": lambda: (frames, masks),
            "sparse": lambda: (frames, masks, [False, True]),
        },
        imagesets={"val": ["blob", "sparse"]},
    )
    assert seqs.names() == ["blob", "sparse"] and seqs.frame_names("blob") == ["00000", "00001"]
    ids, annotated = seqs.load_masks("sparse")
    assert annotated.tolist() == [False, True] and ids[0].max() == 0
    ds = DAVISDataset(root=str(tmp_path / "mem"), jpeg_quality=95)
    ds.save(seqs)
    back = ds.load()
    assert back.names("val") == ["blob", "sparse"]
    np.testing.assert_array_equal(back.load_masks("blob")[0], masks)
    assert back.load_masks("sparse")[1].tolist() == [False, True]
    expected = np.stack(
        [
            cv2.cvtColor(
                cv2.imdecode(
                    cv2.imencode(
                        ".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95]
                    )[1],
                    cv2.IMREAD_COLOR,
                ),
                cv2.COLOR_BGR2RGB,
            )
            for f in frames
        ]
    )
    np.testing.assert_array_equal(back.load_frames("blob"), expected)


def test_catalog_from_config(davis17, tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "davis17_val": {
                "type": "vis_pipelines.datasets.DAVISDataset",
                "root": str(davis17["root"]),
                "year": "2017",
                "split": "val",
            },
            "davis_out": {
                "type": "vis_pipelines.datasets.DAVISDataset",
                "root": str(tmp_path / "o"),
                "year": "2017",
                "split": "val",
            },
        }
    )
    seqs = catalog.load("davis17_val")
    assert seqs.names() == ["dogs"]
    catalog.save("davis_out", seqs)
    assert catalog.load("davis_out").names() == ["dogs"]


# ----------------------------------------------------------------------------- errors
def test_wrong_png_size_names_the_png(davis17) -> None:
    png = davis17["root"] / "Annotations" / "480p" / "bike-packing" / "00001.png"
    Image.fromarray(np.zeros((5, 5), np.uint8), mode="P").save(png)
    seqs = DAVISSequences(root=davis17["root"], year="2017")
    with pytest.raises(FormatError) as err:
        seqs.load_masks("bike-packing")
    msg = str(err.value)
    assert "00001.png" in msg and "mask is 5x5" in msg and "field 'Annotations'" in msg
    assert "sequence bike-packing frame 00001" in msg


def test_missing_things(davis17, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="JPEGImages/480p.*frames folder not found"):
        DAVISDataset(root=str(tmp_path / "none")).load()
    with pytest.raises(FormatError, match=r"test-dev.txt.*no ImageSets list"):
        DAVISDataset(root=str(davis17["root"]), year="2017", split="test-dev").load()
    seqs = DAVISSequences(root=davis17["root"], year="2017")
    with pytest.raises(FormatError, match=r"JPEGImages/480p/cat.*sequence cat"):
        seqs.load_frames("cat")
    with pytest.raises(FormatError, match="unknown sequence 'cat'"):
        DAVISSequences(sequences={}).load_masks("cat")
    with pytest.raises(ValueError, match="exactly one"):
        DAVISSequences()
    with pytest.raises(ValueError, match="saves DAVISSequences"):
        DAVISDataset(root=str(tmp_path / "x")).save({"a": 1})


def test_corrupt_frame_through_catalog(davis16) -> None:
    (davis16["root"] / "JPEGImages" / "480p" / "bear" / "00001.jpg").write_bytes(b"junk")
    seqs = DAVISDataset(root=str(davis16["root"])).load()
    with pytest.raises(FormatError, match=r"bear/00001.jpg.*cannot decode"):
        seqs.load_frames("bear")
    catalog = DataCatalog.from_config(
        {
            "d": {
                "type": "vis_pipelines.datasets.DAVISDataset",
                "root": str(davis16["root"]),
                "split": "test",
            }
        }
    )
    with pytest.raises(DatasetError, match=r"ImageSets/480p/test.txt.*no ImageSets list"):
        catalog.load("d")
