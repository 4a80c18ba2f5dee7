"""Official Mask2Former (detectron2) checkpoint import: key mapping, reports, class maps, files."""

from __future__ import annotations

import logging
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from official_keys import OfficialSizes, fabricate_official

from vis_pipelines.formats.errors import FormatError
from vis_pipelines.models import checkpoint_import
from vis_pipelines.models.checkpoint_import import (
    import_official_weights,
    load_official_checkpoint,
    map_official_state_dict,
    official_to_ours,
)
from vis_pipelines.models.config import Mask2FormerConfig
from vis_pipelines.models.vis_model import build_mask2former

PAPER = Mask2FormerConfig(backbone="resnet", resnet_depth=50)
# R18 and narrow heads: a 45 MB checkpoint for the file tests; conv_dim != hidden_dim so the
# decoder's input projections exist too
SMALL_SIZES = OfficialSizes(
    blocks=(2, 2, 2, 2),
    bottleneck=False,
    conv_dim=32,
    mask_dim=32,
    enc_layers=1,
    enc_heads=4,
    enc_points=2,
    enc_ffn_dim=64,
    hidden_dim=64,
    num_queries=5,
    dim_feedforward=64,
    dec_layers=2,
    num_classes=3,
)
SMALL = Mask2FormerConfig(
    backbone="resnet",
    resnet_depth=18,
    conv_dim=32,
    mask_dim=32,
    enc_layers=1,
    enc_heads=4,
    enc_points=2,
    enc_ffn_dim=64,
    hidden_dim=64,
    num_queries=5,
    nheads=4,
    dim_feedforward=64,
    dec_layers=2,
)


@pytest.fixture(scope="module")
def paper_model():
    torch.manual_seed(0)
    return build_mask2former(PAPER, 40)


@pytest.fixture(scope="module")
def official():
    return fabricate_official(seed=1)


@pytest.fixture(scope="module")
def small_official():
    return fabricate_official(SMALL_SIZES, seed=2)


@pytest.fixture
def small_model():
    torch.manual_seed(0)
    return build_mask2former(SMALL, 3)


def _with_classes(official, num_classes, seed):
    """``official`` with a class head (and empty_weight) for ``num_classes`` classes."""
    rng = np.random.default_rng(seed)
    rows = num_classes + 1
    return {
        **official,
        "sem_seg_head.predictor.class_embed.weight": rng.standard_normal((rows, 256), np.float32),
        "sem_seg_head.predictor.class_embed.bias": rng.standard_normal(rows, np.float32),
        "criterion.empty_weight": rng.standard_normal(rows, np.float32),
    }


def _patch_loader(monkeypatch, state):
    """Let import_official_weights read ``state`` without writing a paper-size file."""
    monkeypatch.setattr(checkpoint_import, "load_official_checkpoint", lambda path: state)


def test_rules_rename_hand_picked_names():
    assert official_to_ours("backbone.stem.conv1.norm.running_var") == "backbone.bn1.running_var"
    assert official_to_ours("backbone.res2.0.conv1.weight") == "backbone.layer1.0.conv1.weight"
    assert (
        official_to_ours("backbone.res5.2.conv3.norm.running_mean")
        == "backbone.layer4.2.bn3.running_mean"
    )
    assert official_to_ours("backbone.res3.0.shortcut.weight") == "backbone.layer2.0.downsample.0.weight"
    assert official_to_ours("backbone.res4.0.shortcut.norm.bias") == "backbone.layer3.0.downsample.1.bias"
    assert official_to_ours("sem_seg_head.pixel_decoder.adapter_1.norm.weight") == (
        "pixel_decoder.adapter_1.norm.weight"
    )
    assert official_to_ours("sem_seg_head.predictor.query_feat.weight") == "decoder.query_feat.weight"
    assert official_to_ours("criterion.empty_weight") == "criterion.empty_weight"
    assert official_to_ours("backbone.patch_embed.proj.weight") is None  # Swin
    assert official_to_ours("pixel_mean") is None


def test_every_official_key_maps_onto_the_paper_model(paper_model, official):
    ours = paper_model.state_dict()
    report = map_official_state_dict(official, ours, num_classes=40)
    assert report.unmatched_official == []
    assert report.missing_in_official == []
    assert report.shape_mismatch == []
    assert report.loaded == len(official) == len(ours) == 558
    for key, tensor in report.state_dict.items():
        assert tuple(tensor.shape) == tuple(ours[key].shape)
        assert tensor.dtype == ours[key].dtype


def test_import_copies_the_official_values(paper_model, official, monkeypatch, caplog):
    _patch_loader(monkeypatch, official)
    with caplog.at_level(logging.INFO, logger=checkpoint_import.__name__):
        report = import_official_weights(paper_model, "model_final.pkl")
    assert report.loaded == 558
    assert "558 loaded, 0 official unmatched, 0 of ours missing, 0 shape mismatches" in caplog.text
    state = paper_model.state_dict()
    pairs = {
        "backbone.res3.1.conv2.weight": "backbone.layer2.1.conv2.weight",
        "backbone.stem.conv1.weight": "backbone.conv1.weight",
        "backbone.res4.0.shortcut.norm.running_var": "backbone.layer3.0.downsample.1.running_var",
        "backbone.res5.2.conv3.norm.running_var": "backbone.layer4.2.bn3.running_var",
        "sem_seg_head.pixel_decoder.transformer.encoder.layers.5.self_attn.sampling_offsets.weight":
            "pixel_decoder.transformer.encoder.layers.5.self_attn.sampling_offsets.weight",
        "sem_seg_head.pixel_decoder.input_proj.0.0.weight": "pixel_decoder.input_proj.0.0.weight",
        "sem_seg_head.predictor.transformer_cross_attention_layers.8.multihead_attn.in_proj_weight":
            "decoder.transformer_cross_attention_layers.8.multihead_attn.in_proj_weight",
        "sem_seg_head.predictor.query_feat.weight": "decoder.query_feat.weight",
        "criterion.empty_weight": "criterion.empty_weight",
    }
    for theirs, ours in pairs.items():
        assert torch.equal(state[ours], torch.from_numpy(official[theirs])), ours


def test_unmatched_and_missing_keys_are_reported(paper_model, official):
    edited = dict(official)
    edited["sem_seg_head.foo.weight"] = np.zeros(3, np.float32)
    edited["sem_seg_head.predictor.static_query.weight"] = np.zeros((100, 256), np.float32)
    del edited["sem_seg_head.predictor.query_embed.weight"]
    report = map_official_state_dict(edited, paper_model.state_dict())
    assert report.unmatched_official == [
        "sem_seg_head.foo.weight",
        "sem_seg_head.predictor.static_query.weight",
    ]
    assert report.missing_in_official == ["decoder.query_embed.weight"]
    assert report.shape_mismatch == []
    assert report.loaded == 557


def test_class_count_mismatch_is_reported_and_skipped(paper_model, official, monkeypatch):
    coco = _with_classes(official, 133, seed=3)  # COCO panoptic: 133 + no-object
    before = {k: v.clone() for k, v in paper_model.state_dict().items() if "class_embed" in k}
    _patch_loader(monkeypatch, coco)
    report = import_official_weights(paper_model, "coco.pkl")
    assert sorted(report.shape_mismatch) == [
        ("criterion.empty_weight", (134,), (41,)),
        ("decoder.class_embed.bias", (134,), (41,)),
        ("decoder.class_embed.weight", (134, 256), (41, 256)),
    ]
    assert report.missing_in_official == []
    assert report.loaded == 555
    after = paper_model.state_dict()
    for key, value in before.items():
        assert torch.equal(after[key], value)  # our head keeps its initialisation
    assert torch.equal(
        after["decoder.query_feat.weight"],
        torch.from_numpy(coco["sem_seg_head.predictor.query_feat.weight"]),
    )


def test_class_map_takes_the_mapped_rows(paper_model, official):
    coco = _with_classes(official, 133, seed=4)
    class_map = [2 * k + 1 for k in range(40)]
    report = map_official_state_dict(coco, paper_model.state_dict(), class_map=class_map)
    assert report.shape_mismatch == [] and report.missing_in_official == []
    weight = coco["sem_seg_head.predictor.class_embed.weight"]
    bias = coco["sem_seg_head.predictor.class_embed.bias"]
    empty = coco["criterion.empty_weight"]
    got = report.state_dict
    for ours, theirs in ((0, 1), (7, 15), (39, 79), (40, 133)):  # 40 / 133: the no-object rows
        assert torch.equal(got["decoder.class_embed.weight"][ours], torch.from_numpy(weight[theirs]))
        assert float(got["decoder.class_embed.bias"][ours]) == float(bias[theirs])
        assert float(got["criterion.empty_weight"][ours]) == float(empty[theirs])


@pytest.mark.parametrize(
    "class_map,match",
    [(list(range(39)), "one official class per class"), ([0] * 39 + [133], r"\[0, 133\)")],
)
def test_bad_class_map_is_a_value_error(paper_model, class_map, match):
    coco = {
        "sem_seg_head.predictor.class_embed.weight": np.zeros((134, 256), np.float32),
        "sem_seg_head.predictor.class_embed.bias": np.zeros(134, np.float32),
    }
    with pytest.raises(ValueError, match=match):
        map_official_state_dict(coco, paper_model.state_dict(), class_map=class_map)


def test_num_classes_must_agree_with_our_head(paper_model):
    shapes = {k: tuple(v.shape) for k, v in paper_model.state_dict().items()}
    with pytest.raises(ValueError, match="num_classes=80"):
        map_official_state_dict({}, shapes, num_classes=80)


def test_strict_backbone_refuses_and_leaves_the_model_alone(small_model, small_official, monkeypatch):
    edited = dict(small_official)
    del edited["backbone.res3.1.conv2.norm.running_mean"]
    _patch_loader(monkeypatch, edited)
    before = small_model.decoder.query_feat.weight.detach().clone()
    with pytest.raises(FormatError, match="missing backbone.layer2.1.bn2.running_mean"):
        import_official_weights(small_model, "x.pkl")
    assert torch.equal(small_model.decoder.query_feat.weight, before)
    report = import_official_weights(small_model, "x.pkl", strict_backbone=False)
    assert report.missing_in_official == ["backbone.layer2.1.bn2.running_mean"]
    assert torch.equal(
        small_model.decoder.query_feat.weight,
        torch.from_numpy(small_official["sem_seg_head.predictor.query_feat.weight"]),
    )


def test_deeper_backbone_is_refused_under_strict_backbone(small_model, monkeypatch):
    # R34 blocks in a BasicBlock checkpoint: res3.2, res4.2-5, res5.2 have no place in our R18
    r34 = fabricate_official(OfficialSizes(**{**SMALL_SIZES.__dict__, "blocks": (3, 4, 6, 3)}))
    _patch_loader(monkeypatch, r34)
    with pytest.raises(FormatError, match="unmatched backbone.res"):
        import_official_weights(small_model, "r34.pkl")


def test_checkpoint_matching_nothing_is_a_format_error(small_model, monkeypatch):
    _patch_loader(monkeypatch, {"backbone.patch_embed.proj.weight": torch.zeros(96, 3, 4, 4)})
    with pytest.raises(FormatError, match="no tensor of this checkpoint matches"):
        import_official_weights(small_model, "swin.pkl")


def test_pkl_round_trip_and_import(tmp_path, small_model, small_official, caplog):
    path = tmp_path / "model_final_small.pkl"
    with path.open("wb") as f:
        pickle.dump(
            {"model": small_official, "__author__": "test", "matching_heuristics": True}, f
        )
    state = load_official_checkpoint(path)
    assert set(state) == set(small_official)
    key = "sem_seg_head.predictor.input_proj.1.weight"
    assert state[key].dtype == torch.float32
    assert torch.equal(state[key], torch.from_numpy(small_official[key]))
    with caplog.at_level(logging.INFO, logger=checkpoint_import.__name__):
        report = import_official_weights(small_model, path)
    assert report.loaded == len(small_official) == len(small_model.state_dict())
    assert f"imported official weights from {path}" in caplog.text
    assert torch.equal(small_model.decoder.input_proj[1].weight, torch.from_numpy(small_official[key]))
    assert torch.equal(
        small_model.backbone.layer1[1].bn2.running_var,
        torch.from_numpy(small_official["backbone.res2.1.conv2.norm.running_var"]),
    )


@pytest.mark.parametrize("wrapped", [True, False])
def test_pth_round_trip(tmp_path, wrapped):
    tensors = {k: torch.from_numpy(v) for k, v in fabricate_official(SMALL_SIZES).items()}
    path = tmp_path / "model_final.pth"
    torch.save({"model": tensors, "iteration": 10} if wrapped else tensors, path)
    state = load_official_checkpoint(path)
    assert set(state) == set(tensors)
    assert all(torch.equal(state[k], tensors[k]) for k in tensors)


@pytest.mark.parametrize("protocol", [2, 5])
def test_pickles_from_older_numpy_and_protocols(tmp_path, protocol):
    arrays = OrderedDict(a=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.array([1, 2]))
    data = pickle.dumps({"model": arrays}, protocol=protocol)
    if protocol == 2:  # as numpy < 2 (and detectron2's Python 2 era files) name the module
        data = data.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
        assert b"numpy.core.multiarray" in data
    path = tmp_path / "old.pkl"
    path.write_bytes(data)
    state = load_official_checkpoint(path)
    assert state["a"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert state["b"].tolist() == [1, 2]


class _Payload:
    def __reduce__(self):
        return (os.getcwd, ())  # harmless, but a global the reader must refuse


@pytest.mark.parametrize(
    "name,content,match",
    [
        ("cut.pkl", pickle.dumps({"model": {"a": np.zeros(100, np.float32)}})[:-40], "cannot read"),
        ("junk.pth", b"not a torch file", "cannot read"),
        ("code.pkl", pickle.dumps({"model": {"a": _Payload()}}), "refusing to load global"),
        ("empty.pkl", pickle.dumps({"model": {}}), "no state dict"),
        ("list.pkl", pickle.dumps([1, 2]), "no state dict"),
        ("text.pkl", pickle.dumps({"model": {"a": "text"}}), "numeric array"),
        ("weights.bin", b"", "unknown checkpoint suffix"),
    ],
)
def test_bad_files_are_format_errors_naming_the_file(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FormatError, match=match) as info:
        load_official_checkpoint(path)
    assert str(path) in str(info.value)


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(FormatError, match="not found") as info:
        load_official_checkpoint(tmp_path / "absent.pkl")
    assert "absent.pkl" in str(info.value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_import_into_a_cuda_model(small_model, small_official, monkeypatch):
    model = small_model.cuda()
    _patch_loader(monkeypatch, small_official)
    report = import_official_weights(model, "x.pkl")
    assert report.loaded == len(small_official)
    weight = model.backbone.conv1.weight
    assert weight.is_cuda
    assert torch.equal(weight.cpu(), torch.from_numpy(small_official["backbone.stem.conv1.weight"]))
