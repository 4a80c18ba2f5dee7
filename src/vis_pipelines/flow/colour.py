"""Flow fields as colour images: the Middlebury colour wheel (Baker et al., IJCV 2011).

Hue encodes direction and saturation encodes magnitude; vectors longer than the scale are drawn
darker (x 0.75), as in the Middlebury ``flowToColor`` code and torchvision's ``flow_to_image``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["colour_wheel", "flow_to_rgb"]

# Number of hues between the six primaries, chosen by Baker et al. to look perceptually even.
_SEGMENTS = (("RY", 15), ("YG", 6), ("GC", 4), ("CB", 11), ("BM", 13), ("MR", 6))


def colour_wheel() -> np.ndarray:
    """The 55 wheel colours, float64 ``[55, 3]`` RGB in 0..255 (red -> yellow -> ... -> red)."""
    rows = []
    # (channel that stays at 255, channel that ramps, ramp direction up?) per segment
    plan = {
        "RY": (0, 1, True),
        "YG": (1, 0, False),
        "GC": (1, 2, True),
        "CB": (2, 1, False),
        "BM": (2, 0, True),
        "MR": (0, 2, False),
    }
    for name, n in _SEGMENTS:
        full, ramp, up = plan[name]
        seg = np.zeros((n, 3))
        steps = np.floor(255.0 * np.arange(n) / n)
        seg[:, full] = 255.0
        seg[:, ramp] = steps if up else 255.0 - steps
        rows.append(seg)
    return np.concatenate(rows)


def flow_to_rgb(flow: np.ndarray, max_magnitude: float | None = None) -> np.ndarray:
    """uint8 RGB ``[..., H, W, 3]`` of a ``[..., H, W, 2]`` flow (one scale for the whole input).

    ``max_magnitude`` (pixels) is the flow length drawn fully saturated; by default the longest
    vector of ``flow``. Non-finite vectors are drawn white (like zero flow).
    """
    flow = np.asarray(flow, dtype=np.float64)
    if flow.ndim < 3 or flow.shape[-1] != 2:
        raise ValueError(f"flow must be [..., H, W, 2], got {flow.shape}")
    flow = np.where(np.isfinite(flow), flow, 0.0)
    u, v = flow[..., 0], flow[..., 1]
    rad = np.hypot(u, v)
    if max_magnitude is None:
        max_magnitude = float(rad.max()) if rad.size else 0.0
    elif max_magnitude <= 0:
        raise ValueError(f"max_magnitude must be > 0, got {max_magnitude}")
    # float(): a numpy float32 eps would make the sum float32 (NEP 50) and round it.
    scale = float(max_magnitude) + float(np.finfo(np.float32).eps)
    u, v, rad = u / scale, v / scale, rad / scale
    wheel = colour_wheel() / 255.0
    n = len(wheel)
    angle = np.arctan2(-v, -u) / np.pi  # in [-1, 1]
    fk = (angle + 1.0) / 2.0 * (n - 1)
    k0 = np.floor(fk).astype(np.int64)
    k1 = np.where(k0 + 1 == n, 0, k0 + 1)
    f = (fk - k0)[..., None]
    col = (1.0 - f) * wheel[k0] + f * wheel[k1]
    inside = (rad <= 1.0)[..., None]
    col = np.where(inside, 1.0 - rad[..., None] * (1.0 - col), col * 0.75)
    return np.floor(255.0 * col).astype(np.uint8)
