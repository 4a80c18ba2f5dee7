"""Photometric effects applied to rendered frames: global lighting drift and pixel noise.

They change only the frames, never the ground truth: flow and masks describe the surfaces, and a
flow method must cope with brightness changes as it would on real video.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

__all__ = ["apply_photometric", "gaussian_noise"]

# Offset drift in grey levels per unit of lighting amplitude (0.05 -> +-6.4 grey levels).
_OFFSET_SCALE = 128.0
# Standard-normal quantiles at 65536 equiprobable levels: indexing them with uniform uint16 draws is
# an inverse-CDF Gaussian sampler 3x faster than numpy's, whose cost otherwise dominates generation.
_NORMAL_QUANTILES = ndtri((np.arange(65536) + 0.5) / 65536).astype(np.float32)
_CHUNK = 1 << 21  # values per noise chunk: bounded memory on large frames


def gaussian_noise(rng: np.random.Generator, shape: tuple[int, ...], std: float) -> np.ndarray:
    """float32 N(0, std) noise of ``shape`` (quantised to 65536 equiprobable levels)."""
    draws = rng.integers(0, 65536, size=shape, dtype=np.uint16)
    return np.take(_NORMAL_QUANTILES, draws) * np.float32(std)


def apply_photometric(
    frames: np.ndarray, noise_std: float, lighting_amplitude: float, rng: np.random.Generator
) -> np.ndarray:
    """uint8 frames from float ``[T, H, W, 3]``: smooth lighting gain/offset drift, Gaussian noise.

    Gain is ``1 + a sin(.)`` and offset ``128 a sin(.)`` with random slow periods (``a`` =
    ``lighting_amplitude``); noise is i.i.d. N(0, ``noise_std``) per pixel and channel. With both
    zero this is only rounding to uint8 (no random draws).
    """
    n_frames = frames.shape[0]
    t = np.arange(n_frames)
    gain, offset = np.ones(n_frames), np.zeros(n_frames)
    if lighting_amplitude > 0.0:
        periods = rng.uniform(1.0, 3.0, size=2) * n_frames
        phases = rng.uniform(0.0, 2 * np.pi, size=2)
        gain = 1.0 + lighting_amplitude * np.sin(2 * np.pi * t / periods[0] + phases[0])
        offset = _OFFSET_SCALE * lighting_amplitude * np.sin(2 * np.pi * t / periods[1] + phases[1])
    out = np.empty(frames.shape, dtype=np.uint8)
    step = max(1, _CHUNK // max(1, frames[0].size))
    for start in range(0, n_frames, step):
        sl = slice(start, start + step)
        chunk = frames[sl] * gain[sl, None, None, None].astype(np.float32)
        chunk += offset[sl, None, None, None].astype(np.float32)
        if noise_std > 0.0:
            chunk += gaussian_noise(rng, chunk.shape, noise_std)
        np.clip(np.rint(chunk), 0.0, 255.0, out=chunk)
        out[sl] = chunk
    return out
