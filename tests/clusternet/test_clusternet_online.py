"""Online schedule: causality, determinism, the oracle callback, parts, parameters, jobs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from clusternet_fixtures import H, W, tiny_params, two_motion_sequence

from vis_pipelines.clusternet.config import ClusterNetParams
from vis_pipelines.clusternet.jobs import lazy_results
from vis_pipelines.clusternet.online import cluster_online, sequence_seed
from vis_pipelines.clusternet.parts import arrays_hash, make_part, part_is_current, part_masks
from vis_pipelines.clusternet.sequence import SequenceMasks, segment_sequence


def test_frame_t_never_depends_on_later_frames() -> None:
    motions, _ = two_motion_sequence(6)
    params = tiny_params()
    full = segment_sequence("gt_free", motions, params, name="s")
    # The future changes completely (another motion, noise): frames 0..3 must not change.
    future = motions.copy()
    future[3:] = np.random.default_rng(0).normal(0, 3, size=future[3:].shape)
    changed = segment_sequence("gt_free", future, params, name="s")
    prefix = segment_sequence("gt_free", motions[:3], params, name="s")
    np.testing.assert_array_equal(changed.masks[:4], full.masks[:4])
    np.testing.assert_array_equal(prefix.masks, full.masks[:4])
    assert not np.array_equal(changed.masks[4:], full.masks[4:])


def test_sequence_scope_pretraining_is_not_causal() -> None:
    """The released whole-sequence pre-training lets later flows shape early clusters."""
    motions, _ = two_motion_sequence(6)
    cfg = dataclasses.replace(tiny_params().online, pretrain_scope="sequence", steps=0)
    future = motions.copy()
    future[3:] *= -2.0
    a = cluster_online(motions, model_config=tiny_params().model, config=cfg, name="s")
    b = cluster_online(future, model_config=tiny_params().model, config=cfg, name="s")
    assert not np.array_equal(a.labels[0], b.labels[0])


def test_online_is_deterministic_and_reports_every_step() -> None:
    motions, _ = two_motion_sequence(4)
    params = tiny_params()
    calls: list[tuple[int, int, tuple]] = []
    result = cluster_online(
        motions,
        model_config=params.model,
        config=params.online,
        name="s",
        on_step=lambda i, step, labels: calls.append((i, step, labels.shape)),
    )
    assert calls == [(i, s, (H, W)) for i in range(3) for s in range(3)]
    again = cluster_online(motions, model_config=params.model, config=params.online, name="s")
    np.testing.assert_array_equal(result.labels, again.labels)
    assert result.labels.shape == (3, H, W) and len(result.loss) == 3
    assert np.isfinite(result.loss).all() and result.pretrain_steps == 30
    assert sequence_seed(0, "a") != sequence_seed(0, "b") != sequence_seed(1, "b")
    with pytest.raises(ValueError, match="motions"):
        cluster_online(motions[0], model_config=params.model, config=params.online)


def test_parts_round_trip_and_fingerprints() -> None:
    masks = np.zeros((3, 4, 5), bool)
    masks[1, 1:3, 2:4] = True
    part = make_part(
        SequenceMasks(masks, [{"frame": 0}], 1.5),
        key="s",
        frames=["a", "b", "c"],
        params="p" * 12,
        source="i" * 12,
        info={"mode": "gt_free"},
    )
    np.testing.assert_array_equal(part_masks(part), masks.astype(np.uint8))
    assert part["mode"] == "gt_free" and part["size"] == [4, 5]
    assert part_is_current(part, params="p" * 12, source="i" * 12, frames=["a", "b", "c"])
    assert not part_is_current(part, params="x" * 12, source="i" * 12)
    assert not part_is_current(part, params="p" * 12, source="i" * 12, frames=["a", "b"])
    assert not part_is_current({"format": "other"}, params="p" * 12)
    a = np.zeros((2, 2))
    assert arrays_hash([a, None]) != arrays_hash([a]) != arrays_hash([a.astype(np.float32)])
    with pytest.raises(ValueError, match="3 masks for 2 frames"):
        make_part(SequenceMasks(masks), key="s", frames=["a", "b"], params="", source="", info={})


def test_parameters_are_checked_and_hashed_per_mode() -> None:
    params = tiny_params()
    assert params.online_for("as_released").pretrain_scope == "sequence"
    assert params.online_for("gt_free").pretrain_scope == "causal"
    flow = {"source": "gt", "gap": 1}
    baseline = params.hashed("baseline", flow)
    assert "online" not in baseline and "model" not in baseline
    assert "selection" in params.hashed("gt_free", flow)
    assert "selection" not in params.hashed("as_released", flow)
    assert "threads" not in params.hashed("gt_free", flow)["online"]
    assert ClusterNetParams(model={"width": 8}).model.width == 8
    with pytest.raises(ValueError, match=r"clusternet.model: unknown key\(s\) \['widht'\]"):
        ClusterNetParams(model={"widht": 8})
    with pytest.raises(ValueError, match="unknown mode"):
        ClusterNetParams(modes={"oracle": {}})
    with pytest.raises(ValueError, match="pretrain_scope"):
        ClusterNetParams(modes={"gt_free": {"pretrain_scope": "future"}})
    with pytest.raises(ValueError, match="workers"):
        ClusterNetParams(workers=0)
    with pytest.raises(ValueError, match="flow_size"):
        ClusterNetParams(flow_size=[10])


def _square(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * x


def test_lazy_results_in_process_and_in_workers() -> None:
    jobs = {f"k{i}": (i,) for i in range(4)}
    serial = lazy_results(_square, jobs, workers=1)
    parallel = lazy_results(_square, jobs, workers=2)
    assert {k: f() for k, f in serial.items()} == {k: f() for k, f in parallel.items()}
    failing = lazy_results(_square, {"a": (1,), "b": (-1,)}, workers=2)
    assert failing["a"]() == 1
    with pytest.raises(ValueError, match="negative"):
        failing["b"]()
