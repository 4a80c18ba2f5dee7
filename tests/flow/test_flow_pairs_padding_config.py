"""Frame pairs and folder names, RAFT input padding, and parameter validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vis_pipelines.flow import (
    FinetuneConfig,
    InputPadder,
    OpticalFlowParams,
    RaftParams,
    SequenceSelection,
    flow_frame_names,
    folder_name,
    frame_pairs,
)


def test_forward_and_backward_pairs() -> None:
    src, dst = frame_pairs(5, 1)
    assert src.tolist() == [0, 1, 2, 3] and dst.tolist() == [1, 2, 3, 4]
    src, dst = frame_pairs(5, -1)
    assert src.tolist() == [1, 2, 3, 4] and dst.tolist() == [0, 1, 2, 3]
    src, dst = frame_pairs(5, 2)
    assert src.tolist() == [0, 1, 2] and dst.tolist() == [2, 3, 4]
    src, dst = frame_pairs(5, -3)
    assert src.tolist() == [3, 4] and dst.tolist() == [0, 1]
    for n, gap in ((1, 1), (2, 3), (0, -1), (3, -3)):
        assert frame_pairs(n, gap)[0].size == 0
    with pytest.raises(ValueError, match="non-zero"):
        frame_pairs(5, 0)


def test_flow_files_are_named_after_the_source_frame() -> None:
    names = ["00000", "00005", "00010"]
    assert flow_frame_names(names, 1) == ["00000", "00005"]
    assert flow_frame_names(names, -1) == ["00005", "00010"]
    assert folder_name("dis_fast", 1) == "dis_fast_gap1"
    assert folder_name("raft_small", -1) == "raft_small_gap-1"


def test_padder_pads_to_multiples_of_8_and_min_size() -> None:
    padder = InputPadder(50, 70, multiple=8)
    assert padder.padded_size == (56, 72)
    assert (padder.top, padder.bottom, padder.left, padder.right) == (3, 3, 1, 1)
    padder = InputPadder(96, 160, multiple=8, min_size=128)
    assert padder.padded_size == (128, 160)
    assert (padder.top, padder.bottom) == (16, 16)
    assert InputPadder(128, 136, min_size=128).padded_size == (128, 136)


def test_padder_replicates_edges_and_unpad_inverts() -> None:
    x = torch.arange(2 * 3 * 5 * 7, dtype=torch.float32).reshape(2, 3, 5, 7)
    padder = InputPadder(5, 7, multiple=8)
    (padded,) = padder.pad(x)
    assert padded.shape == (2, 3, 8, 8)
    torch.testing.assert_close(padder.unpad(padded), x)
    # Replication: the padded rows/columns repeat the image's border values.
    torch.testing.assert_close(
        padded[..., : padder.top, padder.left], x[..., :1, 0].expand(2, 3, 1)
    )
    torch.testing.assert_close(padded[..., -1, padder.left : padder.left + 7], x[..., -1, :])
    with pytest.raises(ValueError, match="expected 5x7"):
        padder.pad(torch.zeros(1, 3, 6, 7))


def test_params_from_yaml_values() -> None:
    params = OpticalFlowParams(
        methods=["dis_fast", "raft_small"],
        gaps=[1, -1],
        sequences={"split": "val", "limit": 3},
        raft={"weights": {"raft_small": "w.pth"}, "batch_size": 2},
        farneback={"levels": 5},
    )
    assert params.methods == ("dis_fast", "raft_small") and params.gaps == (1, -1)
    assert params.sequences == SequenceSelection(split="val", limit=3)
    assert params.raft.weights == {"raft_small": "w.pth", "raft_large": None}
    assert isinstance(params.raft, RaftParams) and params.raft.batch_size == 2
    assert params.farneback.levels == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"methods": ["pwc"]}, "methods: unknown"),
        ({"methods": []}, "methods"),
        ({"gaps": [0]}, "gaps"),
        ({"gaps": [1, 1]}, "gaps"),
        ({"sequences": {"spilt": "val"}}, "unknown key"),
        ({"sequences": {"shard_index": 2, "shard_count": 2}}, "shard_index"),
        ({"raft": {"batch_size": 0}}, "batch_size"),
        ({"raft": {"weights": {"raft_tiny": "x"}}}, "weights"),
        ({"raft": {"min_size": 100}}, "multiple of 8"),
        ({"farneback": {"pyr_scale": 1.5}}, "pyr_scale"),
    ],
)
def test_bad_params_name_the_field(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OpticalFlowParams(**kwargs)


def test_finetune_config_checks() -> None:
    cfg = FinetuneConfig(crop=[64, 96], steps=3)
    assert cfg.crop == (64, 96) and cfg.method == "raft_small_finetuned"
    for bad in ({"arch": "pwc"}, {"gamma": 1.5}, {"crop": [64]}, {"steps": -1}, {"gt_gap": 0}):
        with pytest.raises(ValueError, match="FinetuneConfig"):
            FinetuneConfig(**bad)
    assert np.isclose(FinetuneConfig().gamma, 0.8)
