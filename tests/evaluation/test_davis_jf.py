"""DAVIS J&F per task: frame conventions, object handling, Hungarian matching, PNG folders."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vis_pipelines.evaluation.davis import davis_scores, evaluate_davis, read_davis_folders
from vis_pipelines.evaluation.vos_measures import region_similarity
from vis_pipelines.formats.davis import write_mask_png
from vis_pipelines.formats.errors import FormatError

H, W = 48, 64


def ids(*objs: tuple[int, int, int, int, int], void: tuple | None = None) -> np.ndarray:
    """One id map: objects (id, y0, x0, y1, x1) painted in order."""
    m = np.zeros((H, W), np.uint8)
    for oid, y0, x0, y1, x1 in objs:
        m[y0:y1, x0:x1] = oid
    if void is not None:
        y0, x0, y1, x1 = void
        m[y0:y1, x0:x1] = 255
    return m


OBJ1 = (1, 5, 5, 20, 20)
OBJ2 = (2, 25, 30, 45, 60)


def test_semi_perfect_and_first_last_frames_not_evaluated() -> None:
    gt = {"s": np.stack([ids(OBJ1, OBJ2)] * 5)}
    pred = {"s": np.stack([ids(OBJ1, OBJ2)] * 5)}
    pred["s"][0] = 0  # garbage on the first and last frame is never scored
    pred["s"][4] = ids((2, 5, 5, 20, 20))
    out = evaluate_davis(gt, pred, task="semi")
    assert out["summary"]["J_mean"] == pytest.approx(100.0)
    assert out["summary"]["JF_mean"] == pytest.approx(100.0)
    assert out["per_object"]["n_frames"].tolist() == [3, 3]


def test_semi_missing_object_is_empty_and_extra_id_is_an_error() -> None:
    gt = {"s": np.stack([ids(OBJ1, OBJ2)] * 4)}
    pred = {"s": np.stack([ids(OBJ1)] * 4)}
    summary, table = davis_scores(gt, pred, task="semi")
    assert table.set_index("object").loc[2, "J_mean"] == 0.0
    assert summary["J_mean"] == pytest.approx(0.5)  # averaged per object
    with pytest.raises(FormatError, match="object id 3"):
        davis_scores(gt, {"s": np.stack([ids(OBJ1, (3, 0, 0, 2, 2))] * 4)}, task="semi")


def test_semi_ignores_void_and_unsupervised_applies_it() -> None:
    void = (5, 12, 20, 20)  # right part of object 1 is void in the GT
    gt = {"s": np.stack([ids((1, 5, 5, 20, 12), void=void)] * 3)}
    pred = {"s": np.stack([ids(OBJ1)] * 3)}  # predicts the void part too
    semi, _ = davis_scores(gt, pred, task="semi")
    expected = (15 * 7) / (15 * 15)  # void pixels count as background for semi
    assert semi["J_mean"] == pytest.approx(expected)
    unsup, _ = davis_scores(gt, pred, task="unsupervised")
    assert unsup["J_mean"] == pytest.approx(1.0)


def test_unsupervised_hungarian_matching_with_swapped_ids() -> None:
    gt = {"s": np.stack([ids(OBJ1, OBJ2)] * 3)}
    pred = {"s": np.stack([ids((3, *OBJ1[1:]), (1, *OBJ2[1:]), (2, 0, 0, 3, 3))] * 3)}
    summary, table = davis_scores(gt, pred, task="unsupervised")
    assert summary["J_mean"] == pytest.approx(1.0) and summary["F_mean"] == pytest.approx(1.0)
    assert table["proposal"].tolist() == [3, 1]
    assert table["n_frames"].tolist() == [3, 3]  # every frame is evaluated


def test_unsupervised_too_many_proposals() -> None:
    gt = {"s": np.stack([ids(OBJ1)] * 2)}
    pred = {"s": np.stack([ids((21, 0, 0, 2, 2))] * 2)}
    with pytest.raises(FormatError, match="21 proposals"):
        davis_scores(gt, pred, task="unsupervised")


def test_binary_davis2016_convention() -> None:
    gt_frames = [ids(OBJ1, OBJ2)] * 6
    pred_frames = [ids(OBJ1)] * 6  # object 2 missed: J = |1| / |1 u 2| on the evaluated frames
    pred_frames[0] = np.zeros((H, W), np.uint8)
    summary, table = davis_scores({"s": gt_frames}, {"s": pred_frames}, task="binary")
    j = region_similarity(gt_frames[1] != 0, pred_frames[1] != 0)
    assert summary["J_mean"] == pytest.approx(j)
    assert table["n_frames"].tolist() == [4]  # frames 1..4 of 0..5
    assert summary["J_decay"] == pytest.approx(0.0)


def test_binary_sparse_annotations_are_skipped() -> None:
    gt = [ids(OBJ1), None, ids(OBJ1), None, ids(OBJ1)]
    pred = [ids(OBJ1), ids(OBJ2), ids(OBJ2), ids(OBJ2), ids(OBJ1)]
    summary, table = davis_scores({"s": gt}, {"s": pred}, task="binary", drop_first_last=False)
    assert table["n_frames"].tolist() == [3]
    assert summary["J_mean"] == pytest.approx(2 / 3)
    assert summary["J_recall"] == pytest.approx(2 / 3)


def test_too_short_sequence_is_undefined_not_zero() -> None:
    out = evaluate_davis({"s": [ids(OBJ1)] * 2}, {"s": [ids(OBJ1)] * 2}, task="binary")
    assert out["summary"]["J_mean"] is None


def test_errors_name_the_sequence() -> None:
    gt = {"seqA": np.stack([ids(OBJ1)] * 3)}
    with pytest.raises(FormatError, match="seqA"):
        davis_scores(gt, {"seqA": np.stack([ids(OBJ1)] * 2)}, task="semi")
    with pytest.raises(FormatError, match="no predictions"):
        davis_scores(gt, {}, task="semi")
    with pytest.raises(ValueError, match="task"):
        davis_scores(gt, gt, task="nope")


def test_read_folders_and_decay(tmp_path) -> None:
    for t in range(8):
        write_mask_png(tmp_path / "gt" / "seq" / f"{t:05d}.png", ids(OBJ1))
        # the prediction drifts away over time: J decays
        y = 5 + t
        pred = ids((1, y, 5, y + 15, 20))
        if t > 0:  # the first frame may be missing from predictions (not evaluated in semi)
            write_mask_png(tmp_path / "pred" / "seq" / f"{t:05d}.png", pred)
    gt, pred = read_davis_folders(tmp_path / "gt", tmp_path / "pred", task="semi")
    assert len(gt["seq"]) == 8 and pred["seq"][0].max() == 0
    summary, table = davis_scores(gt, pred, task="semi")
    assert summary["J_decay"] > 0
    js = [region_similarity(gt["seq"][t] == 1, pred["seq"][t] == 1) for t in range(1, 7)]
    assert summary["J_mean"] == pytest.approx(float(np.mean(js)))
    with pytest.raises(FormatError, match="not found"):
        read_davis_folders(tmp_path / "gt", tmp_path / "pred", task="unsupervised")
    assert not math.isnan(table["F_mean"].iloc[0])
