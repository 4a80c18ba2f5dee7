"""Scribble generation: full masks → 1-pixel scribble strokes, the protocol of the scribble
releases of YouTube-VIS 2019/2021 and OVIS used by Cluster2Former.

Per mask (``scribble_mask``): disk opening with a shrinking radius, skeleton, longest path of each
skeleton component, Bézier smoothing, clipping to the mask. Per video (``scribble_video``): every
visible object on the selected frames plus one background annotation. ``parts`` makes the work
resumable video by video; ``stats``, ``checks`` and ``preview`` report on it. No Kedro and no file
I/O here.
"""

from vis_pipelines.formats.rle_strict import (
    checked_runs,
    decode_rle_box,
    decode_rle_strict,
    encode_pixels,
    rle_pixels,
    rle_run_lengths,
)

from .checks import INVARIANTS, check_scribbles
from .config import PreviewConfig, ScribbleConfig
from .parts import (
    assemble_scribbles,
    input_hash,
    load_current_parts,
    make_part,
    part_is_current,
    scribble_params_hash,
    video_keys,
)
from .preview import preview_frames, preview_video_indices, render_preview
from .scribble import Scribble, scribble_box, scribble_mask
from .skeleton import thin
from .stats import markdown_report, stats_table, summarise
from .video import VideoScribbles, check_video_masks, mask_rng, scribble_video

__all__ = [
    "ScribbleConfig",
    "PreviewConfig",
    "Scribble",
    "scribble_mask",
    "scribble_box",
    "thin",
    "VideoScribbles",
    "scribble_video",
    "check_video_masks",
    "mask_rng",
    "checked_runs",
    "decode_rle_box",
    "decode_rle_strict",
    "encode_pixels",
    "rle_pixels",
    "rle_run_lengths",
    "scribble_params_hash",
    "input_hash",
    "video_keys",
    "make_part",
    "part_is_current",
    "load_current_parts",
    "assemble_scribbles",
    "stats_table",
    "summarise",
    "markdown_report",
    "check_scribbles",
    "INVARIANTS",
    "render_preview",
    "preview_frames",
    "preview_video_indices",
]
