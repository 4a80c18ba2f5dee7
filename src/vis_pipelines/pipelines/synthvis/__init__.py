"""SynthVIS pipeline: generate the embedded synthetic dataset in every layout, then validate it."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
