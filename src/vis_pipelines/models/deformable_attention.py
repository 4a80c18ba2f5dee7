"""Multi-scale deformable attention (Zhu et al., "Deformable DETR", ICLR 2021), pure PyTorch.

Each query attends to ``n_points`` sampled locations per head and per feature level around its
reference point; the sampling offsets and the attention weights are linear functions of the query.
Sampling is bilinear with zero padding in the pixel-centre convention (``align_corners=False``).

Fast path (optional, nothing to compile for the default install): when the compiled extension of
the official Deformable-DETR ops is importable as the Python module ``MultiScaleDeformableAttention``
(exposing ``ms_deform_attn_forward`` / ``ms_deform_attn_backward``), :class:`MSDeformAttn` uses it
for CUDA tensors; CPU tensors, a missing extension, or ``fast_path=False`` use the pure-torch
:func:`ms_deform_attn`. :func:`fast_path_available` tells which applies. Under ``torch.autocast``
the attention runs in float32 (sampling positions in half precision are too coarse) and returns
the dtype of its query.
"""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Sequence
from types import ModuleType

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

__all__ = [
    "EXTENSION_MODULE",
    "MSDeformAttn",
    "fast_path_available",
    "level_start_index_of",
    "ms_deform_attn",
    "ms_deform_attn_fast",
]

log = logging.getLogger(__name__)

EXTENSION_MODULE = "MultiScaleDeformableAttention"
_UNSET = object()
# The imported extension module, None when unavailable, _UNSET before the first lookup (lazy so
# that importing this file never touches CUDA libraries).
_extension: ModuleType | None | object = _UNSET
_IM2COL_STEP = 64  # images per kernel launch of the compiled op (it needs a divisor of the batch)


def _load_extension() -> ModuleType | None:
    """The compiled op's module, or None; looked up once."""
    global _extension
    if _extension is _UNSET:
        try:
            module = importlib.import_module(EXTENSION_MODULE)
        except (ImportError, OSError) as exc:  # OSError: built against another CUDA/torch
            log.debug("deformable attention fast path unavailable: %s", exc)
            module = None
        if module is not None and not all(
            hasattr(module, name) for name in ("ms_deform_attn_forward", "ms_deform_attn_backward")
        ):
            log.warning("%s lacks ms_deform_attn_forward/backward; using pure torch", module)
            module = None
        _extension = module
    return _extension  # type: ignore[return-value]


def fast_path_available() -> bool:
    """True when the compiled ``MultiScaleDeformableAttention`` op can be used (CUDA tensors)."""
    return _load_extension() is not None


def _shapes_list(spatial_shapes: Tensor | Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """``[(h, w), ...]`` as Python ints from a ``LongTensor[L, 2]`` or a sequence of pairs."""
    if isinstance(spatial_shapes, Tensor):
        spatial_shapes = spatial_shapes.tolist()
    return [(int(h), int(w)) for h, w in spatial_shapes]


def level_start_index_of(spatial_shapes: Tensor) -> Tensor:
    """Offset of each level in the flattened sequence: ``LongTensor[L]`` = exclusive cumsum of h*w."""
    areas = spatial_shapes.prod(1)
    return torch.cat((areas.new_zeros(1), areas.cumsum(0)[:-1]))


def ms_deform_attn(
    value: Tensor,
    spatial_shapes: Tensor | Sequence[Sequence[int]],
    sampling_locations: Tensor,
    attention_weights: Tensor,
) -> Tensor:
    """Multi-scale deformable sampling and weighted sum, pure torch.

    Args:
        value: ``Tensor[N, S, M, D]``, the levels flattened row-major and concatenated along S
            (``S = sum(h_l * w_l)``), M heads of D channels.
        spatial_shapes: ``LongTensor[L, 2]`` of ``(h_l, w_l)`` (or a sequence of pairs).
        sampling_locations: ``Tensor[N, Lq, M, L, P, 2]``, ``(x, y)`` in ``[0, 1]`` relative to
            each level (0 and 1 are the outer edges of the border pixels); outside reads zeros.
        attention_weights: ``Tensor[N, Lq, M, L, P]`` (softmax over ``L*P`` done by the caller).

    Returns:
        ``Tensor[N, Lq, M*D]``, heads concatenated.
    """
    shapes = _shapes_list(spatial_shapes)
    n, s, m, d = value.shape
    _, lq, _, n_levels, n_points, _ = sampling_locations.shape
    if sum(h * w for h, w in shapes) != s or len(shapes) != n_levels:
        raise ValueError(
            f"value has S={s} positions and locations {n_levels} levels, but spatial_shapes "
            f"{shapes} sum to {sum(h * w for h, w in shapes)} over {len(shapes)} levels"
        )
    # One image per (batch, head): [N*M, D, h, w]; grids in grid_sample's [-1, 1] convention.
    value_levels = value.split([h * w for h, w in shapes], dim=1)
    grids = (2 * sampling_locations - 1).permute(0, 2, 3, 1, 4, 5)  # [N, M, L, Lq, P, 2]
    grids = grids.reshape(n * m, n_levels, lq, n_points, 2)
    weights = attention_weights.permute(0, 2, 3, 1, 4).reshape(n * m, n_levels, 1, lq, n_points)
    out = value.new_zeros(n * m, d, lq)
    # levels differ in size, so one grid_sample per level (all queries and points at once);
    # summing level by level avoids materialising the [N*M, D, Lq, L*P] stack of samples
    for level, (h, w) in enumerate(shapes):
        image = value_levels[level].permute(0, 2, 3, 1).reshape(n * m, d, h, w)
        samples = F.grid_sample(
            image, grids[:, level], mode="bilinear", padding_mode="zeros", align_corners=False
        )  # [N*M, D, Lq, P]
        out = out + (samples * weights[:, level]).sum(-1)
    return out.view(n, m * d, lq).transpose(1, 2).contiguous()


class _CompiledMSDeformAttn(torch.autograd.Function):
    """Autograd wrapper of the compiled extension's forward/backward kernels."""

    @staticmethod
    def forward(ctx, value, spatial_shapes, level_start_index, locations, weights, im2col_step):
        ext = _load_extension()
        ctx.im2col_step = im2col_step
        ctx.save_for_backward(value, spatial_shapes, level_start_index, locations, weights)
        return ext.ms_deform_attn_forward(
            value, spatial_shapes, level_start_index, locations, weights, im2col_step
        )

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        value, spatial_shapes, level_start_index, locations, weights = ctx.saved_tensors
        grad_value, grad_locations, grad_weights = _load_extension().ms_deform_attn_backward(
            value,
            spatial_shapes,
            level_start_index,
            locations,
            weights,
            grad_output.contiguous(),
            ctx.im2col_step,
        )
        return grad_value, None, None, grad_locations, grad_weights, None


def _im2col_step(batch: int) -> int:
    """Largest divisor of ``batch`` not above the kernel's step (the op asserts divisibility)."""
    return max(k for k in range(1, min(batch, _IM2COL_STEP) + 1) if batch % k == 0)


def ms_deform_attn_fast(
    value: Tensor,
    spatial_shapes: Tensor,
    level_start_index: Tensor,
    sampling_locations: Tensor,
    attention_weights: Tensor,
) -> Tensor:
    """Same contract as :func:`ms_deform_attn`, computed by the compiled op (CUDA, fp32/fp64)."""
    if not fast_path_available():
        raise RuntimeError(f"the compiled {EXTENSION_MODULE} op is not importable")
    return _CompiledMSDeformAttn.apply(
        value.contiguous(),
        spatial_shapes.to(device=value.device, dtype=torch.long).contiguous(),
        level_start_index.to(device=value.device, dtype=torch.long).contiguous(),
        sampling_locations.contiguous(),
        attention_weights.contiguous(),
        _im2col_step(value.shape[0]),
    )


class MSDeformAttn(nn.Module):
    """Multi-scale deformable attention module (submodule names follow the official checkpoints).

    ``forward(query [N, Lq, C], reference_points [N, Lq, L, 2], input_flatten [N, S, C], ...)``
    returns ``Tensor[N, Lq, C]``. Offsets are predicted in pixels of each level and normalised by
    that level's ``(w, h)`` before being added to the reference points.
    """

    def __init__(
        self,
        *,
        d_model: int = 256,
        n_levels: int = 4,
        n_heads: int = 8,
        n_points: int = 4,
        fast_path: bool = True,
    ) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        if min(n_levels, n_heads, n_points) < 1:
            raise ValueError("n_levels, n_heads and n_points must be positive")
        self.d_model = d_model
        self.n_levels = n_levels
        self.n_heads = n_heads
        self.n_points = n_points
        self.fast_path = fast_path  # False forces the pure-torch path even where the op exists
        self.sampling_offsets = nn.Linear(d_model, n_heads * n_levels * n_points * 2)
        self.attention_weights = nn.Linear(d_model, n_heads * n_levels * n_points)
        self.value_proj = nn.Linear(d_model, d_model)
        self.output_proj = nn.Linear(d_model, d_model)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Deformable DETR's init: offsets start on rings around the reference, uniform weights."""
        nn.init.zeros_(self.sampling_offsets.weight)
        # Head k looks in direction 2πk/M; the direction is scaled so its larger component is 1
        # (one pixel), and point p sits p+1 pixels out, giving each head a ray of samples.
        angles = torch.arange(self.n_heads, dtype=torch.float32) * (2 * math.pi / self.n_heads)
        directions = torch.stack((angles.cos(), angles.sin()), dim=-1)
        directions = directions / directions.abs().amax(dim=-1, keepdim=True)
        radii = torch.arange(1, self.n_points + 1, dtype=torch.float32)
        bias = directions[:, None, None, :] * radii[None, None, :, None]  # [M, 1, P, 2]
        bias = bias.expand(self.n_heads, self.n_levels, self.n_points, 2)
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(bias.reshape(-1))
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for linear in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, n_levels={self.n_levels}, n_heads={self.n_heads}, "
            f"n_points={self.n_points}, fast_path={self.fast_path}"
        )

    def forward(
        self,
        query: Tensor,
        reference_points: Tensor,
        input_flatten: Tensor,
        spatial_shapes: Tensor,
        level_start_index: Tensor | None = None,
        padding_mask: Tensor | None = None,
        *,
        fast_path: bool | None = None,
    ) -> Tensor:
        """Attend from ``query`` to ``input_flatten``.

        Args:
            query: ``Tensor[N, Lq, C]`` (position embedding already added by the caller).
            reference_points: ``Tensor[N, Lq, L, 2]``, ``(x, y)`` in ``[0, 1]`` per level.
            input_flatten: ``Tensor[N, S, C]``, levels flattened row-major and concatenated.
            spatial_shapes: ``LongTensor[L, 2]`` of ``(h, w)``.
            level_start_index: ``LongTensor[L]`` (computed from ``spatial_shapes`` when None).
            padding_mask: ``BoolTensor[N, S]``, True where ``input_flatten`` is padding; those
                values are zeroed before sampling.
            fast_path: override of the module's ``fast_path`` switch for this call.

        Returns:
            ``Tensor[N, Lq, C]`` in the dtype of ``query``.
        """
        n, lq, c = query.shape
        _, s, _ = input_flatten.shape
        if c != self.d_model or input_flatten.shape[-1] != self.d_model:
            raise ValueError(f"query/input channels must be d_model={self.d_model}")
        if reference_points.shape != (n, lq, self.n_levels, 2):
            raise ValueError(
                f"reference_points must be [N, Lq, {self.n_levels}, 2], "
                f"got {tuple(reference_points.shape)}"
            )
        if tuple(spatial_shapes.shape) != (self.n_levels, 2):
            raise ValueError(f"spatial_shapes must be [{self.n_levels}, 2]")
        device_type = query.device.type
        autocast_on = torch.is_autocast_enabled(device_type)
        work_dtype = torch.float32 if autocast_on else query.dtype
        with torch.autocast(device_type, enabled=False):
            out = self._attend(
                query.to(work_dtype),
                reference_points.to(work_dtype),
                input_flatten.to(work_dtype),
                spatial_shapes,
                level_start_index,
                padding_mask,
                self.fast_path if fast_path is None else fast_path,
            )
        return out.to(query.dtype)

    def _attend(
        self,
        query: Tensor,
        reference_points: Tensor,
        input_flatten: Tensor,
        spatial_shapes: Tensor,
        level_start_index: Tensor | None,
        padding_mask: Tensor | None,
        fast_path: bool,
    ) -> Tensor:
        """The attention proper, in the dtype of its (already cast) inputs."""
        n, lq, _ = query.shape
        s = input_flatten.shape[1]
        m, n_levels, n_points = self.n_heads, self.n_levels, self.n_points
        value = self.value_proj(input_flatten)
        if padding_mask is not None:
            value = value.masked_fill(padding_mask[..., None], 0.0)
        value = value.view(n, s, m, self.d_model // m)
        offsets = self.sampling_offsets(query).view(n, lq, m, n_levels, n_points, 2)
        weights = self.attention_weights(query).view(n, lq, m, n_levels * n_points)
        weights = weights.softmax(-1).view(n, lq, m, n_levels, n_points)
        # offsets are in pixels of each level: divide by (w, h) to move in normalised coordinates
        normalizer = spatial_shapes.flip(-1).to(device=query.device, dtype=query.dtype)
        locations = (
            reference_points[:, :, None, :, None, :]
            + offsets / normalizer[None, None, None, :, None, :]
        )
        if fast_path and query.is_cuda and fast_path_available():
            if level_start_index is None:
                level_start_index = level_start_index_of(spatial_shapes)
            out = ms_deform_attn_fast(value, spatial_shapes, level_start_index, locations, weights)
        else:
            out = ms_deform_attn(value, spatial_shapes, locations, weights)
        return self.output_proj(out)
