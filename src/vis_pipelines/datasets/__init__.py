"""Kedro datasets: the only code that moves video data between files and in-memory objects.

Catalog entries use ``type: vis_pipelines.datasets.<Class>``; nodes receive the in-memory objects
(``VideoSet``, ``DAVISSequences``, ``FlowSequences``, checkpoint dicts) and never touch files.
"""

from .checkpoint import TorchCheckpointDataset
from .davis import DAVISDataset, DAVISSequences
from .errors import DatasetFormatError, DatasetValueError
from .flow import FlowDirDataset, FlowSequences
from .flow_store import FlowStore, FlowStoreDataset
from .json_file import JSONDataset
from .json_parts import JSONPartsDataset
from .report_files import CSVDataset, PNGDataset, TextDataset
from .training_run import TrainingRun, TrainingRunDataset
from .video_set import VideoSet
from .ytvis import YTVISDataset

__all__ = [
    "TrainingRun",
    "TrainingRunDataset",
    "CSVDataset",
    "PNGDataset",
    "TextDataset",
    "FlowStore",
    "FlowStoreDataset",
    "JSONDataset",
    "JSONPartsDataset",
    "VideoSet",
    "YTVISDataset",
    "DAVISSequences",
    "DAVISDataset",
    "FlowSequences",
    "FlowDirDataset",
    "TorchCheckpointDataset",
    "DatasetFormatError",
    "DatasetValueError",
]
