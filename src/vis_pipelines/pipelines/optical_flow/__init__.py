"""Optical-flow pipeline: RAFT fine-tuning on SynthVIS GT flow, flow precomputation (.flo per frame
pair, resumable per sequence), accuracy/speed report and colour-wheel previews."""

from .pipeline import create_flow_pipeline, create_pipeline

__all__ = ["create_pipeline", "create_flow_pipeline"]
