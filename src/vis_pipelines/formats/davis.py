"""DAVIS-layout masks: palette PNGs whose pixel value is the object id (0 background, 255 void)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from .atomic import atomic_write_bytes
from .errors import FormatError

__all__ = [
    "VOID",
    "davis_palette",
    "read_mask_png",
    "mask_png_image",
    "encode_mask_png",
    "write_mask_png",
]

VOID = 255


def davis_palette() -> np.ndarray:
    """The 256-colour palette used by DAVIS / PASCAL VOC annotations, as ``(256, 3)`` uint8."""
    idx = np.arange(256)
    pal = np.zeros((256, 3), dtype=np.uint8)
    # Bit-interleaved colour code: bit k of the index goes to bit (7 - k // 3) of channel k % 3.
    for bit in range(8):
        for ch in range(3):
            pal[:, ch] |= (((idx >> (3 * bit + ch)) & 1) << (7 - bit)).astype(np.uint8)
    return pal


def read_mask_png(
    path: str | Path, *, expected_size: tuple[int, int] | None = None, binary_threshold: int = 128
) -> np.ndarray:
    """Read a mask PNG as uint8 ``(H, W)`` ids.

    Palette PNGs give their indices (DAVIS-2017 style). Grey-scale PNGs (DAVIS-2016, FBMS, SegTrackV2
    releases store 0/255 foreground masks) give 1 where the value is ``>= binary_threshold``. RGB PNGs
    whose channels are equal are read as grey; colour RGB masks are refused.
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError("mask not found", source=path)
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            arr = np.array(img)
    except (OSError, SyntaxError) as err:
        raise FormatError(f"cannot decode PNG ({err})", source=path) from None
    if mode == "P":
        ids = arr.astype(np.uint8)
    elif mode in ("L", "1", "I", "I;16"):
        ids = (arr.astype(np.int64) >= (1 if mode == "1" else binary_threshold)).astype(np.uint8)
    elif mode in ("RGB", "RGBA"):
        rgb = arr[..., :3]
        if not (
            np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])
        ):
            raise FormatError(
                "colour RGB mask: save object ids as a palette or grey-scale PNG", source=path
            )
        ids = (rgb[..., 0] >= binary_threshold).astype(np.uint8)
    else:
        raise FormatError(f"unsupported PNG mode {mode!r}", source=path)
    if expected_size is not None and ids.shape != tuple(expected_size):
        raise FormatError(
            f"mask is {ids.shape[0]}x{ids.shape[1]}, expected {expected_size[0]}x{expected_size[1]} "
            "(the size of its frame)",
            source=path,
        )
    return ids


def mask_png_image(ids: np.ndarray) -> Image.Image:
    """uint8 ``(H, W)`` object ids as a palette ("P") image carrying the DAVIS palette."""
    if ids.ndim != 2:
        raise ValueError(f"expected (H, W) ids, got shape {ids.shape}")
    img = Image.fromarray(ids.astype(np.uint8), mode="P")
    img.putpalette(davis_palette().reshape(-1).tolist())
    return img


def encode_mask_png(ids: np.ndarray) -> bytes:
    """Encode uint8 ``(H, W)`` object ids as a palette PNG with the DAVIS palette."""
    img = mask_png_image(ids)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def write_mask_png(path: str | Path, ids: np.ndarray) -> None:
    """Write object ids as a DAVIS palette PNG, atomically."""
    atomic_write_bytes(path, encode_mask_png(ids))
