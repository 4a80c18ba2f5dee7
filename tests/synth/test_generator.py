"""Generated videos: determinism, field contracts, split rules and exactness of the GT flow."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from vis_pipelines.synth import (
    Scene,
    SceneObject,
    SynthConfig,
    SynthVideo,
    build_categories,
    generate_video,
    iter_split,
)


def _same(a: SynthVideo, b: SynthVideo) -> bool:
    return (
        a.name == b.name
        and np.array_equal(a.frames, b.frames)
        and np.array_equal(a.instance_ids, b.instance_ids)
        and np.array_equal(a.flow, b.flow)
        and np.array_equal(a.occluded, b.occluded)
        and [(o.track_id, o.category_id, o.visible.tolist()) for o in a.objects]
        == [(o.track_id, o.category_id, o.visible.tolist()) for o in b.objects]
    )


def test_same_seed_same_video_different_seed_different(categories: list[dict]) -> None:
    cfg = SynthConfig()
    a = generate_video(cfg, "train", 4, categories)
    assert _same(a, generate_video(SynthConfig(), "train", 4, build_categories(SynthConfig())))
    other = dataclasses.replace(cfg, seed=1)
    b = generate_video(other, "train", 4, build_categories(other))
    assert a.frames.shape != b.frames.shape or not np.array_equal(a.frames, b.frames)
    # Another index or split is another video.
    assert not np.array_equal(generate_video(cfg, "valid", 4, categories).frames[0], a.frames[0])


def test_video_alone_equals_video_inside_split(categories: list[dict]) -> None:
    cfg = SynthConfig(n_train=5)
    third = generate_video(cfg, "train", 3, categories)  # generated first, out of order
    videos = list(iter_split(cfg, "train", categories, progress=False))
    assert [v.name for v in videos] == [f"train_{i:04d}" for i in range(5)]
    assert _same(videos[3], third)


def test_photometric_effects_leave_ground_truth_unchanged(
    categories: list[dict], clean_cfg: SynthConfig
) -> None:
    noisy = generate_video(SynthConfig(), "valid", 2, categories)
    clean = generate_video(clean_cfg, "valid", 2, categories)
    assert np.array_equal(noisy.instance_ids, clean.instance_ids)
    assert np.array_equal(noisy.flow, clean.flow) and np.array_equal(noisy.occluded, clean.occluded)
    diff = np.abs(noisy.frames.astype(float) - clean.frames)
    assert 0.5 < diff.mean() < 12.0  # noise std 2 plus a gain/offset drift of a few percent


def test_fields_shapes_dtypes_and_consistency(
    default_dataset: dict[str, list[SynthVideo]], default_cfg: SynthConfig
) -> None:
    names = [v.name for vs in default_dataset.values() for v in vs]
    assert len(names) == len(set(names)) == 100
    for split, videos in default_dataset.items():
        assert len(videos) == default_cfg.split_size(split)
        for v in videos:
            n, h, w = v.num_frames, default_cfg.height, default_cfg.width
            assert v.split == split and v.name.startswith(f"{split}_")
            assert default_cfg.min_frames <= n <= default_cfg.max_frames
            assert v.frames.shape == (n, h, w, 3) and v.frames.dtype == np.uint8
            assert v.instance_ids.shape == (n, h, w) and v.instance_ids.dtype == np.uint8
            assert v.flow.shape == (n - 1, h, w, 2) and v.flow.dtype == np.float32
            assert v.occluded.shape == (n - 1, h, w) and v.occluded.dtype == bool
            assert v.moving.shape == (n, h, w) and v.moving.dtype == bool
            assert np.array_equal(v.moving, v.instance_ids > 0)
            assert np.isfinite(v.flow).all()
            assert default_cfg.min_objects <= len(v.objects) <= default_cfg.max_objects
            assert [o.track_id for o in v.objects] == list(range(1, len(v.objects) + 1))
            assert set(np.unique(v.instance_ids)) <= {0, *range(1, len(v.objects) + 1)}
            for o in v.objects:
                assert o.visible.dtype == bool and o.visible.shape == (n,)
                assert np.array_equal(o.visible, (v.instance_ids == o.track_id).any(axis=(1, 2)))
                assert o.visible.any()  # every track shows up at least once


def test_objects_enter_and_leave(default_dataset: dict[str, list[SynthVideo]]) -> None:
    objects = [o for vs in default_dataset.values() for v in vs for o in v.objects]
    partial = [o for o in objects if not o.visible.all()]
    # enter_leave_prob = 0.3: a good share of tracks are absent from some frames, most are not.
    assert 0.1 * len(objects) < len(partial) < 0.5 * len(objects)


def test_split_rules(default_dataset: dict[str, list[SynthVideo]], categories: list[dict]) -> None:
    novel = {c["id"] for c in categories if c["split"] == "novel"}
    used = {
        split: {o.category_id for v in vs for o in v.objects}
        for split, vs in default_dataset.items()
    }
    assert not used["train"] & novel
    assert used["valid"] & novel and used["test"] & novel
    assert used["valid"] - novel and used["test"] - novel  # base categories too


def _warp_errors(v: SynthVideo, shift: float = 0.0) -> tuple[list[float], list[float]]:
    """Per frame pair: mean abs error of frame t+1 sampled at p + flow vs frame t, and the share of
    nearest-sampled ids that agree, both on non-occluded pixels."""
    h, w = v.instance_ids.shape[1:]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    errors, agree = [], []
    for t in range(v.num_frames - 1):
        mx, my = gx + v.flow[t, ..., 0] + shift, gy + v.flow[t, ..., 1]
        ok = ~v.occluded[t]
        warped = cv2.remap(
            v.frames[t + 1].astype(np.float32),
            mx,
            my,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        errors.append(float(np.abs(warped - v.frames[t]).mean(axis=-1)[ok].mean()))
        ids = cv2.remap(
            v.instance_ids[t + 1], mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE
        )
        agree.append(float((ids[ok] == v.instance_ids[t][ok]).mean()))
    return errors, agree


@pytest.mark.parametrize("camera_prob", [0.0, 1.0])
def test_gt_flow_warps_next_frame_onto_current(
    clean_cfg: SynthConfig, categories: list[dict], camera_prob: float
) -> None:
    """Tolerance: frame t+1 is resampled bilinearly at sub-pixel positions, which blurs the fine
    texture (4-8 px patterns, grain of sigma 0.8 px) and mixes surfaces across mask edges; with
    exact flow that costs ~0.3-1.5 grey levels on average, so 2.5 per frame pair is the bound, and a
    flow off by only half a pixel must do clearly worse."""
    cfg = dataclasses.replace(clean_cfg, camera_prob=camera_prob)
    for index in range(3):
        v = generate_video(cfg, "valid", index, categories)
        errors, agree = _warp_errors(v)
        assert max(errors) < 2.5
        assert np.mean(agree) >= 0.99
        off_errors, _ = _warp_errors(v, shift=0.5)
        assert np.mean(errors) < 0.5 * np.mean(off_errors)


def test_occlusion_false_keeps_objects_apart(
    clean_cfg: SynthConfig, categories: list[dict]
) -> None:
    cfg = dataclasses.replace(clean_cfg, occlusion=False, min_objects=3)
    for index in range(4):
        v = generate_video(cfg, "train", index, categories)
        h, w = v.instance_ids.shape[1:]
        gx, gy = np.meshgrid(np.arange(w), np.arange(h))
        for t in range(v.num_frames - 1):
            px, py = gx + v.flow[t, ..., 0], gy + v.flow[t, ..., 1]
            off_frame = (px < -0.5) | (px >= w - 0.5) | (py < -0.5) | (py >= h - 0.5)
            # Object points are only ever lost by leaving the frame, never behind another object.
            assert not (v.occluded[t] & (v.instance_ids[t] > 0) & ~off_frame).any()


def test_bad_arguments(categories: list[dict]) -> None:
    cfg = SynthConfig()
    with pytest.raises(ValueError, match="val"):
        generate_video(cfg, "val", 0, categories)
    with pytest.raises(ValueError, match="index"):
        generate_video(cfg, "train", -1, categories)
    with pytest.raises(ValueError, match="shape"):
        generate_video(cfg, "train", 0, [{"id": 1, "colour": "red", "split": "base"}])
    only_novel = [dict(c, split="novel") for c in categories]
    with pytest.raises(ValueError, match="train"):
        generate_video(cfg, "train", 0, only_novel)


def test_hidden_objects_are_brought_forward_and_off_frame_ones_dropped() -> None:
    from vis_pipelines.synth.generator import _render_all_visible
    from vis_pipelines.synth.motion import translation_transforms

    n_frames, rng = 3, np.random.default_rng(0)
    texture = rng.uniform(0, 255, (31, 31, 3)).astype(np.float32)

    def still(track_id: int, radius: float, centre: tuple[float, float], depth: int) -> SceneObject:
        return SceneObject(
            track_id,
            1,
            "circle",
            radius,
            texture[: 2 * int(radius) + 5, : 2 * int(radius) + 5],
            translation_transforms(np.tile(centre, (n_frames, 1))),
            depth,
        )

    scene = Scene(
        32,
        32,
        rng.uniform(0, 255, (32, 32, 3)).astype(np.float32),
        translation_transforms(np.zeros((n_frames, 2))),
        [
            still(1, 3.0, (16.0, 16.0), depth=0),  # inside the big one, behind it
            still(2, 12.0, (16.0, 16.0), depth=1),
            still(3, 3.0, (100.0, 16.0), depth=2),
        ],
    )  # never inside the frame
    rendering, kept = _render_all_visible(scene)
    assert [o.track_id for o in kept.objects] == [1, 2]
    small = next(o for o in kept.objects if o.track_id == 1)
    assert small.depth > max(o.depth for o in kept.objects if o.track_id != 1)
    assert all(rendering.visible[k].all() for k in (1, 2))
    # Radius 0.9 * 3 = 2.7: integer offsets with x^2 + y^2 <= 7.29 are 1 + 8 (axes) + 4 + 8 = 21.
    assert (rendering.instance_ids[0] == 1).sum() == 21
