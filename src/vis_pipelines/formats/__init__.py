"""File formats and schema checks; the only package that knows how files are laid out."""

from .atomic import atomic_open, atomic_write_bytes, atomic_write_json
from .davis import VOID, davis_palette, encode_mask_png, read_mask_png, write_mask_png
from .errors import FormatError
from .flo import encode_flo, read_flo, write_flo
from .images import encode_image, read_image, write_image
from .results import load_results, save_results, validate_results
from .rle import decode_rle, empty_rle, encode_mask, encode_masks, normalize_rle, rle_area, rle_bbox
from .ytvis import (
    annotations_of,
    is_labeled,
    load_json,
    load_ytvis_json,
    save_ytvis_json,
    validate_ytvis,
)

__all__ = [
    "FormatError",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_json",
    "VOID",
    "davis_palette",
    "encode_mask_png",
    "read_mask_png",
    "write_mask_png",
    "encode_flo",
    "read_flo",
    "write_flo",
    "encode_image",
    "read_image",
    "write_image",
    "load_results",
    "save_results",
    "validate_results",
    "decode_rle",
    "empty_rle",
    "encode_mask",
    "encode_masks",
    "normalize_rle",
    "rle_area",
    "rle_bbox",
    "annotations_of",
    "is_labeled",
    "load_json",
    "load_ytvis_json",
    "save_ytvis_json",
    "validate_ytvis",
]
