"""Training clips: frame sampling, augmentation, targets, determinism and the step sampler."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import tiny_train_config, tiny_video_set
from scipy.ndimage import binary_dilation, binary_erosion

from vis_pipelines.datasets.video_set import VideoSet
from vis_pipelines.engine.clips import (
    ClipDataset,
    StepSampler,
    augment_clip,
    category_index,
    collate_clips,
    sample_frames,
)


@pytest.mark.parametrize("length,num,rng_seed", [(10, 2, 0), (10, 3, 1), (1, 2, 2), (3, 5, 3)])
def test_sample_frames_within_range_and_sorted(length, num, rng_seed):
    rng = np.random.default_rng(rng_seed)
    for _ in range(50):
        idx = sample_frames(length, num, 2, rng)
        assert len(idx) == num
        assert np.all(np.diff(idx) >= 0)
        assert idx.min() >= 0 and idx.max() < length
        assert idx.max() - idx.min() <= 4  # all within ± 2 of the reference frame
        if length >= num + 2 and num <= 3:
            assert len(set(idx.tolist())) == num  # no repeats when the range has room


def test_clip_targets_equal_ground_truth_without_augmentation():
    videos = tiny_video_set()
    cfg = tiny_train_config(scale_range=(1.0, 1.0), flip_prob=0.0)
    ds = ClipDataset(videos, cfg)
    cats = category_index(videos)
    for index in range(6):
        s = ds[index]
        vid = s["video_id"]
        frames = videos.load_frames(vid, s["frame_indices"])
        np.testing.assert_array_equal(s["frames"], frames)
        gt, anns = videos.instance_masks(vid, s["frame_indices"])
        visible = gt.reshape(len(gt), -1).any(1)
        np.testing.assert_array_equal(s["masks"], gt[visible])
        expected = [cats.index(a["category_id"]) for a, v in zip(anns, visible, strict=True) if v]
        assert s["labels"].tolist() == expected


def test_flip_moves_masks_with_frames():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (2, 8, 12, 3), dtype=np.uint8)
    masks = np.zeros((1, 2, 8, 12), np.uint8)
    masks[0, :, 2:4, 0:3] = 1
    cfg = tiny_train_config(crop_size=(8, 12), scale_range=(1.0, 1.0), flip_prob=1.0)
    f, m = augment_clip(frames, masks, cfg, rng)
    np.testing.assert_array_equal(f, frames[:, :, ::-1])
    assert m[0, :, 2:4, 9:12].all() and m.sum() == 12


def test_scale_and_crop_give_crop_size_and_consistent_masks():
    rng = np.random.default_rng(1)
    frames = np.zeros((2, 40, 60, 3), np.uint8)
    frames[:, 10:20, 20:30] = 255
    masks = np.zeros((1, 2, 40, 60), np.uint8)
    masks[0, :, 10:20, 20:30] = 1
    cfg = tiny_train_config(crop_size=(32, 48), scale_range=(0.5, 1.5), flip_prob=0.5)
    for _ in range(20):
        f, m = augment_clip(frames, masks, cfg, rng)
        assert f.shape == (2, 32, 48, 3) and m.shape == (1, 2, 32, 48)
        # The white square and the mask stay on the same pixels, up to a one-pixel boundary band
        # where bilinear frames and nearest-neighbour masks round differently.
        white = f[..., 0] > 127
        for t in range(2):
            band = binary_dilation(m[0, t], iterations=1) & ~binary_erosion(m[0, t], iterations=1)
            assert not ((white[t] != m[0, t].astype(bool)) & ~band).any()


def test_samples_are_a_function_of_the_index():
    videos = tiny_video_set()
    a = ClipDataset(videos, tiny_train_config())
    b = ClipDataset(videos, tiny_train_config())
    for index in (0, 5, 17):
        np.testing.assert_array_equal(a[index]["frames"], b[index]["frames"])
        np.testing.assert_array_equal(a[index]["masks"], b[index]["masks"])
    other = ClipDataset(videos, tiny_train_config(seed=1))
    assert any(not np.array_equal(a[i]["frames"], other[i]["frames"]) for i in range(4))


def test_every_video_once_per_epoch():
    videos = tiny_video_set()
    ds = ClipDataset(videos, tiny_train_config())
    n = len(videos)
    for epoch in range(3):
        seen = [ds.video_for(epoch * n + i) for i in range(n)]
        assert sorted(seen) == sorted(videos.video_ids)


def test_collate_shapes():
    videos = tiny_video_set()
    ds = ClipDataset(videos, tiny_train_config())
    clips, targets = collate_clips([ds[0], ds[1]])
    assert tuple(clips.shape) == (2, 2, 3, 64, 96)
    for t in targets:
        assert t["masks"].shape[1:] == (2, 64, 96)
        assert t["labels"].shape[0] == t["masks"].shape[0]


def test_step_sampler_ranks_are_disjoint_and_resume_continues():
    full = list(StepSampler(start_step=0, max_steps=4, per_rank=2))
    assert full == list(range(8))
    resumed = list(StepSampler(start_step=2, max_steps=4, per_rank=2))
    assert resumed == full[4:]
    r0 = list(StepSampler(start_step=0, max_steps=3, per_rank=2, rank=0, world=2))
    r1 = list(StepSampler(start_step=0, max_steps=3, per_rank=2, rank=1, world=2))
    assert not set(r0) & set(r1)
    assert sorted(r0 + r1) == list(range(12))


def test_unlabeled_set_is_refused():
    videos = tiny_video_set("valid")
    data = {**videos.data, "annotations": None}
    unlabeled = type(videos)(data, frame_source=videos.frame_source)
    with pytest.raises(ValueError, match="annotations"):
        ClipDataset(unlabeled, tiny_train_config())


def test_background_is_the_complement_of_all_instances_without_strokes():
    videos = tiny_video_set()
    cfg = tiny_train_config(scale_range=(1.0, 1.0), flip_prob=0.0)
    ds = ClipDataset(videos, cfg)
    for index in range(4):
        s = ds[index]
        gt, _ = videos.instance_masks(s["video_id"], s["frame_indices"])
        np.testing.assert_array_equal(s["background"], (~gt.any(0)).astype(np.uint8))
        assert not (s["background"].astype(bool) & s["masks"].any(0).astype(bool)).any()


def test_padding_is_neither_instance_nor_background():
    videos = tiny_video_set()
    h, w = videos.videos[0]["height"], videos.videos[0]["width"]
    # Half-size frames in a full-size crop: the bottom and right halves are padding.
    cfg = tiny_train_config(scale_range=(0.5, 0.5), flip_prob=0.0, crop_size=(h, w))
    s = ClipDataset(videos, cfg)[0]
    assert s["background"][:, : h // 2 - 1, : w // 2 - 1].any()
    assert not s["background"][:, h // 2 + 1 :].any()
    assert not s["background"][:, :, w // 2 + 1 :].any()
    assert not s["masks"][..., h // 2 + 1 :, :].any()


def test_background_strokes_come_from_null_category_annotations():
    from vis_pipelines.formats.rle import encode_masks

    videos = tiny_video_set()
    data = videos.data
    anns = list(data["annotations"])
    strokes = {}
    for k, video in enumerate(data["videos"]):
        t, h, w = video["length"], video["height"], video["width"]
        stroke = np.zeros((t, h, w), np.uint8)
        stroke[:, 2, 5 : 5 + 10 + k] = 1  # a horizontal background stroke in every frame
        strokes[video["id"]] = stroke
        anns.append(
            {
                "id": 10_000 + k,
                "video_id": video["id"],
                "category_id": None,
                "segmentations": encode_masks(stroke.astype(bool)),
                "areas": [int(m.sum()) for m in stroke],
                "bboxes": [[5, 2, 10 + k, 1]] * t,
                "iscrowd": 0,
            }
        )
    scribbled = videos.with_data({**data, "annotations": anns})
    h, w = data["videos"][0]["height"], data["videos"][0]["width"]
    cfg = tiny_train_config(scale_range=(1.0, 1.0), flip_prob=0.0, crop_size=(h, w))
    ds = ClipDataset(scribbled, cfg)
    first = data["videos"][0]["id"]
    assert len(ds.anns[first]) == len(videos.annotations_for(first))  # strokes are no instance
    for index in range(4):
        s = ds[index]
        np.testing.assert_array_equal(s["background"], strokes[s["video_id"]][s["frame_indices"]])
    clips, targets = collate_clips([ds[0], ds[1]])
    assert targets[0]["background"].shape == clips.shape[1:2] + clips.shape[3:]


def _two_square_videos() -> VideoSet:
    """Two 3-frame 16x16 videos of constant grey 10 / 200, one square instance each."""
    from vis_pipelines.formats.rle import encode_masks

    squares = {1: (slice(2, 8), slice(2, 8)), 2: (slice(6, 12), slice(6, 12))}
    videos, anns = [], []
    for vid, (ys, xs) in squares.items():
        videos.append(
            {
                "id": vid,
                "width": 16,
                "height": 16,
                "length": 3,
                "file_names": [f"v{vid}/{t:05d}.jpg" for t in range(3)],
            }
        )
        m = np.zeros((3, 16, 16), bool)
        m[:, ys, xs] = True
        anns.append(
            {
                "id": vid,
                "video_id": vid,
                "category_id": vid,
                "iscrowd": 0,
                "segmentations": encode_masks(m),
                "areas": [36] * 3,
                "bboxes": [[2, 2, 6, 6]] * 3,
            }
        )
    data = {
        "videos": videos,
        "annotations": anns,
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
    }
    grey = {1: 10, 2: 200}
    return VideoSet(
        data, frame_source=lambda v: np.full((v["length"], 16, 16, 3), grey[v["id"]], np.uint8)
    )


def test_copy_paste_puts_the_other_videos_instance_on_top():
    videos = _two_square_videos()
    cfg = tiny_train_config(
        crop_size=(16, 16), scale_range=(1.0, 1.0), flip_prob=0.0, copy_paste_prob=1.0
    )
    ds = ClipDataset(videos, cfg)
    a = np.zeros((16, 16), bool)
    a[2:8, 2:8] = True
    b = np.zeros((16, 16), bool)
    b[6:12, 6:12] = True
    grey = {1: 10, 2: 200}
    for index in range(4):
        s = ds[index]
        own, other = (a, b) if s["video_id"] == 1 else (b, a)
        own_label, other_label = (0, 1) if s["video_id"] == 1 else (1, 0)
        # The pasted instance comes last; the clip's own instance loses the occluded pixels.
        assert s["labels"].tolist() == [own_label, other_label]
        for t in range(2):
            np.testing.assert_array_equal(s["masks"][0, t], own & ~other)
            np.testing.assert_array_equal(s["masks"][1, t], other)
            np.testing.assert_array_equal(s["background"][t], ~(own | other))
            expected = np.where(other, grey[3 - s["video_id"]], grey[s["video_id"]])
            np.testing.assert_array_equal(s["frames"][t, ..., 0], expected)


def test_copy_paste_from_an_unannotated_video_leaves_the_clip_as_it_is():
    videos = _two_square_videos()
    data = videos.data
    anns = [a for a in data["annotations"] if a["video_id"] == 1]  # video 2 has no instances
    bare = videos.with_data({**data, "annotations": anns})
    kw = dict(crop_size=(16, 16), scale_range=(1.0, 1.0), flip_prob=0.0)
    plain = ClipDataset(bare, tiny_train_config(**kw))
    pasted = ClipDataset(bare, tiny_train_config(**kw, copy_paste_prob=1.0))
    for index in range(4):
        p, q = plain[index], pasted[index]
        if q["video_id"] == 1:  # the donor (video 2) has nothing to paste
            np.testing.assert_array_equal(p["frames"], q["frames"])
            np.testing.assert_array_equal(p["masks"], q["masks"])
            np.testing.assert_array_equal(p["background"], q["background"])
            assert p["labels"].tolist() == q["labels"].tolist() == [0]
        else:  # an empty clip receives video 1's square
            assert len(p["labels"]) == 0 and q["labels"].tolist() == [0]
            assert q["masks"][0, :, 2:8, 2:8].all() and q["masks"].sum() == 2 * 36


def test_copy_paste_off_keeps_the_clip_stream_and_is_deterministic():
    videos = tiny_video_set()
    plain = ClipDataset(videos, tiny_train_config())
    pasted = ClipDataset(videos, tiny_train_config(copy_paste_prob=0.5))
    again = ClipDataset(videos, tiny_train_config(copy_paste_prob=0.5))
    changed = 0
    for index in range(8):
        p, q, r = plain[index], pasted[index], again[index]
        np.testing.assert_array_equal(q["frames"], r["frames"])
        np.testing.assert_array_equal(q["masks"], r["masks"])
        # Pasting draws after the clip's own frames, so the clip's video and frames stay.
        assert p["video_id"] == q["video_id"]
        np.testing.assert_array_equal(p["frame_indices"], q["frame_indices"])
        changed += len(q["labels"]) > len(p["labels"])
    assert changed > 0
    # Target masks never overlap after pasting.
    for index in range(8):
        m = pasted[index]["masks"]
        assert (m.sum(0) <= 1).all()


def test_copy_paste_needs_full_masks():
    videos = tiny_video_set()
    data = videos.data
    video = data["videos"][0]
    from vis_pipelines.formats.rle import encode_masks

    stroke = np.zeros((video["length"], video["height"], video["width"]), bool)
    stroke[:, 1, 1:5] = True
    ann = {
        "id": 99_999,
        "video_id": video["id"],
        "category_id": None,
        "iscrowd": 0,
        "segmentations": encode_masks(stroke),
        "areas": [4] * video["length"],
        "bboxes": [[1, 1, 4, 1]] * video["length"],
    }
    scribbled = videos.with_data({**data, "annotations": [*data["annotations"], ann]})
    ClipDataset(scribbled, tiny_train_config())  # fine without copy-paste
    with pytest.raises(ValueError, match="copy_paste_prob needs full instance masks"):
        ClipDataset(scribbled, tiny_train_config(copy_paste_prob=0.5))
    with pytest.raises(ValueError, match="copy_paste_prob"):
        tiny_train_config(copy_paste_prob=1.5)
