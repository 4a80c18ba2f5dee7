"""Optical flow folders: ``<flow_root>/<method>_gap<g>/<seq>/<frame>.flo`` (Middlebury ``.flo``).

The flow stored under frame ``t``'s name goes from frame ``t`` to frame ``t + gap``. Ground-truth
flow may come with occlusion masks ``<seq>/<frame>_occ.png`` (palette PNG, 1 = the pixel of frame t
is not visible in frame t + gap), as MPI-Sintel ships them beside its flow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from kedro.io import AbstractDataset
from tqdm.auto import tqdm

from vis_pipelines.formats import FormatError, read_flo, read_mask_png, write_flo, write_mask_png

from .errors import kedro_passthrough

__all__ = ["FlowSequences", "FlowDirDataset", "FlowSource", "OCCLUSION_SUFFIX"]

logger = logging.getLogger(__name__)

# seq -> (names of the source frames, float32 [N, H, W, 2][, bool occluded [N, H, W]])
FlowSource = Callable[[], tuple[Any, ...]]

OCCLUSION_SUFFIX = "_occ.png"


class FlowSequences:
    """Flow fields of one method and gap: <root>/<seq>/<frame>.flo, flow from frame t to t+gap, the
    file named after frame t (e.g. 00000.flo).

    Give ``root`` (files, read lazily) or ``flows`` (in memory / computed on demand).
    """

    def __init__(
        self, *, root: str | Path | None = None, flows: Mapping[str, FlowSource] | None = None
    ) -> None:
        if (root is None) == (flows is None):
            raise ValueError("give exactly one of root (files) or flows (in memory)")
        self.root = Path(root) if root is not None else None
        self._flows = dict(flows) if flows is not None else None

    def __repr__(self) -> str:
        return f"FlowSequences(root={str(self.root) if self.root else '<memory>'!r})"

    def _seq_dir(self, seq: str) -> Path:
        folder = self.root / seq  # type: ignore[operator]
        if not folder.is_dir():
            raise FormatError(
                "flow sequence folder not found", source=folder, record=f"sequence {seq}"
            )
        return folder

    def _computed(self, seq: str) -> tuple[list[str], np.ndarray, np.ndarray | None]:
        if seq not in self._flows:  # type: ignore[operator]
            raise FormatError(
                f"unknown sequence {seq!r}",
                source="<memory>",
                record=f"sequence {seq}",
                field="flows",
            )
        names, flow, *rest = self._flows[seq]()  # type: ignore[index]
        flow = np.asarray(flow)
        names = [str(n) for n in names]
        if flow.ndim != 4 or flow.shape[3] != 2 or len(names) != len(flow):
            raise ValueError(
                f"sequence {seq}: expected {len(names)} flows [N,H,W,2] for "
                f"{len(names)} frame names, got {flow.shape}"
            )
        occluded = np.asarray(rest[0], dtype=bool) if rest and rest[0] is not None else None
        if occluded is not None and occluded.shape != flow.shape[:3]:
            raise ValueError(
                f"sequence {seq}: occlusion masks {occluded.shape} do not match flows "
                f"{flow.shape[:3]}"
            )
        return names, flow.astype(np.float32, copy=False), occluded

    def names(self) -> list[str]:
        """Sequence names, sorted."""
        if self._flows is not None:
            return sorted(self._flows)
        if not self.root.is_dir():  # type: ignore[union-attr]
            raise FormatError("flow folder not found", source=self.root)
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())  # type: ignore[union-attr]

    def frame_names(self, seq: str) -> list[str]:
        """Names of the source frames that have a flow, sorted (``00000``...)."""
        if self._flows is not None:
            return self._computed(seq)[0]
        return sorted(p.stem for p in self._seq_dir(seq).glob("*.flo"))

    def read(self, seq: str, frame_name: str) -> np.ndarray:
        """The flow from ``frame_name`` to the frame ``gap`` later, float32 ``[H, W, 2]``."""
        if self._flows is not None:
            names, flow, _ = self._computed(seq)
            if frame_name not in names:
                raise FormatError(
                    f"no flow for frame {frame_name!r}",
                    source="<memory>",
                    record=f"sequence {seq}",
                    field="flows",
                )
            return flow[names.index(frame_name)]
        return read_flo(self._seq_dir(seq) / f"{frame_name}.flo")

    def load_occlusion(self, seq: str) -> np.ndarray | None:
        """Occlusion masks bool ``[N, H, W]`` in ``frame_names`` order, or None if there are none."""
        if self._flows is not None:
            return self._computed(seq)[2]
        folder = self._seq_dir(seq)
        names = self.frame_names(seq)
        paths = [folder / f"{name}{OCCLUSION_SUFFIX}" for name in names]
        present = [p.is_file() for p in paths]
        if not any(present):
            return None
        if not all(present):
            missing = paths[present.index(False)]
            raise FormatError(
                "occlusion mask missing (other frames of the sequence have one)",
                source=missing,
                record=f"sequence {seq}",
            )
        return np.stack([read_mask_png(p) > 0 for p in paths])

    def load(self, seq: str) -> np.ndarray:
        """All flows of a sequence, float32 ``[N, H, W, 2]`` in ``frame_names`` order."""
        if self._flows is not None:
            return self._computed(seq)[1]
        folder = self._seq_dir(seq)
        names = self.frame_names(seq)
        if not names:
            raise FormatError("no .flo files", source=folder, record=f"sequence {seq}")
        first = read_flo(folder / f"{names[0]}.flo")
        out = np.empty((len(names), *first.shape), dtype=np.float32)
        out[0] = first
        for k, name in enumerate(names[1:], start=1):
            path = folder / f"{name}.flo"
            flow = read_flo(path)
            if flow.shape != first.shape:
                raise FormatError(
                    f"flow is {flow.shape[0]}x{flow.shape[1]}, expected "
                    f"{first.shape[0]}x{first.shape[1]} like {names[0]}.flo",
                    source=path,
                    record=f"sequence {seq}",
                )
            out[k] = flow
        return out


class FlowDirDataset(AbstractDataset[FlowSequences, FlowSequences]):
    """A ``<method>_gap<g>`` folder of ``.flo`` files as lazy ``FlowSequences``.

    Save writes every ``.flo`` atomically, sequence by sequence (frame by frame from a folder).
    """

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}

    def _exists(self) -> bool:
        return self._path.is_dir()

    def _load(self) -> FlowSequences:
        with kedro_passthrough():
            if not self._path.is_dir():
                raise FormatError("flow folder not found", source=self._path)
            return FlowSequences(root=self._path)

    def _save(self, data: FlowSequences) -> None:
        with kedro_passthrough():
            if not isinstance(data, FlowSequences):
                raise ValueError(f"FlowDirDataset saves FlowSequences, got {type(data).__name__}")
            if data.root is not None and data.root.resolve() == self._path.resolve():
                return
            self._path.mkdir(parents=True, exist_ok=True)
            count = 0
            for seq in tqdm(data.names(), desc=f"flow -> {self._path}", unit="seq"):
                names = data.frame_names(seq)
                if data.root is not None:
                    # Frame by frame: a long high-resolution sequence never sits in memory whole.
                    for name in names:
                        write_flo(self._path / seq / f"{name}.flo", data.read(seq, name))
                        occ_path = data.root / seq / f"{name}{OCCLUSION_SUFFIX}"
                        if occ_path.is_file():
                            write_mask_png(
                                self._path / seq / occ_path.name, read_mask_png(occ_path)
                            )
                else:
                    occluded = data.load_occlusion(seq)
                    for k, (name, flow) in enumerate(zip(names, data.load(seq), strict=True)):
                        write_flo(self._path / seq / f"{name}.flo", flow)
                        if occluded is not None:
                            write_mask_png(
                                self._path / seq / f"{name}{OCCLUSION_SUFFIX}",
                                occluded[k].astype(np.uint8),
                            )
                count += len(names)
            logger.info("Saved %d flow fields to %s", count, self._path)
