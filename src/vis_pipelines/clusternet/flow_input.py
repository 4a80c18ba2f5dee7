"""ClusterNet's input: causal optical flow at frame t, resized and drawn with the colour wheel.

"Online" means the flow used at frame ``t`` comes from frames ``t - 1`` and ``t`` only. Our flow
stores hold, under frame ``t``'s name, the flow from ``t`` to ``t + gap``:

* ``gap = -1`` (backward, file of frame ``t``): defined on frame ``t``'s pixel grid, so the motion
  into frame ``t`` is simply its negation;
* ``gap = 1`` (forward, file of frame ``t - 1``): defined on frame ``t - 1``'s grid. It is moved
  onto frame ``t``'s grid by forward splatting (:func:`reanchor_forward_flow`); otherwise a moving
  object's mask would lag one frame behind the object.

Both give the *incoming motion* of each pixel of frame ``t`` (pixel ``x`` of frame ``t`` came from
``x - m(x)`` in frame ``t - 1``). Frame 0 has no causal flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
from scipy import ndimage

from vis_pipelines.flow.colour import flow_to_rgb

__all__ = [
    "causal_flow_names",
    "resize_flow",
    "reanchor_forward_flow",
    "incoming_motion",
    "causal_motions",
    "flow_to_input",
]


def causal_flow_names(frame_names: Sequence[str], gap: int) -> list[str]:
    """The stored flow used for frames 1..T-1: frame t's own (gap -1) or frame t-1's (gap 1)."""
    names = list(frame_names)
    if gap == -1:
        return names[1:]
    if gap == 1:
        return names[:-1]
    raise ValueError(f"causal flow needs gap 1 or -1, got {gap}")


def resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a ``[H, W, 2]`` flow to ``size = (h, w)``, vectors scaled to match."""
    h, w = int(size[0]), int(size[1])
    src_h, src_w = flow.shape[:2]
    if (src_h, src_w) == (h, w):
        return flow.astype(np.float32, copy=False)
    out = cv2.resize(flow.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= w / src_w
    out[..., 1] *= h / src_h
    return out


_STILL_PX = 0.5  # landed vectors this close to the median motion count as background


def reanchor_forward_flow(flow: np.ndarray) -> np.ndarray:
    """Forward flow ``t-1 -> t`` (on frame t-1's grid) as incoming motion on frame ``t``'s grid.

    Every pixel ``x`` of frame t-1 lands at ``round(x + f(x))`` and carries ``f(x)`` there. Where
    several land on one pixel, the one moving most unlike the frame's median motion wins: the
    occluder is assumed to be the independently moving object, not the background it covers.
    Pixels nothing lands on are either disoccluded background (a strip at most one displacement
    wide behind a moving object) or gaps in a stretching surface: a hole takes the nearest
    background-like vector (within 0.5 px of the median motion) when that one is at most the
    longest displacement farther away than the nearest landed vector of any kind, else the latter.
    """
    flow = np.asarray(flow, dtype=np.float32)
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    tx = np.rint(xs + flow[..., 0]).astype(np.int64).ravel()
    ty = np.rint(ys + flow[..., 1]).astype(np.int64).ravel()
    vec = flow.reshape(-1, 2)
    inside = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h) & np.isfinite(vec).all(axis=1)
    if not inside.any():
        return np.zeros_like(flow)
    median = np.median(vec[inside], axis=0)
    priority = np.linalg.norm(vec - median, axis=1)
    # Ascending priority: with fancy assignment the last write wins, i.e. the highest priority.
    order = np.flatnonzero(inside)[np.argsort(priority[inside], kind="stable")]
    target = ty[order] * w + tx[order]
    out = np.zeros((h * w, 2), dtype=np.float32)
    landed = np.zeros(h * w, dtype=bool)
    out[target] = vec[order]
    landed[target] = True
    if landed.all():
        return out.reshape(h, w, 2)
    out, landed = out.reshape(h, w, 2), landed.reshape(h, w)
    d_any, (iy, ix) = ndimage.distance_transform_edt(~landed, return_indices=True)
    filled = out[iy, ix]
    still = landed & (np.linalg.norm(out - median, axis=-1) <= _STILL_PX)
    if still.any():
        d_still, (sy, sx) = ndimage.distance_transform_edt(~still, return_indices=True)
        longest = float(np.linalg.norm(vec[inside], axis=1).max())
        revealed = ~landed & (d_still <= d_any + longest)
        filled[revealed] = out[sy[revealed], sx[revealed]]
    return filled


def incoming_motion(flow: np.ndarray, gap: int) -> np.ndarray:
    """Incoming motion on frame t's grid from the causal stored flow (see the module docstring).

    Args:
        flow: the ``gap = -1`` flow of frame t, or the ``gap = 1`` flow of frame t - 1.
        gap: -1 or 1.
    """
    if gap == -1:
        return -np.asarray(flow, dtype=np.float32)
    if gap == 1:
        return reanchor_forward_flow(flow)
    raise ValueError(f"causal flow needs gap 1 or -1, got {gap}")


def causal_motions(
    read: Callable[[str], np.ndarray],
    frame_names: Sequence[str],
    gap: int,
    size: tuple[int, int],
) -> np.ndarray:
    """Incoming motion of frames 1..T-1 at ``size``, float32 ``[T-1, h, w, 2]``.

    ``read(name)`` returns the stored flow named after frame ``name`` (at any resolution; it is
    resized, vectors scaled, before being moved onto frame t's grid).
    """
    out = np.empty((max(len(frame_names) - 1, 0), int(size[0]), int(size[1]), 2), np.float32)
    for k, name in enumerate(causal_flow_names(frame_names, gap)):
        out[k] = incoming_motion(resize_flow(read(name), size), gap)
    return out


def flow_to_input(motion: np.ndarray, *, min_magnitude: float = 0.0) -> np.ndarray:
    """Colour-wheel rendering of ``[..., H, W, 2]`` flows as float32 ``[..., 3, H, W]`` in [-1, 1].

    Each field is scaled by its own longest vector (as the standard visualisation does), but never
    by less than ``min_magnitude`` pixels, so near-static frames do not blow noise up to full
    saturation.
    """
    motion = np.asarray(motion, dtype=np.float32)
    lead = motion.shape[:-3]
    fields = motion.reshape(-1, *motion.shape[-3:])
    out = np.empty((len(fields), 3, *motion.shape[-3:-1]), dtype=np.float32)
    for k, field in enumerate(fields):  # per field: the scale is the field's own
        mag = np.hypot(field[..., 0], field[..., 1])
        finite = mag[np.isfinite(mag)]
        longest = float(finite.max()) if finite.size else 0.0
        rgb = flow_to_rgb(field, max_magnitude=max(longest, float(min_magnitude), 1e-6))
        out[k] = np.moveaxis(rgb.astype(np.float32) / 127.5 - 1.0, -1, 0)
    return out.reshape(*lead, *out.shape[1:])
