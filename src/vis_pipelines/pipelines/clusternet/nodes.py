"""Nodes of the ``clusternet`` pipeline: index, per-sequence masks (resumable), PNGs, report."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from vis_pipelines.clusternet.config import ClusterNetParams
from vis_pipelines.clusternet.flow_input import causal_flow_names, causal_motions
from vis_pipelines.clusternet.jobs import lazy_results
from vis_pipelines.clusternet.parts import arrays_hash, make_part, part_is_current, part_masks
from vis_pipelines.clusternet.report import report_tables
from vis_pipelines.clusternet.sequence import segment_sequence
from vis_pipelines.datasets import DAVISSequences, FlowSequences, FlowStore
from vis_pipelines.formats import FormatError, read_image
from vis_pipelines.formats.davis import mask_png_image
from vis_pipelines.parameters import coerce_params
from vis_pipelines.provenance import params_hash

__all__ = [
    "FlowSource",
    "sequence_index",
    "ground_truth",
    "segment_baseline",
    "segment_gt_free",
    "segment_as_released",
    "mask_images",
    "masks_to_predictions",
    "report_clusternet",
]

logger = logging.getLogger(__name__)

# {sequence: {"frames": [names], "size": [h, w]}}
Index = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class FlowSource:
    """A flow source of the pipeline: a FlowStore method, or one ``.flo`` folder with its gap.

    ``method`` set: the input is a ``FlowStore`` (optical_flow pipeline) and the folder is
    ``<method>_gap-1`` (preferred, see ``ClusterNetParams.prefer_backward``) or ``<method>_gap1``.
    ``method`` None: the input is a ``FlowSequences`` folder (e.g. SynthVIS GT flow) of ``gap``.
    """

    name: str
    method: str | None = None
    gap: int = 1


def sequence_index(frames: DAVISSequences, params: ClusterNetParams) -> Index:
    """Frame names and size of every evaluated sequence (frames only: no annotation is read)."""
    p = coerce_params(params, ClusterNetParams)
    names = frames.names(p.split) if p.split else frames.names()
    if not names:
        raise ValueError(f"clusternet: no sequence in split {p.split!r} of {frames!r}")
    index: Index = {}
    for seq in names:
        frame_names = frames.frame_names(seq)
        if frames.root is not None:
            first = read_image(frames.frame_paths(seq)[0])
        else:
            first = frames.load_frames(seq)[0]
        index[seq] = {"frames": frame_names, "size": [int(first.shape[0]), int(first.shape[1])]}
    logger.info("clusternet: %d sequences (split %s)", len(index), p.split or "all")
    return index


def ground_truth(frames: DAVISSequences, index: Index) -> dict[str, list[np.ndarray | None]]:
    """Ground-truth id maps per indexed sequence (None for frames without annotation)."""
    out: dict[str, list[np.ndarray | None]] = {}
    for seq in index:
        masks, annotated = frames.load_masks(seq)
        out[seq] = [m if a else None for m, a in zip(masks, annotated, strict=True)]
    return out


def _folder(
    flows: FlowStore | FlowSequences, source: FlowSource, params: ClusterNetParams
) -> tuple[FlowSequences, int, dict[str, Any]]:
    """The flow folder of a source, its gap, and how it was chosen (for the fingerprint)."""
    if source.method is None:
        if not isinstance(flows, FlowSequences):
            raise ValueError(f"flow source {source.name}: expected a FlowSequences folder")
        return flows, source.gap, {"source": source.name, "gap": source.gap}
    if not isinstance(flows, FlowStore):
        raise ValueError(f"flow source {source.name}: expected the optical_flow FlowStore")
    available = flows.folders()
    for gap in (-1, 1) if params.prefer_backward else (1, -1):
        folder = f"{source.method}_gap{gap}"
        if folder in available:
            return flows.flows(folder), gap, {"source": source.name, "folder": folder, "gap": gap}
    raise FormatError(
        f"no {source.method}_gap-1 or {source.method}_gap1 folder: run the optical_flow pipeline "
        "with this method and gap 1 or -1",
        source=flows.root,
        field=source.name,
    )


def _check_flows(folder: FlowSequences, seq: str, needed: Sequence[str]) -> None:
    have = set(folder.frame_names(seq))
    missing = [n for n in needed if n not in have]
    if missing:
        raise FormatError(
            f"no flow for frame(s) {missing[:3]} (of {len(needed)} needed)",
            source=folder.root or "<memory>",
            record=f"sequence {seq}",
        )


def _job(
    mode: str,
    folder: FlowSequences,
    gap: int,
    seq: str,
    entry: dict[str, Any],
    params: ClusterNetParams,
    gt: list[np.ndarray | None] | None,
    fingerprints: tuple[str, str],
    info: dict[str, Any],
) -> dict[str, Any]:
    """Compute one sequence's part (module level: worker processes unpickle it)."""
    size = tuple(params.flow_size or entry["size"])
    motions = causal_motions(lambda name: folder.read(seq, name), entry["frames"], gap, size)
    resized = tuple(entry["size"]) != size  # flows processed at another size than the frames
    if resized and gt is not None:  # the oracle compares clusters and ground truth at flow size
        gt = [None if g is None else _resize_ids(g, size) for g in gt]
    result = segment_sequence(mode, motions, params, name=seq, gt=gt)
    if resized:
        result.masks = np.stack([_resize_ids(m, tuple(entry["size"])) > 0 for m in result.masks])
    logger.info("clusternet %s %s: %s done in %.1f s", info["flow"], mode, seq, result.seconds)
    return make_part(
        result,
        key=seq,
        frames=entry["frames"],
        params=fingerprints[0],
        source=fingerprints[1],
        info=info,
    )


def _resize_ids(ids: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an id map to ``size = (h, w)``."""
    img = Image.fromarray(np.asarray(ids).astype(np.uint8))
    return np.asarray(img.resize((int(size[1]), int(size[0])), Image.NEAREST))


def _current(loader: Callable[[], Any] | None, **check: Any) -> bool:
    if loader is None:
        return False
    try:
        return part_is_current(loader(), **check)
    except FormatError as err:
        logger.warning("unreadable clusternet part, recomputed: %s", err)
        return False


def _segment(
    mode: str,
    flows: FlowStore | FlowSequences,
    index: Index,
    params: ClusterNetParams,
    done: Mapping[str, Callable[[], Any]],
    gt: Mapping[str, list[np.ndarray | None]] | None,
    source: FlowSource,
) -> dict[str, Callable[[], dict[str, Any]]]:
    p = coerce_params(params, ClusterNetParams)
    folder, gap, flow_info = _folder(flows, source, p)
    phash = params_hash(p.hashed(mode, flow_info))
    jobs: dict[str, tuple] = {}
    for seq, entry in index.items():
        needed = causal_flow_names(entry["frames"], gap)
        _check_flows(folder, seq, needed)
        seq_gt = None if gt is None else gt[seq]
        raw = [folder.read(seq, name) for name in needed]
        ihash = arrays_hash([*raw, *(seq_gt or [])])
        if _current(done.get(seq), params=phash, source=ihash, frames=entry["frames"]):
            continue
        info = {"mode": mode, "flow": source.name, "flow_folder": flow_info}
        jobs[seq] = (mode, folder, gap, seq, entry, p, seq_gt, (phash, ihash), info)
    logger.info(
        "clusternet %s / %s: %d sequences to do, %d already done (params %s)",
        source.name,
        mode,
        len(jobs),
        len(index) - len(jobs),
        phash,
    )
    return lazy_results(_job, jobs, workers=p.workers)


def segment_baseline(
    flows: FlowStore | FlowSequences,
    index: Index,
    params: ClusterNetParams,
    done: dict[str, Callable[[], Any]],
    *,
    source: FlowSource,
) -> dict[str, Callable[[], dict[str, Any]]]:
    """Motion-threshold baseline masks, as lazy per-sequence parts (finished ones skipped)."""
    return _segment("baseline", flows, index, params, done, None, source)


def segment_gt_free(
    flows: FlowStore | FlowSequences,
    index: Index,
    params: ClusterNetParams,
    done: dict[str, Callable[[], Any]],
    *,
    source: FlowSource,
) -> dict[str, Callable[[], dict[str, Any]]]:
    """ClusterNet with label-free foreground selection (no ground truth is an input)."""
    return _segment("gt_free", flows, index, params, done, None, source)


def segment_as_released(
    flows: FlowStore | FlowSequences,
    index: Index,
    gt: dict[str, list[np.ndarray | None]],
    params: ClusterNetParams,
    done: dict[str, Callable[[], Any]],
    *,
    source: FlowSource,
) -> dict[str, Callable[[], dict[str, Any]]]:
    """ClusterNet as released: clusters and best step picked with the ground truth (an oracle)."""
    return _segment("as_released", flows, index, params, done, gt, source)


class _SequencePNGs:
    """Decodes one part's masks on first use and frees them after the last frame's PNG."""

    def __init__(self, loader: Callable[[], Any], seq: str, n: int) -> None:
        self._loader, self._seq, self._n = loader, seq, n
        self._masks: np.ndarray | None = None

    def png(self, t: int) -> Image.Image:
        if self._masks is None:
            self._masks = part_masks(self._loader(), source=f"clusternet part {self._seq}")
            if len(self._masks) != self._n:
                raise FormatError(
                    f"{len(self._masks)} masks for {self._n} frames", record=f"sequence {self._seq}"
                )
        img = mask_png_image(self._masks[t])
        if t == self._n - 1:
            self._masks = None
        return img


def mask_images(
    index: Index, parts: dict[str, Callable[[], Any]]
) -> dict[str, Callable[[], Image.Image]]:
    """DAVIS-layout PNGs ``<seq>/<frame>`` (ids 0/1) of every indexed sequence, lazily."""
    out: dict[str, Callable[[], Image.Image]] = {}
    for seq, entry in index.items():
        loader = parts.get(seq)
        if loader is None:
            raise FormatError("no clusternet part for this sequence", record=f"sequence {seq}")
        pngs = _SequencePNGs(loader, seq, len(entry["frames"]))
        for t, frame in enumerate(entry["frames"]):
            out[f"{seq}/{frame}"] = functools.partial(pngs.png, t)
    return out


def masks_to_predictions(
    index: Index, masks: dict[str, Callable[[], Image.Image]]
) -> dict[str, np.ndarray]:
    """The written PNGs back as ``{sequence: uint8 [T, H, W]}`` for the DAVIS evaluation."""
    out: dict[str, np.ndarray] = {}
    for seq, entry in index.items():
        frames = []
        for frame in entry["frames"]:
            loader = masks.get(f"{seq}/{frame}")
            if loader is None:
                raise FormatError(
                    f"predicted mask {seq}/{frame}.png not found", record=f"sequence {seq}"
                )
            frames.append(np.asarray(loader(), dtype=np.uint8))
        out[seq] = np.stack(frames)
    return out


def report_clusternet(
    *inputs: Any, rows: Sequence[Mapping[str, str]], dataset: str
) -> tuple[str, pd.DataFrame]:
    """Results table (markdown, CSV): one row per (method, flow source), then the references.

    Args:
        inputs: the metric record of every row, then the parts (``{seq: loader}``) of every row;
            a row's ``params_hash`` is its parts' (what its masks depend on).
        rows: ``{"mode", "flow", "metrics"}`` per row.
        dataset: the evaluated dataset.
    """
    if len(inputs) != 2 * len(rows):
        raise ValueError(f"expected a record and parts per row: {len(inputs)} inputs, {len(rows)}")
    records, parts = inputs[: len(rows)], inputs[len(rows) :]
    hashes = []
    for row, row_parts in zip(rows, parts, strict=True):
        hashes.append({p()["params_hash"] for p in row_parts.values()})
        if len(hashes[-1]) > 1:
            raise ValueError(f"{row['metrics']}: parts made with several parameter sets")
    described = [
        {**row, "params_hash": next(iter(h), None)} for row, h in zip(rows, hashes, strict=True)
    ]
    table, markdown = report_tables(records, described, dataset=dataset)
    logger.info("\n%s", markdown)
    return markdown, table
