"""torchvision RAFT through the project's loading code: a random-weights raft_small made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from flow_helpers import translated_video

from vis_pipelines.flow import (
    MissingWeightsError,
    OpticalFlowParams,
    RaftFlow,
    build_estimator,
    build_plan,
    build_raft,
    load_raft,
    load_raft_weights,
    official_weight_urls,
    resolve_device,
)
from vis_pipelines.formats import FormatError


@pytest.fixture(scope="module")
def raft(raft_small_weights: Path) -> RaftFlow:
    state = load_raft_weights(raft_small_weights, "raft_small")
    return RaftFlow(load_raft(state, "raft_small"), name="raft_small", iterations=2, batch_size=3)


def test_loaded_weights_are_the_saved_ones(raft_small_weights: Path) -> None:
    saved = torch.load(raft_small_weights, weights_only=True)
    model = load_raft(load_raft_weights(raft_small_weights, "raft_small"), "raft_small")
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(tensor, saved[name])
    assert not model.training


def test_shape_padding_and_normalisation(raft: RaftFlow) -> None:
    frames = translated_video(4, 50, 70, 1.0, 0.0)  # neither side a multiple of 8, below 128
    seen: list[torch.Tensor] = []
    hook = raft.model.register_forward_pre_hook(lambda _m, args: seen.append(args[0].clone()))
    try:
        flow = raft.estimate(frames[:3], frames[1:])
    finally:
        hook.remove()
    assert flow.shape == (3, 50, 70, 2) and flow.dtype == np.float32
    assert np.isfinite(flow).all()
    (x,) = seen
    assert x.shape == (3, 3, 128, 128)  # padded to torchvision RAFT's 128 px minimum
    # RAFT expects [-1, 1]: 0 -> -1, 255 -> 1.
    assert x.min() >= -1.0 and x.max() <= 1.0
    top, left = (128 - 50) // 2, (128 - 70) // 2
    expected = torch.from_numpy(frames[:3]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    torch.testing.assert_close(x[:, :, top : top + 50, left : left + 70], expected)


def test_batching_does_not_change_the_flow(raft: RaftFlow, raft_small_weights: Path) -> None:
    frames = translated_video(5, 40, 48, 0.5, 0.5)
    batched = raft.estimate(frames[:4], frames[1:])  # batches of 3 + 1
    single = RaftFlow(
        load_raft(load_raft_weights(raft_small_weights, "raft_small"), "raft_small"),
        name="raft_small",
        iterations=2,
        batch_size=1,
    ).estimate(frames[:4], frames[1:])
    np.testing.assert_allclose(batched, single, atol=1e-3)


def test_device_resolution() -> None:
    cuda = torch.cuda.is_available()
    assert resolve_device("auto").type == ("cuda" if cuda else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="expected auto, cpu, cuda"):
        resolve_device("meta")
    with pytest.raises(ValueError, match="not a torch device"):
        resolve_device("gpu0")
    if not cuda:
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_amp_is_ignored_on_cpu(raft_small_weights: Path) -> None:
    model = load_raft(load_raft_weights(raft_small_weights, "raft_small"), "raft_small")
    est = RaftFlow(model, name="raft_small", device="cpu", amp=True, iterations=1)
    assert est.device == "cpu" and est.amp is False


def test_missing_weights_say_where_to_put_them(tmp_path: Path) -> None:
    path = tmp_path / "pretrained" / "raft_small_C_T_V2-01064c6d.pth"
    with pytest.raises(MissingWeightsError) as err:
        load_raft_weights(path, "raft_small")
    message = str(err.value)
    assert str(path) in message
    assert "https://download.pytorch.org/models/raft_small_C_T_V2-01064c6d.pth" in message
    assert "optical_flow.flows.raft.weights.raft_small" in message
    assert "never" in message and "random weights" in message
    # An unknown file name lists every official file.
    with pytest.raises(MissingWeightsError, match="raft_large_C_T_SKHT_V2"):
        load_raft_weights(tmp_path / "mine.pth", "raft_large")
    with pytest.raises(MissingWeightsError, match="is null"):
        load_raft_weights(None, "raft_small")
    assert set(official_weight_urls("raft_small")) == {
        "raft_small_C_T_V1-ad48884c.pth",
        "raft_small_C_T_V2-01064c6d.pth",
    }


def test_listed_raft_without_weights_fails_before_anything_runs(tiny_davis: Path) -> None:
    from vis_pipelines.datasets import DAVISDataset

    params = OpticalFlowParams(
        methods=["dis_fast", "raft_small"],
        raft={"weights": {"raft_small": str(tiny_davis / "nothing.pth")}},
    )
    with pytest.raises(MissingWeightsError, match="nothing.pth"):
        build_plan(DAVISDataset(root=str(tiny_davis)).load(), params)


def test_bad_weight_files_are_named(tmp_path: Path, raft_small_weights: Path) -> None:
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(FormatError, match="corrupt.pth.*cannot read RAFT weights"):
        load_raft_weights(corrupt, "raft_small")
    wrong = load_raft_weights(raft_small_weights, "raft_small")
    with pytest.raises(FormatError, match="do not fit torchvision raft_large"):
        load_raft(wrong, "raft_large", source=raft_small_weights)
    not_tensors = tmp_path / "dict.pth"
    torch.save({"a": 1}, not_tensors)
    with pytest.raises(FormatError, match="state dict of tensors"):
        load_raft_weights(not_tensors, "raft_small")


def test_project_checkpoints_are_accepted(tmp_path: Path) -> None:
    torch.manual_seed(1)
    state = build_raft("raft_small").state_dict()
    path = tmp_path / "ckpt.pt"
    torch.save({"model": state, "step": 3}, path)
    loaded = load_raft_weights(path, "raft_small")
    assert loaded.keys() == state.keys()
    for name, tensor in state.items():
        torch.testing.assert_close(loaded[name], tensor)


def test_estimator_config_identifies_the_weights(raft_small_weights: Path, tmp_path: Path) -> None:
    params = OpticalFlowParams(
        methods=["raft_small"], raft={"weights": {"raft_small": str(raft_small_weights)}}
    )
    est, config = build_estimator("raft_small", params)
    assert config["method"] == "raft_small" and config["iterations"] == 12
    torch.manual_seed(5)
    other = tmp_path / "other.pth"
    torch.save(build_raft("raft_small").state_dict(), other)
    params2 = OpticalFlowParams(
        methods=["raft_small"], raft={"weights": {"raft_small": str(other)}}
    )
    assert build_estimator("raft_small", params2)[1]["weights"] != config["weights"]
    with pytest.raises(ValueError, match="needs the fine-tuning checkpoint"):
        build_estimator("raft_small_finetuned", params)
