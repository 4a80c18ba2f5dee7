"""Frame images (JPEG/PNG) read and written through OpenCV, with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .atomic import atomic_write_bytes
from .errors import FormatError

__all__ = ["read_image", "encode_image", "write_image"]


def read_image(path: str | Path, *, expected_size: tuple[int, int] | None = None) -> np.ndarray:
    """Read an image as RGB uint8 ``(H, W, 3)``; ``expected_size`` is ``(height, width)``."""
    path = Path(path)
    if not path.is_file():
        raise FormatError("frame not found", source=path)
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise FormatError("cannot decode image (corrupt or not an image)", source=path)
    if expected_size is not None and img.shape[:2] != tuple(expected_size):
        raise FormatError(
            f"image is {img.shape[0]}x{img.shape[1]}, expected {expected_size[0]}x{expected_size[1]}",
            source=path,
        )
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def encode_image(rgb: np.ndarray, ext: str = ".jpg", *, quality: int = 90) -> bytes:
    """Encode an RGB uint8 image; OpenCV's encoders are deterministic, so same pixels → same bytes."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected RGB uint8 (H, W, 3), got {rgb.dtype} {rgb.shape}")
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if ext.lower() in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"OpenCV could not encode an image as {ext}")
    return buf.tobytes()


def write_image(path: str | Path, rgb: np.ndarray, *, quality: int = 90) -> None:
    """Write an RGB image atomically; the format follows the file suffix."""
    path = Path(path)
    atomic_write_bytes(path, encode_image(rgb, path.suffix or ".png", quality=quality))
