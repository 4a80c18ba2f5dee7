"""``cluster2former``: scribble-supervised VIS, three supervision variants and their comparison."""

from .pipeline import create_pipeline, create_real_data_pipeline

__all__ = ["create_pipeline", "create_real_data_pipeline"]
