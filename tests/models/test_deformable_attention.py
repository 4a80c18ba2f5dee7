"""Multi-scale deformable attention against a naive loop reference; module behaviour."""

from __future__ import annotations

import math
import types

import pytest
import torch

from vis_pipelines.models import deformable_attention as da
from vis_pipelines.models.deformable_attention import (
    MSDeformAttn,
    level_start_index_of,
    ms_deform_attn,
    ms_deform_attn_fast,
)

SHAPES = [(3, 4), (2, 5), (1, 2)]


def naive_ms_deform_attn(value, shapes, locations, weights):
    """Loops over (n, query, head, level, point); bilinear by hand, zero outside the image."""
    n_batch, _, n_heads, dim = value.shape
    _, n_queries, _, n_levels, n_points, _ = locations.shape
    starts = [0]
    for h, w in shapes[:-1]:
        starts.append(starts[-1] + h * w)
    out = torch.zeros(n_batch, n_queries, n_heads, dim, dtype=value.dtype)
    for n in range(n_batch):
        for q in range(n_queries):
            for m in range(n_heads):
                for level in range(n_levels):
                    h, w = shapes[level]

                    def pixel(y, x, n=n, m=m, level=level, h=h, w=w):
                        if 0 <= y < h and 0 <= x < w:
                            return value[n, starts[level] + y * w + x, m]
                        return torch.zeros(dim, dtype=value.dtype)

                    for p in range(n_points):
                        # pixel-centre convention: location 0 is the left edge of pixel 0
                        x = locations[n, q, m, level, p, 0].item() * w - 0.5
                        y = locations[n, q, m, level, p, 1].item() * h - 0.5
                        x0, y0 = math.floor(x), math.floor(y)
                        fx, fy = x - x0, y - y0
                        sample = (
                            (1 - fy) * (1 - fx) * pixel(y0, x0)
                            + (1 - fy) * fx * pixel(y0, x0 + 1)
                            + fy * (1 - fx) * pixel(y0 + 1, x0)
                            + fy * fx * pixel(y0 + 1, x0 + 1)
                        )
                        out[n, q, m] += weights[n, q, m, level, p] * sample
    return out.reshape(n_batch, n_queries, n_heads * dim)


def random_inputs(generator, *, n=2, lq=3, m=2, d=3, p=2, shapes=SHAPES, dtype=torch.float32):
    s = sum(h * w for h, w in shapes)
    value = torch.randn(n, s, m, d, generator=generator, dtype=dtype)
    # some locations fall outside [0, 1] to exercise the zero padding
    locations = (
        torch.rand(n, lq, m, len(shapes), p, 2, generator=generator, dtype=dtype) * 1.4 - 0.2
    )
    weights = torch.rand(n, lq, m, len(shapes), p, generator=generator, dtype=dtype)
    return value, torch.tensor(shapes), locations, weights


def test_matches_naive_reference():
    generator = torch.Generator().manual_seed(0)
    value, shapes, locations, weights = random_inputs(generator)
    out = ms_deform_attn(value, shapes, locations, weights)
    assert out.shape == (2, 3, 6)
    expected = naive_ms_deform_attn(value, SHAPES, locations, weights)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)
    # spatial_shapes as a plain list gives the same
    torch.testing.assert_close(ms_deform_attn(value, SHAPES, locations, weights), out)


def test_pixel_centre_reads_the_pixel_and_outside_reads_zero():
    value = torch.arange(12, dtype=torch.float32).view(1, 12, 1, 1)  # one 3x4 level
    centre = torch.tensor([(2 + 0.5) / 4, (1 + 0.5) / 3])  # pixel (row 1, col 2) = 6
    outside = torch.tensor([1.5, 0.5])
    locations = torch.stack((centre, outside)).view(1, 2, 1, 1, 1, 2)
    weights = torch.ones(1, 2, 1, 1, 1)
    out = ms_deform_attn(value, [(3, 4)], locations, weights)
    torch.testing.assert_close(out.flatten(), torch.tensor([6.0, 0.0]))


def test_gradients_gradcheck_float64():
    generator = torch.Generator().manual_seed(1)
    value, shapes, locations, weights = random_inputs(
        generator, n=1, lq=2, m=1, d=2, p=2, shapes=[(2, 3), (1, 2)], dtype=torch.float64
    )
    for tensor in (value, locations, weights):
        tensor.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda v, loc, w: ms_deform_attn(v, shapes, loc, w), (value, locations, weights)
    )


def test_shape_mismatch_is_a_value_error():
    generator = torch.Generator().manual_seed(2)
    value, _, locations, weights = random_inputs(generator)
    with pytest.raises(ValueError, match="spatial_shapes"):
        ms_deform_attn(value, [(3, 4), (2, 5), (2, 2)], locations, weights)


def flat_inputs(generator, *, n=2, lq=5, c=16, shapes=SHAPES):
    s = sum(h * w for h, w in shapes)
    query = torch.randn(n, lq, c, generator=generator)
    reference = torch.rand(n, lq, len(shapes), 2, generator=generator)
    flat = torch.randn(n, s, c, generator=generator)
    spatial = torch.tensor(shapes)
    return query, reference, flat, spatial, level_start_index_of(spatial)


def test_module_output_shape_and_submodule_names():
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=16, n_levels=3, n_heads=4, n_points=2)
    query, reference, flat, spatial, starts = flat_inputs(torch.Generator().manual_seed(3))
    out = attn(query, reference, flat, spatial, starts)
    assert out.shape == (2, 5, 16)
    assert torch.isfinite(out).all()
    assert level_start_index_of(spatial).tolist() == [0, 12, 22]
    keys = set(attn.state_dict())
    for name in ("sampling_offsets", "attention_weights", "value_proj", "output_proj"):
        assert {f"{name}.weight", f"{name}.bias"} <= keys
    assert attn.sampling_offsets.out_features == 4 * 3 * 2 * 2
    assert attn.attention_weights.out_features == 4 * 3 * 2


def test_init_offsets_are_rays_scaled_by_point_index():
    attn = MSDeformAttn(d_model=16, n_levels=2, n_heads=4, n_points=3)
    bias = attn.sampling_offsets.bias.view(4, 2, 3, 2)
    # heads at 0, 90, 180, 270 degrees; point p sits p+1 pixels out, same for every level
    directions = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    expected = directions[:, None, None, :] * torch.tensor([1.0, 2.0, 3.0])[None, None, :, None]
    torch.testing.assert_close(bias, expected.expand(4, 2, 3, 2), atol=1e-6, rtol=0)
    diagonal = MSDeformAttn(d_model=16, n_levels=1, n_heads=8, n_points=1)
    torch.testing.assert_close(
        diagonal.sampling_offsets.bias.view(8, 2)[1], torch.tensor([1.0, 1.0]), atol=1e-6, rtol=0
    )
    assert not attn.sampling_offsets.weight.any()
    assert not attn.attention_weights.weight.any() and not attn.attention_weights.bias.any()


def test_zero_offset_single_point_reads_its_reference_pixel():
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=8, n_levels=1, n_heads=2, n_points=1)
    with torch.no_grad():
        attn.sampling_offsets.bias.zero_()
    flat = torch.randn(1, 12, 8)  # one 3x4 level
    reference = torch.tensor([[(1 + 0.5) / 4, (2 + 0.5) / 3]]).view(1, 1, 1, 2)  # row 2, col 1
    out = attn(torch.randn(1, 1, 8), reference, flat, torch.tensor([[3, 4]]))
    expected = attn.output_proj(attn.value_proj(flat[:, 2 * 4 + 1]))
    torch.testing.assert_close(out[0, 0], expected[0], atol=1e-5, rtol=0)


def test_offsets_are_normalised_by_level_width_and_height():
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=4, n_levels=1, n_heads=1, n_points=1)
    with torch.no_grad():
        attn.sampling_offsets.bias.copy_(torch.tensor([1.0, -1.0]))  # one pixel right, one up
    flat = torch.randn(1, 20, 4)  # one 4x5 level
    reference = torch.tensor([[(1 + 0.5) / 5, (2 + 0.5) / 4]]).view(1, 1, 1, 2)  # row 2, col 1
    out = attn(torch.randn(1, 1, 4), reference, flat, torch.tensor([[4, 5]]))
    expected = attn.output_proj(attn.value_proj(flat[:, 1 * 5 + 2]))  # row 1, col 2
    torch.testing.assert_close(out[0, 0], expected[0], atol=1e-5, rtol=0)


def test_padding_mask_zeroes_padded_values():
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=16, n_levels=3, n_heads=4, n_points=2)
    query, reference, flat, spatial, starts = flat_inputs(torch.Generator().manual_seed(4))
    mask = torch.zeros(flat.shape[:2], dtype=torch.bool)
    mask[0, 3:9] = True
    mask[1, 15:] = True
    out = attn(query, reference, flat, spatial, starts, mask)
    # what is under the mask does not matter
    scrambled = flat.masked_fill(mask[..., None], 123.0)
    torch.testing.assert_close(attn(query, reference, scrambled, spatial, starts, mask), out)
    # and equals sampling the projected values with the padded rows set to zero
    with torch.no_grad():
        value = attn.value_proj(flat).masked_fill(mask[..., None], 0.0).view(2, -1, 4, 4)
        offsets = attn.sampling_offsets(query).view(2, 5, 4, 3, 2, 2)
        weights = attn.attention_weights(query).view(2, 5, 4, 6).softmax(-1).view(2, 5, 4, 3, 2)
        locations = (
            reference[:, :, None, :, None] + offsets / spatial.flip(-1)[None, None, None, :, None]
        )
        expected = attn.output_proj(naive_ms_deform_attn(value, SHAPES, locations, weights))
    torch.testing.assert_close(out.detach(), expected, atol=1e-5, rtol=0)
    assert not torch.allclose(attn(query, reference, flat, spatial, starts), out)


def test_module_backward_reaches_every_parameter():
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=16, n_levels=3, n_heads=4, n_points=2)
    query, reference, flat, spatial, starts = flat_inputs(torch.Generator().manual_seed(5))
    query.requires_grad_(True)
    attn(query, reference, flat, spatial, starts).square().sum().backward()
    for name, param in attn.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    # at init the offsets/weights ignore the query (zero matrices); once trained they do not
    with torch.no_grad():
        attn.sampling_offsets.weight.normal_(std=0.1)
        attn.attention_weights.weight.normal_(std=0.1)
    query.grad = None
    attn(query, reference, flat, spatial, starts).square().sum().backward()
    assert query.grad.abs().sum() > 0


def test_runs_in_float32_under_autocast():
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=16, n_levels=3, n_heads=4, n_points=2)
    query, reference, flat, spatial, starts = flat_inputs(torch.Generator().manual_seed(6))
    reference_out = attn(query, reference, flat, spatial, starts)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = attn(query, reference, flat, spatial, starts)
        out_bf16 = attn(query.bfloat16(), reference, flat.bfloat16(), spatial, starts)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, reference_out)  # no bf16 rounding inside
    assert out_bf16.dtype == torch.bfloat16


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible"):
        MSDeformAttn(d_model=10, n_heads=4)
    attn = MSDeformAttn(d_model=16, n_levels=3, n_heads=4, n_points=2)
    query, reference, flat, spatial, starts = flat_inputs(torch.Generator().manual_seed(7))
    with pytest.raises(ValueError, match="reference_points"):
        attn(query, reference[:, :, :2], flat, spatial, starts)


class FakeExtension(types.SimpleNamespace):
    """Stands in for the compiled op: computes with the pure path and counts its calls."""

    def __init__(self):
        super().__init__(calls=0)

    def ms_deform_attn_forward(self, value, shapes, starts, locations, weights, step):
        assert value.shape[0] % step == 0
        self.calls += 1
        return ms_deform_attn(value, shapes, locations, weights)

    def ms_deform_attn_backward(self, value, shapes, starts, locations, weights, grad, step):
        inputs = [t.detach().requires_grad_(True) for t in (value, locations, weights)]
        with torch.enable_grad():
            out = ms_deform_attn(inputs[0], shapes, inputs[1], inputs[2])
        return torch.autograd.grad(out, inputs, grad)


def test_pure_path_when_op_absent(monkeypatch):
    monkeypatch.setattr(da, "_extension", None)
    assert not da.fast_path_available()
    calls = []

    def spy(*args):
        calls.append(1)
        return ms_deform_attn(*args)

    monkeypatch.setattr(da, "ms_deform_attn", spy)
    attn = MSDeformAttn(d_model=16, n_levels=3, n_heads=4, n_points=2)
    attn(*flat_inputs(torch.Generator().manual_seed(8)))
    assert calls == [1]
    with pytest.raises(RuntimeError, match="MultiScaleDeformableAttention"):
        ms_deform_attn_fast(*random_inputs(torch.Generator().manual_seed(0))[:2], None, None, None)


def test_op_is_missing_in_this_environment_by_default(monkeypatch):
    monkeypatch.setattr(da, "_extension", da._UNSET)
    monkeypatch.setattr(da, "EXTENSION_MODULE", "vis_pipelines_no_such_module")
    assert not da.fast_path_available()


def test_fast_path_wrapper_plumbing_with_a_fake_op(monkeypatch):
    fake = FakeExtension()
    monkeypatch.setattr(da, "_extension", fake)
    assert da.fast_path_available()
    generator = torch.Generator().manual_seed(9)
    value, shapes, locations, weights = random_inputs(generator, n=6)
    for tensor in (value, locations, weights):
        tensor.requires_grad_(True)
    out = ms_deform_attn_fast(value, shapes, level_start_index_of(shapes), locations, weights)
    grads = torch.autograd.grad(out.sum(), (value, locations, weights))
    expected = ms_deform_attn(value, shapes, locations, weights)
    expected_grads = torch.autograd.grad(expected.sum(), (value, locations, weights))
    torch.testing.assert_close(out, expected)
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want)
    assert da._im2col_step(6) == 6 and da._im2col_step(130) == 26 and da._im2col_step(128) == 64
    # CPU tensors never take the fast path
    calls = fake.calls
    MSDeformAttn(d_model=16, n_levels=3, n_heads=4, n_points=2)(
        *flat_inputs(torch.Generator().manual_seed(10))
    )
    assert fake.calls == calls


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fast_path_switch(monkeypatch):
    fake = FakeExtension()
    monkeypatch.setattr(da, "_extension", fake)
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=16, n_levels=3, n_heads=4, n_points=2).cuda()
    inputs = [t.cuda() for t in flat_inputs(torch.Generator().manual_seed(11))]
    fast = attn(*inputs)
    assert fake.calls == 1
    pure = attn(*inputs, fast_path=False)
    assert fake.calls == 1
    torch.testing.assert_close(fast, pure)
    torch.testing.assert_close(
        pure.cpu(), attn.cpu()(*[t.cpu() for t in inputs]), atol=1e-5, rtol=0
    )
