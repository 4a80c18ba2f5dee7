"""Motion of SynthVIS surfaces: per-frame affine transforms and the random trajectories behind them.

A surface's transform ``A_t`` (a 2x3 matrix) maps its texture coordinates ``q`` to frame
coordinates ``p = A_t[:, :2] @ q + A_t[:, 2]`` (pixel centres at integer coordinates, x right, y
down). Objects use similarities (translation + rotation + scale), the background a pure translation
(camera pan).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "similarity_transforms",
    "translation_transforms",
    "invert_affine",
    "compose_affine",
    "apply_affine",
    "fold",
    "sample_velocities",
    "object_centres",
    "object_pose",
    "camera_offsets",
]


def similarity_transforms(
    centres: np.ndarray, angles: np.ndarray, scales: np.ndarray
) -> np.ndarray:
    """``[T, 2, 3]`` transforms ``p = scale * R(angle) @ q + centre`` from per-frame pose arrays."""
    cos, sin = np.cos(angles) * scales, np.sin(angles) * scales
    out = np.empty((len(angles), 2, 3), dtype=np.float64)
    out[:, 0, 0], out[:, 0, 1], out[:, 0, 2] = cos, -sin, centres[:, 0]
    out[:, 1, 0], out[:, 1, 1], out[:, 1, 2] = sin, cos, centres[:, 1]
    return out


def translation_transforms(offsets: np.ndarray) -> np.ndarray:
    """``[T, 2, 3]`` transforms ``p = q + offset`` from ``[T, 2]`` offsets."""
    out = np.zeros((len(offsets), 2, 3), dtype=np.float64)
    out[:, 0, 0] = out[:, 1, 1] = 1.0
    out[:, :, 2] = offsets
    return out


def invert_affine(a: np.ndarray) -> np.ndarray:
    """Inverse of 2x3 affine transform(s) ``[..., 2, 3]``."""
    m = a[..., :2]
    inv = np.linalg.inv(m)
    out = np.empty_like(a, dtype=np.float64)
    out[..., :2] = inv
    out[..., 2] = -np.einsum("...ij,...j->...i", inv, a[..., 2])
    return out


def compose_affine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a o b`` (apply ``b`` first) for 2x3 affine transform(s)."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype=np.float64)
    out[..., :2] = a[..., :2] @ b[..., :2]
    out[..., 2] = np.einsum("...ij,...j->...i", a[..., :2], b[..., 2]) + a[..., 2]
    return out


def apply_affine(a: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map points (broadcastable ``x``, ``y`` arrays) through one 2x3 transform ``a``."""
    return a[0, 0] * x + a[0, 1] * y + a[0, 2], a[1, 0] * x + a[1, 1] * y + a[1, 2]


def fold(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Reflect an unconstrained path into ``[lo, hi]``: the path of a point bouncing off both walls.

    Between bounces the speed is kept; the step that hits a wall is shortened (never lengthened).
    """
    if hi <= lo:
        return np.full_like(x, 0.5 * (lo + hi))
    span = hi - lo
    return lo + span - np.abs(np.mod(x - lo, 2.0 * span) - span)


def sample_velocities(
    rng: np.random.Generator,
    n_steps: int,
    speed_range: tuple[float, float],
    heading: float,
    turn_std: float,
    max_turn: float | None = None,
) -> np.ndarray:
    """``[n_steps, 2]`` smooth random velocities: speed in ``speed_range``, heading a random walk.

    ``max_turn`` bounds the heading's total deviation from ``heading`` (used for objects that must
    keep going towards an edge).
    """
    vmin, vmax = speed_range
    deviation = np.cumsum(rng.normal(0.0, turn_std, n_steps))
    if max_turn is not None:
        deviation = np.clip(deviation, -max_turn, max_turn)
    speed = rng.uniform(vmin, vmax) + np.cumsum(rng.normal(0.0, 0.15 * (vmax - vmin), n_steps))
    speed = np.clip(speed, vmin, vmax)
    angle = heading + deviation
    return np.stack([speed * np.cos(angle), speed * np.sin(angle)], axis=1)


def object_centres(
    rng: np.random.Generator,
    n_frames: int,
    lo: np.ndarray,
    hi: np.ndarray,
    frame_size: tuple[int, int],
    extent: float,
    speed_range: tuple[float, float],
    mode: str,
    exit_axes: tuple[int, ...] = (0, 1),
) -> np.ndarray:
    """``[T, 2]`` centre path (x, y) of an object.

    ``mode`` ``"stay"``: bounces inside the box ``[lo, hi]``. ``"leave"``: starts (at least partly)
    visible and leaves through an edge on one of ``exit_axes``, ending fully outside (its ``extent``
    beyond the edge) whenever the path is long enough; ``"enter"``: a leaving path played backwards.
    The axis not used for the exit still bounces inside ``[lo, hi]``.
    """
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    hi = np.maximum(hi, lo)
    steps = n_frames - 1
    if mode == "stay":
        start = rng.uniform(lo, hi)
        vel = sample_velocities(rng, steps, speed_range, rng.uniform(0, 2 * np.pi), turn_std=0.15)
        raw = start + np.concatenate([np.zeros((1, 2)), np.cumsum(vel, axis=0)])
        return np.stack([fold(raw[:, i], lo[i], hi[i]) for i in range(2)], axis=1)
    if mode not in ("leave", "enter"):
        raise ValueError(f"unknown motion mode {mode!r}; expected stay, leave or enter")
    axis = int(rng.choice(exit_axes))
    sign = float(rng.choice([-1.0, 1.0]))
    outward = (0.0 if sign > 0 else np.pi) if axis == 0 else (np.pi / 2 if sign > 0 else -np.pi / 2)
    vel = sample_velocities(
        rng, steps, speed_range, outward + rng.uniform(-0.5, 0.5), turn_std=0.1, max_turn=1.0
    )
    travel = sign * vel[:, axis].sum()  # > 0: heading stays within 1.5 rad of the outward normal
    size = frame_size[axis]
    edge = size - 0.5 if sign > 0 else -0.5
    exit_at = edge + sign * extent  # fully outside from here on
    start_axis = exit_at - sign * travel * rng.uniform(0.55, 0.85)
    # Partly visible in the first frame (centre at most 0.2 extent beyond the edge), and never
    # starting beyond the opposite side of the bounce box.
    if sign > 0:
        start_axis = min(max(start_axis, lo[axis]), edge + 0.2 * extent)
    else:
        start_axis = max(min(start_axis, hi[axis]), edge - 0.2 * extent)
    other = 1 - axis
    start = np.empty(2)
    start[axis], start[other] = start_axis, rng.uniform(lo[other], hi[other])
    raw = start + np.concatenate([np.zeros((1, 2)), np.cumsum(vel, axis=0)])
    raw[:, other] = fold(raw[:, other], lo[other], hi[other])
    return raw[::-1].copy() if mode == "enter" else raw


def object_pose(
    rng: np.random.Generator, n_frames: int, max_rotation_deg: float, scale_change: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame ``(angles [T] rad, scales [T])``: smooth spin and a slow scale oscillation."""
    max_rot = np.deg2rad(max_rotation_deg)
    omega = rng.uniform(-max_rot, max_rot) + np.cumsum(rng.normal(0.0, 0.1 * max_rot, n_frames - 1))
    omega = np.clip(omega, -max_rot, max_rot)
    angles = rng.uniform(0.0, 2 * np.pi) + np.concatenate([[0.0], np.cumsum(omega)])
    period = rng.uniform(1.0, 3.0) * n_frames
    scales = 1.0 + scale_change * np.sin(
        2 * np.pi * np.arange(n_frames) / period + rng.uniform(0.0, 2 * np.pi)
    )
    return angles, scales


def camera_offsets(rng: np.random.Generator, n_frames: int, max_speed: float) -> np.ndarray:
    """``[T, 2]`` camera position (pixels, starting at 0) of a smooth pan at up to ``max_speed``."""
    if max_speed <= 0.0:
        return np.zeros((n_frames, 2))
    vel = sample_velocities(
        rng, n_frames - 1, (0.3 * max_speed, max_speed), rng.uniform(0, 2 * np.pi), turn_std=0.1
    )
    return np.concatenate([np.zeros((1, 2)), np.cumsum(vel, axis=0)])
