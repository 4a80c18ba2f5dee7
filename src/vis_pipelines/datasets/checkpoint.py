"""Training checkpoints: ``torch.save`` of ``{model, optimizer, scheduler, scaler, step, config,
rng_state}``.

Written to a temporary file beside the target and renamed, so an interrupted save never replaces a
good checkpoint with half a file; training resumes from whatever the file holds.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from kedro.io import AbstractDataset

from vis_pipelines.formats import FormatError, atomic_open

from .errors import kedro_passthrough

__all__ = ["TorchCheckpointDataset", "CHECKPOINT_KEYS", "REQUIRED_KEYS"]

logger = logging.getLogger(__name__)

CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "scaler", "step", "config", "rng_state")
REQUIRED_KEYS = ("model", "step")

# numpy arrays/scalars (e.g. np.random.get_state() in rng_state) are plain data, so allowing them
# keeps torch's weights-only unpickler safe while letting our own checkpoints load.
_np_core = getattr(np, "_core", None) or np.core  # numpy 2 renamed np.core to np._core
_NUMPY_SAFE_GLOBALS: list[Any] = [
    _np_core.multiarray._reconstruct,
    _np_core.multiarray.scalar,
    np.ndarray,
    np.dtype,
    *(getattr(np.dtypes, name) for name in np.dtypes.__all__),
]


class TorchCheckpointDataset(AbstractDataset[dict, dict]):
    """A checkpoint dict saved with ``torch.save`` (atomically) and read with ``torch.load``.

    ``weights_only`` (default True) uses torch's restricted unpickler (tensors, containers, numpy
    arrays); set it to False only for trusted files that hold other Python objects.
    """

    def __init__(
        self,
        *,
        filepath: str,
        map_location: str = "cpu",
        weights_only: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._filepath = Path(filepath)
        self._map_location = map_location
        self._weights_only = bool(weights_only)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": str(self._filepath),
            "map_location": self._map_location,
            "weights_only": self._weights_only,
        }

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _load(self) -> dict:
        with kedro_passthrough():
            path = self._filepath
            if not path.is_file():
                raise FormatError("checkpoint not found", source=path)
            try:
                with torch.serialization.safe_globals(_NUMPY_SAFE_GLOBALS):
                    obj = torch.load(
                        path, map_location=self._map_location, weights_only=self._weights_only
                    )
            except pickle.UnpicklingError as err:
                if "Weights only load failed" in str(err):
                    raise FormatError(
                        "holds objects outside torch's weights-only allowlist; set "
                        "weights_only: false in the catalog only if you trust the "
                        "file",
                        source=path,
                    ) from None
                raise FormatError(f"corrupt checkpoint ({err})", source=path) from None
            except (RuntimeError, EOFError, ValueError, OSError, AttributeError) as err:
                first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
                raise FormatError(
                    f"cannot read checkpoint, corrupt or truncated ({first_line})", source=path
                ) from None
            if not isinstance(obj, dict):
                raise FormatError(
                    f"top level must be a dict, got {type(obj).__name__}", source=path
                )
            for key in REQUIRED_KEYS:
                if key not in obj:
                    raise FormatError("missing", source=path, field=key)
            return obj

    def _save(self, data: dict) -> None:
        with kedro_passthrough():
            if not isinstance(data, dict):
                raise ValueError(
                    f"a checkpoint must be a dict with keys {CHECKPOINT_KEYS}, got "
                    f"{type(data).__name__}"
                )
            missing = [key for key in REQUIRED_KEYS if key not in data]
            if missing:
                raise ValueError(
                    f"checkpoint dict lacks {missing}; contract keys are {CHECKPOINT_KEYS}"
                )
            step = data["step"]
            if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
                raise ValueError(f"checkpoint 'step' must be an int, got {step!r}")
            with atomic_open(self._filepath, "wb") as handle:
                torch.save(data, handle)
            logger.info("Saved checkpoint (step %d) to %s", int(step), self._filepath)
