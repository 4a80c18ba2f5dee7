"""Evaluation: YouTube-VIS mask AP (+ LV-VIS base/novel, BURST common/uncommon, OVIS, SynthVIS),
DAVIS J&F (semi-supervised, unsupervised, DAVIS-2016 binary for FBMS / SegTrackV2), submission
archives and flat metric records."""

from .davis import DAVIS_KEYS, TASKS, davis_scores, evaluate_davis, read_davis_folders
from .records import metrics_record
from .submission import export_submission, top_k_per_video
from .vos_measures import boundary_f, region_similarity, seg2bmap, vos_statistics
from .ytvis import (
    STAT_NAMES,
    APParams,
    YTVISEvaluation,
    category_split_ap,
    evaluate_ytvis,
    format_summary,
    pr_curve_table,
    run_ytvis_eval,
)

__all__ = [
    "APParams",
    "YTVISEvaluation",
    "STAT_NAMES",
    "run_ytvis_eval",
    "evaluate_ytvis",
    "format_summary",
    "category_split_ap",
    "pr_curve_table",
    "DAVIS_KEYS",
    "TASKS",
    "davis_scores",
    "evaluate_davis",
    "read_davis_folders",
    "region_similarity",
    "boundary_f",
    "seg2bmap",
    "vos_statistics",
    "export_submission",
    "top_k_per_video",
    "metrics_record",
]
