"""``mask2former``: fully supervised Mask2Former-VIS baseline (train, predict, evaluate)."""

from .pipeline import create_pipeline, create_real_data_pipeline, create_vis_pipeline

__all__ = ["create_pipeline", "create_real_data_pipeline", "create_vis_pipeline"]
