"""Speed of multi-scale deformable attention and of the Mask2Former pixel decoder.

Usage: ``python benchmarks/deformable_attention.py [--sizes tiny paper] [--devices cpu cuda]
[--repeats 3] [--threads N]``.

Sizes: ``tiny`` = conv_dim 64, 2 encoder layers, 96x160 input, N=8 images (the CPU config);
``paper`` = conv_dim 256, 6 layers, 384x640 input, N=2 (Mask2Former-VIS, R50 channels). Backbone
features are random tensors of the right shapes. ``MSDeformAttn`` is timed as one encoder
self-attention call over the res5/res4/res3 tokens (queries = all tokens). Each figure is the mean
over ``--repeats`` calls after one warm-up call, in milliseconds; ``fwd+bwd`` includes the backward
pass of ``output.square().mean()``. On CUDA the compiled op is used when importable (column
``path``); ``--pure`` forces the pure-torch path.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable

import torch

from vis_pipelines.models.deformable_attention import (
    MSDeformAttn,
    fast_path_available,
    level_start_index_of,
)
from vis_pipelines.models.pixel_decoder import MSDeformAttnPixelDecoder, encoder_reference_points


@dataclasses.dataclass(frozen=True)
class Size:
    """One benchmark configuration."""

    name: str
    conv_dim: int
    layers: int
    ffn_dim: int
    height: int
    width: int
    batch: int
    channels: tuple[int, int, int, int]  # res2..res5


SIZES = {
    "tiny": Size("tiny", 64, 2, 256, 96, 160, 8, (32, 64, 128, 256)),
    "paper": Size("paper", 256, 6, 1024, 384, 640, 2, (256, 512, 1024, 2048)),
}


def timed(fn: Callable[[], torch.Tensor], device: torch.device, repeats: int) -> float:
    """Mean milliseconds of ``fn()`` over ``repeats`` calls after one warm-up call."""

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    fn()
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync()
    return (time.perf_counter() - start) / repeats * 1000


def bench_attention(size: Size, device: torch.device, repeats: int, pure: bool) -> dict[str, float]:
    """Forward and forward+backward ms of one MSDeformAttn over the encoder's tokens."""
    torch.manual_seed(0)
    attn = MSDeformAttn(
        d_model=size.conv_dim, n_levels=3, n_heads=8, n_points=4, fast_path=not pure
    )
    attn = attn.to(device)
    shapes = [(size.height // s, size.width // s) for s in (32, 16, 8)]
    tokens = sum(h * w for h, w in shapes)
    spatial = torch.tensor(shapes, device=device)
    starts = level_start_index_of(spatial)
    src = torch.randn(size.batch, tokens, size.conv_dim, device=device, requires_grad=True)
    reference = encoder_reference_points(shapes, device=device)[None, :, None].expand(
        size.batch, -1, 3, 2
    )

    def forward() -> torch.Tensor:
        with torch.no_grad():
            return attn(src, reference, src, spatial, starts)

    def forward_backward() -> torch.Tensor:
        out = attn(src, reference, src, spatial, starts)
        out.square().mean().backward()
        return out

    return {
        "fwd": timed(forward, device, repeats),
        "fwd+bwd": timed(forward_backward, device, repeats),
    }


def bench_decoder(size: Size, device: torch.device, repeats: int, pure: bool) -> dict[str, float]:
    """Forward and forward+backward ms of the whole pixel decoder."""
    torch.manual_seed(0)
    names = ("res2", "res3", "res4", "res5")
    decoder = MSDeformAttnPixelDecoder(
        in_channels=dict(zip(names, size.channels, strict=True)),
        conv_dim=size.conv_dim,
        mask_dim=size.conv_dim,
        num_encoder_layers=size.layers,
        ffn_dim=size.ffn_dim,
    ).to(device)
    for module in decoder.modules():
        if isinstance(module, MSDeformAttn):
            module.fast_path = not pure
    features = {
        name: torch.randn(size.batch, c, size.height // 2**k, size.width // 2**k, device=device)
        for k, (name, c) in enumerate(zip(names, size.channels, strict=True), start=2)
    }

    def forward() -> torch.Tensor:
        with torch.no_grad():
            return decoder(features)[0]

    def forward_backward() -> torch.Tensor:
        mask_features, multi_scale = decoder(features)
        (mask_features.square().mean() + sum(x.mean() for x in multi_scale)).backward()
        return mask_features

    return {
        "fwd": timed(forward, device, repeats),
        "fwd+bwd": timed(forward_backward, device, repeats),
    }


def main() -> None:
    """Parse arguments, run the benchmarks, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["tiny", "paper"])
    parser.add_argument("--devices", nargs="+", default=None, help="default: cpu (+ cuda)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--pure", action="store_true", help="force the pure-torch path")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])

    print(
        f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, "
        f"compiled op importable: {fast_path_available()}"
    )
    header = (
        f"| {'module':<13} | {'size':<5} | {'device':<6} | {'path':<8} "
        f"| {'fwd ms':>9} | {'fwd+bwd ms':>10} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for device_name in devices:
        device = torch.device(device_name)
        path = (
            "compiled"
            if device.type == "cuda" and fast_path_available() and not args.pure
            else "torch"
        )
        for size_name in args.sizes:
            size = SIZES[size_name]
            for module, bench in (
                ("MSDeformAttn", bench_attention),
                ("pixel decoder", bench_decoder),
            ):
                ms = bench(size, device, args.repeats, args.pure)
                print(
                    f"| {module:<13} | {size.name:<5} | {device.type:<6} | {path:<8} "
                    f"| {ms['fwd']:>9.1f} | {ms['fwd+bwd']:>10.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
