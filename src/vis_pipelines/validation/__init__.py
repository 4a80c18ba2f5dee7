"""Table-level data validation with Great Expectations (imported lazily: it is slow to import)."""

from .checks import ANNOTATION_CHECKS, VIDEO_CHECKS, DataValidationError, validate_annotations
from .tables import ANNOTATION_COLUMNS, VIDEO_COLUMNS, annotation_table, video_table

__all__ = [
    "ANNOTATION_CHECKS",
    "ANNOTATION_COLUMNS",
    "VIDEO_CHECKS",
    "VIDEO_COLUMNS",
    "DataValidationError",
    "annotation_table",
    "validate_annotations",
    "video_table",
]
