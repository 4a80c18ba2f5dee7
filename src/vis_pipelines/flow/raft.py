"""torchvision RAFT (Teed & Deng, "RAFT: Recurrent All-Pairs Field Transforms", ECCV 2020).

Models are built with ``weights=None`` and their state dict is read from a local file: the official
torchvision weight files (e.g. ``raft_small_C_T_V2-01064c6d.pth``) or a checkpoint of this project
(``{"model": state_dict, "step": ...}``). Nothing is ever downloaded; a missing file is refused with
a message that says where to put it, so published flow never comes from random weights.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision.models.optical_flow import (
    RAFT,
    Raft_Large_Weights,
    Raft_Small_Weights,
    raft_large,
    raft_small,
)

from vis_pipelines.devices import resolve_device
from vis_pipelines.formats import FormatError

from .config import RAFT_ARCHS
from .estimator import check_pair_batch
from .padding import InputPadder

__all__ = [
    "MissingWeightsError",
    "build_raft",
    "official_weight_urls",
    "load_raft_weights",
    "load_raft",
    "state_fingerprint",
    "resolve_device",
    "frames_to_raft_input",
    "RaftFlow",
]

logger = logging.getLogger(__name__)

_BUILDERS = {"raft_small": raft_small, "raft_large": raft_large}
_WEIGHT_ENUMS = {"raft_small": Raft_Small_Weights, "raft_large": Raft_Large_Weights}


class MissingWeightsError(ValueError):
    """A RAFT method was asked for but its weight file is not where the parameters say."""


def _check_arch(arch: str) -> None:
    if arch not in RAFT_ARCHS:
        raise ValueError(f"unknown RAFT architecture {arch!r}; expected one of {list(RAFT_ARCHS)}")


def build_raft(arch: str) -> RAFT:
    """A torchvision RAFT model of ``arch`` (``raft_small``/``raft_large``) with random weights."""
    _check_arch(arch)
    return _BUILDERS[arch](weights=None, progress=False)


def official_weight_urls(arch: str) -> dict[str, str]:
    """File name -> download URL of torchvision's published weights for ``arch`` (no download)."""
    _check_arch(arch)
    urls = {w.url.rsplit("/", 1)[-1]: w.url for w in _WEIGHT_ENUMS[arch]}
    return dict(sorted(urls.items()))


def _missing_message(arch: str, path: Path, param: str) -> str:
    urls = official_weight_urls(arch)
    if path.name in urls:
        where = f"download {urls[path.name]} and save it as {path}"
    else:
        listed = "\n  ".join(urls.values())
        where = f"save one of torchvision's official {arch} weight files at {path}:\n  {listed}"
    return (
        f"{arch} weights not found: {path}. RAFT methods never download weights and never run "
        f"with random weights; {where}\n(or point {param} at the file you have)."
    )


def load_raft_weights(
    path: str | Path | None, arch: str, *, param: str | None = None
) -> dict[str, torch.Tensor]:
    """The state dict in ``path`` for a torchvision ``arch`` model.

    Accepts a plain state dict (torchvision's weight files) or a project checkpoint with a
    ``model`` entry. A missing file raises ``MissingWeightsError`` saying where to put it and
    which parameter (``param``) names it; an unreadable one raises ``FormatError`` naming it.
    """
    _check_arch(arch)
    param = param or f"optical_flow.flows.raft.weights.{arch}"
    if path is None:
        raise MissingWeightsError(
            f"{arch} needs a weight file but {param} is null. "
            + _missing_message(arch, Path(f"data/06_models/pretrained/{arch}.pth"), param)
        )
    path = Path(path)
    if not path.is_file():
        raise MissingWeightsError(_missing_message(arch, path, param))
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise FormatError(f"cannot read RAFT weights ({first})", source=path) from None
    if isinstance(obj, Mapping) and "model" in obj and isinstance(obj["model"], Mapping):
        obj = obj["model"]
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise FormatError("expected a state dict of tensors", source=path, field="state_dict")
    return dict(obj)


def load_raft(
    state: Mapping[str, torch.Tensor], arch: str, *, source: str | Path = "<memory>"
) -> RAFT:
    """A ``arch`` model holding ``state``; a state dict of another architecture is refused."""
    model = build_raft(arch)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    resized = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or resized:
        raise FormatError(
            f"weights do not fit torchvision {arch}: {len(missing)} missing keys "
            f"(e.g. {missing[:2]}), {len(unexpected)} unexpected (e.g. {unexpected[:2]}), "
            f"{len(resized)} of another shape (e.g. {resized[:2]}); is it the other RAFT size?",
            source=source,
            field="state_dict",
        )
    model.load_state_dict(dict(state))
    return model.eval()


def state_fingerprint(state: Mapping[str, torch.Tensor]) -> str:
    """A 16-hex digest of a state dict's names and values (identifies the weights in records)."""
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def frames_to_raft_input(frames: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 RGB ``[B, H, W, 3]`` -> float ``[B, 3, H, W]`` in ``[-1, 1]`` (RAFT's input range)."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device)
    return x.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


class RaftFlow:
    """Batched RAFT inference: pads to multiples of 8 (and ``min_size``), returns the last update.

    Args:
        model: a torchvision RAFT (put in eval mode and moved to ``device`` here).
        name: method name (``raft_small``, ``raft_small_finetuned``...).
        iterations: recurrent refinement steps (``num_flow_updates``).
        batch_size: pairs per forward pass.
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        amp: float16 autocast on CUDA (ignored, with a log line, on CPU).
        min_size: frames smaller than this are padded up to it (torchvision RAFT needs 128).
    """

    def __init__(
        self,
        model: RAFT,
        *,
        name: str,
        iterations: int = 12,
        batch_size: int = 8,
        device: str = "auto",
        amp: bool = False,
        min_size: int = 128,
    ) -> None:
        self.name = name
        self.iterations = int(iterations)
        self.batch_size = int(batch_size)
        self.min_size = int(min_size)
        self._device = resolve_device(device)
        self.device = str(self._device)
        self.amp = bool(amp) and self._device.type == "cuda"
        if amp and not self.amp:
            logger.info("%s: amp=true has no effect on CPU; running in float32", name)
        self.model = model.eval().to(self._device)

    @torch.inference_mode()
    def estimate(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Flow ``[B, H, W, 2]`` from each frame of ``first`` to the same index of ``second``."""
        check_pair_batch(first, second)
        h, w = first.shape[1:3]
        padder = InputPadder(h, w, multiple=8, min_size=self.min_size)
        out = np.empty((*first.shape[:3], 2), dtype=np.float32)
        for start in range(0, len(first), self.batch_size):
            stop = start + self.batch_size
            x1, x2 = padder.pad(
                frames_to_raft_input(first[start:stop], self._device),
                frames_to_raft_input(second[start:stop], self._device),
            )
            with torch.autocast(self._device.type, dtype=torch.float16, enabled=self.amp):
                flow = self.model(x1, x2, num_flow_updates=self.iterations)[-1]
            flow = padder.unpad(flow.float()).permute(0, 2, 3, 1)
            out[start:stop] = flow.cpu().numpy()
        return out

    def describe(self) -> dict[str, Any]:
        """Settings that change the output (recorded beside the flow files)."""
        return {"iterations": self.iterations, "min_size": self.min_size, "amp": self.amp}
