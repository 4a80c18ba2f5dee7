"""MSDeformAttnPixelDecoder: shapes, checkpoint key names, gradients, determinism, autocast."""

from __future__ import annotations

import pytest
import torch

from vis_pipelines.models.deformable_attention import MSDeformAttn
from vis_pipelines.models.pixel_decoder import MSDeformAttnPixelDecoder, encoder_reference_points

CHANNELS = {"res2": 8, "res3": 16, "res4": 24, "res5": 32}


def tiny_decoder(**overrides) -> MSDeformAttnPixelDecoder:
    kwargs = dict(in_channels=CHANNELS, conv_dim=64, mask_dim=64, num_encoder_layers=2, ffn_dim=128)
    kwargs.update(overrides)
    return MSDeformAttnPixelDecoder(**kwargs)


def features(n: int, height: int, width: int, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {
        name: torch.randn(n, c, height // 2**k, width // 2**k, generator=generator)
        for k, (name, c) in enumerate(CHANNELS.items(), start=2)
    }


@pytest.mark.parametrize("height,width", [(64, 96), (96, 160)])
def test_output_shapes(height, width):
    torch.manual_seed(0)
    decoder = tiny_decoder()
    mask_features, multi_scale = decoder(features(2, height, width))
    assert mask_features.shape == (2, 64, height // 4, width // 4)
    assert len(multi_scale) == 3
    for level, stride in zip(multi_scale, (32, 16, 8), strict=True):  # low resolution first
        assert level.shape == (2, 64, height // stride, width // stride)
    assert torch.isfinite(mask_features).all()


def test_state_dict_keys_follow_the_official_checkpoint():
    decoder = tiny_decoder()
    keys = set(decoder.state_dict())
    expected = {
        "input_proj.0.0.weight",
        "input_proj.0.1.weight",
        "input_proj.2.0.bias",
        "transformer.level_embed",
        "transformer.encoder.layers.0.self_attn.sampling_offsets.weight",
        "transformer.encoder.layers.1.self_attn.attention_weights.bias",
        "transformer.encoder.layers.0.self_attn.value_proj.weight",
        "transformer.encoder.layers.0.self_attn.output_proj.weight",
        "transformer.encoder.layers.0.norm1.weight",
        "transformer.encoder.layers.0.linear1.weight",
        "transformer.encoder.layers.0.linear2.bias",
        "transformer.encoder.layers.1.norm2.bias",
        "adapter_1.weight",
        "adapter_1.norm.weight",
        "adapter_1.norm.bias",
        "layer_1.weight",
        "layer_1.norm.bias",
        "mask_features.weight",
        "mask_features.bias",
    }
    assert expected <= keys
    assert "adapter_1.bias" not in keys and "layer_1.bias" not in keys  # no bias before GN
    assert {key.split(".")[0] for key in keys} == {
        "input_proj",
        "transformer",
        "adapter_1",
        "layer_1",
        "mask_features",
    }
    assert decoder.transformer.level_embed.shape == (3, 64)
    assert len(decoder.transformer.encoder.layers) == 2
    # input_proj is ordered res5, res4, res3
    assert [proj[0].in_channels for proj in decoder.input_proj] == [32, 24, 16]
    assert decoder.input_proj[0][1].num_groups == 32
    assert decoder.adapter_1.in_channels == 8


def test_no_norm_gives_biased_fpn_convs():
    keys = set(tiny_decoder(norm="").state_dict())
    assert {"adapter_1.bias", "layer_1.bias"} <= keys and "adapter_1.norm.weight" not in keys
    with pytest.raises(ValueError, match="norm"):
        tiny_decoder(norm="BN")


def test_init_follows_the_paper():
    torch.manual_seed(0)
    decoder = tiny_decoder()
    layer = decoder.transformer.encoder.layers[0]
    assert not layer.self_attn.sampling_offsets.weight.any()
    assert not layer.self_attn.attention_weights.weight.any()
    assert not decoder.input_proj[0][0].bias.any() and not decoder.mask_features.bias.any()
    bound = (6 / (64 + 128)) ** 0.5  # xavier-uniform bound of linear1 (64 -> 128)
    assert layer.linear1.weight.abs().max() <= bound
    assert layer.linear1.weight.abs().max() > 0.9 * bound


def test_backward_reaches_every_parameter():
    torch.manual_seed(0)
    decoder = tiny_decoder()
    inputs = features(2, 64, 96)
    # the queries (hence the level embedding) act through the offset/weight matrices, which
    # start at zero: move them off zero so that every parameter is exercised
    for layer in decoder.transformer.encoder.layers:
        with torch.no_grad():
            layer.self_attn.sampling_offsets.weight.normal_(std=0.01)
            layer.self_attn.attention_weights.weight.normal_(std=0.01)
    mask_features, multi_scale = decoder(inputs)
    (mask_features.square().mean() + sum(level.mean() for level in multi_scale)).backward()
    for name, param in decoder.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


def test_deterministic_given_a_seed():
    outputs = []
    for _ in range(2):
        torch.manual_seed(123)
        decoder = tiny_decoder()
        outputs.append(decoder(features(2, 64, 96, seed=5)))
    torch.testing.assert_close(outputs[0][0], outputs[1][0], rtol=0, atol=0)
    for a, b in zip(outputs[0][1], outputs[1][1], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_runs_under_cpu_autocast_bfloat16():
    torch.manual_seed(0)
    decoder = tiny_decoder()
    inputs = features(2, 64, 96)
    full_mask, _ = decoder(inputs)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mask_features, multi_scale = decoder(inputs)
    assert mask_features.shape == (2, 64, 16, 24) and len(multi_scale) == 3
    assert torch.isfinite(mask_features.float()).all()
    relative = (mask_features.float() - full_mask).norm() / full_mask.norm()
    assert relative < 0.1


def test_reference_points_are_pixel_centres():
    points = encoder_reference_points([(2, 2), (1, 3)])
    expected = torch.tensor(
        [
            [0.25, 0.25],
            [0.75, 0.25],
            [0.25, 0.75],
            [0.75, 0.75],
            [1 / 6, 0.5],
            [0.5, 0.5],
            [5 / 6, 0.5],
        ]
    )
    torch.testing.assert_close(points, expected)


def test_encoder_sees_each_level_with_its_own_shapes(monkeypatch):
    torch.manual_seed(0)
    decoder = tiny_decoder(num_encoder_layers=1)
    seen = {}
    original = MSDeformAttn.forward

    def spy(self, query, reference_points, input_flatten, spatial_shapes, *args, **kwargs):
        seen["shapes"] = spatial_shapes.tolist()
        seen["reference"] = reference_points
        return original(
            self, query, reference_points, input_flatten, spatial_shapes, *args, **kwargs
        )

    monkeypatch.setattr(MSDeformAttn, "forward", spy)
    decoder(features(1, 64, 96))
    assert seen["shapes"] == [[2, 3], [4, 6], [8, 12]]  # res5, res4, res3
    reference = seen["reference"]
    assert reference.shape == (1, 6 + 24 + 96, 3, 2)
    torch.testing.assert_close(reference[:, :, 0], reference[:, :, 2])  # same point on every level
    torch.testing.assert_close(reference[0, 0, 0], torch.tensor([1 / 6, 1 / 4]))


def test_missing_feature_and_bad_config_are_value_errors():
    decoder = tiny_decoder()
    inputs = features(1, 64, 96)
    del inputs["res2"]
    with pytest.raises(ValueError, match="res2"):
        decoder(inputs)
    with pytest.raises(ValueError, match="transformer_in_features"):
        tiny_decoder(transformer_in_features=("res3", "res4", "res6"))
