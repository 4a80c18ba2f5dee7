"""Photometric effects: exact rounding when off, calibrated noise and bounded lighting drift."""

from __future__ import annotations

import numpy as np

from vis_pipelines.synth.photometric import apply_photometric, gaussian_noise


def test_off_is_rounding_only() -> None:
    frames = np.array([[[[0.4, 0.6, 254.6]]], [[[-3.0, 300.0, 127.5]]]], dtype=np.float32)
    out = apply_photometric(frames, 0.0, 0.0, np.random.default_rng(0))
    assert out.dtype == np.uint8
    assert out.tolist() == [[[[0, 1, 255]]], [[[0, 255, 128]]]]


def test_noise_is_calibrated_and_deterministic() -> None:
    frames = np.full((4, 64, 64, 3), 128.0, dtype=np.float32)
    a = apply_photometric(frames, 5.0, 0.0, np.random.default_rng(3))
    b = apply_photometric(frames, 5.0, 0.0, np.random.default_rng(3))
    assert np.array_equal(a, b)
    residual = a.astype(float) - 128.0
    assert abs(residual.mean()) < 0.1
    # Rounding to integers adds variance 1/12.
    assert abs(np.sqrt(residual.var()) - np.sqrt(25 + 1 / 12)) < 0.1
    z = gaussian_noise(np.random.default_rng(0), (200_000,), 1.0)
    assert abs(float(z.std()) - 1.0) < 0.01
    assert abs(float(np.mean(np.abs(z))) - np.sqrt(2 / np.pi)) < 0.01  # E|z| of a standard normal


def test_lighting_drift_is_global_and_bounded() -> None:
    frames = np.full((12, 8, 8, 3), 100.0, dtype=np.float32)
    out = apply_photometric(frames, 0.0, 0.05, np.random.default_rng(1)).astype(float)
    per_frame = out.reshape(12, -1)
    assert np.all(per_frame.std(axis=1) == 0)  # one gain/offset per frame
    # gain in [0.95, 1.05], offset in [-6.4, 6.4]: 100 * gain + offset in [88.6, 111.4].
    assert per_frame.min() >= 88 and per_frame.max() <= 112 and np.ptp(per_frame[:, 0]) > 0
