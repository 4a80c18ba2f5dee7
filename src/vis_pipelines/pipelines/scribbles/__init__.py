"""Scribbles pipeline: full-mask YouTube-VIS datasets → scribble datasets, stats and previews."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
