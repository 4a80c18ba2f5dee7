"""Evaluation pipeline: predictions + ground truth -> flat metrics json per (model, dataset)."""

from .pipeline import (
    create_davis_evaluation_pipeline,
    create_pipeline,
    create_ytvis_evaluation_pipeline,
    register_evaluation,
)

__all__ = [
    "create_pipeline",
    "create_ytvis_evaluation_pipeline",
    "create_davis_evaluation_pipeline",
    "register_evaluation",
]
