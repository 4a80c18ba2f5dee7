"""Import official Mask2Former / Mask2Former-VIS (detectron2) checkpoints by a key mapping.

Cheng et al., "Masked-attention Mask Transformer for Universal Image Segmentation" (CVPR 2022) and
"Mask2Former for Video Instance Segmentation" (arXiv 2112.10764) publish detectron2 checkpoints:
a pickle (``.pkl``, ``{"model": {name: ndarray}, "__author__": ..., "matching_heuristics": True}``)
or a torch file (``.pth``, ``{"model": {name: Tensor}, ...}``). Their parameter names are the format
spec here; our modules were named after them, so the mapping is a short table of renames:

==================================================  ===============================================
official                                            ours
==================================================  ===============================================
``backbone.stem.conv1.weight``                      ``backbone.conv1.weight``
``backbone.stem.conv1.norm.<bn>``                   ``backbone.bn1.<bn>``
``backbone.res<k>.<i>.conv<j>.weight``              ``backbone.layer<k-1>.<i>.conv<j>.weight``
``backbone.res<k>.<i>.conv<j>.norm.<bn>``           ``backbone.layer<k-1>.<i>.bn<j>.<bn>``
``backbone.res<k>.<i>.shortcut.weight``             ``backbone.layer<k-1>.<i>.downsample.0.weight``
``backbone.res<k>.<i>.shortcut.norm.<bn>``          ``backbone.layer<k-1>.<i>.downsample.1.<bn>``
``sem_seg_head.pixel_decoder.<rest>``               ``pixel_decoder.<rest>``
``sem_seg_head.predictor.<rest>``                   ``decoder.<rest>``
``criterion.empty_weight``                          ``criterion.empty_weight``
==================================================  ===============================================

``<bn>`` is one of ``weight, bias, running_mean, running_var`` (frozen batch norm in both). The
official R50 (``STRIDE_IN_1X1: False``, RGB input, ImageNet mean/std in 0-255) is torchvision's
ResNet-50 v1.5 layout, so the backbone tensors carry over unchanged. Nothing is dropped silently:
official names without a counterpart, our names the checkpoint lacks and shape mismatches are all
listed in the :class:`ImportReport`.
"""

from __future__ import annotations

import importlib
import logging
import pickle
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from vis_pipelines.formats.errors import FormatError

__all__ = [
    "CLASS_KEYS",
    "ImportReport",
    "import_official_weights",
    "load_official_checkpoint",
    "map_official_state_dict",
    "official_to_ours",
]

log = logging.getLogger(__name__)

# Rows of these tensors are classes (K + 1, the last one = "no object"); class_map selects them.
CLASS_KEYS = ("decoder.class_embed.weight", "decoder.class_embed.bias", "criterion.empty_weight")

_BN = r"(weight|bias|running_mean|running_var)"
_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern), target)
    for pattern, target in (
        (r"backbone\.stem\.conv1\.weight", lambda m: "backbone.conv1.weight"),
        (rf"backbone\.stem\.conv1\.norm\.{_BN}", lambda m: f"backbone.bn1.{m[1]}"),
        (
            r"backbone\.res([2-5])\.(\d+)\.conv([1-3])\.weight",
            lambda m: f"backbone.layer{int(m[1]) - 1}.{m[2]}.conv{m[3]}.weight",
        ),
        (
            rf"backbone\.res([2-5])\.(\d+)\.conv([1-3])\.norm\.{_BN}",
            lambda m: f"backbone.layer{int(m[1]) - 1}.{m[2]}.bn{m[3]}.{m[4]}",
        ),
        (
            r"backbone\.res([2-5])\.(\d+)\.shortcut\.weight",
            lambda m: f"backbone.layer{int(m[1]) - 1}.{m[2]}.downsample.0.weight",
        ),
        (
            rf"backbone\.res([2-5])\.(\d+)\.shortcut\.norm\.{_BN}",
            lambda m: f"backbone.layer{int(m[1]) - 1}.{m[2]}.downsample.1.{m[3]}",
        ),
        (r"sem_seg_head\.pixel_decoder\.(.+)", lambda m: f"pixel_decoder.{m[1]}"),
        (r"sem_seg_head\.predictor\.(.+)", lambda m: f"decoder.{m[1]}"),
        (r"criterion\.empty_weight", lambda m: "criterion.empty_weight"),
    )
)


def official_to_ours(name: str) -> str | None:
    """Our state-dict name for an official parameter name (``None``: no rule covers it)."""
    for pattern, target in _RULES:
        match = pattern.fullmatch(name)
        if match is not None:
            return target(match)
    return None


@dataclass
class ImportReport:
    """Outcome of mapping an official state dict onto ours.

    ``state_dict`` holds only tensors that fit (our names); every other tensor is accounted for:
    ``unmatched_official`` (official names with no counterpart in our model),
    ``missing_in_official`` (our names the checkpoint does not provide; they keep their init) and
    ``shape_mismatch`` (``(our_key, official_shape, our_shape)``; skipped, ours keeps its init).
    """

    state_dict: dict[str, Tensor] = field(default_factory=dict)
    unmatched_official: list[str] = field(default_factory=list)
    missing_in_official: list[str] = field(default_factory=list)
    shape_mismatch: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(
        default_factory=list
    )

    @property
    def loaded(self) -> int:
        """Number of tensors that will be loaded."""
        return len(self.state_dict)

    def summary(self) -> str:
        """One line of counts (loaded / unmatched / missing / shape mismatches)."""
        return (
            f"{self.loaded} loaded, {len(self.unmatched_official)} official unmatched, "
            f"{len(self.missing_in_official)} of ours missing, "
            f"{len(self.shape_mismatch)} shape mismatches"
        )


def _shape_of(value: Any) -> tuple[int, ...]:
    """Shape of a tensor/array, or the value itself when it already is a shape."""
    if hasattr(value, "shape"):
        return tuple(int(s) for s in value.shape)
    return tuple(int(s) for s in value)


def _to_tensor(value: Any, key: str, source: str | Path | None = None) -> Tensor:
    """A CPU tensor from a tensor, numpy array or number (FormatError for anything else)."""
    if isinstance(value, Tensor):
        return value.detach().cpu()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise FormatError(
            f"expected a numeric array, got dtype {array.dtype}", source=source, record=key
        )
    # arrays unpickled from a read-only buffer (protocol 5) would share that buffer
    if not array.flags.writeable or not array.flags.c_contiguous:
        array = np.array(array, copy=True, order="C")
    return torch.from_numpy(array)


def _class_rows(
    class_map: Sequence[int], num_classes: int, official_rows: int, key: str
) -> Tensor:
    """Official row indices for our K classes plus the no-object row (validated)."""
    official_classes = official_rows - 1
    indices = [int(c) for c in class_map]
    if len(indices) != num_classes:
        raise ValueError(
            f"class_map needs one official class per class of ours ({num_classes}), "
            f"got {len(indices)}"
        )
    bad = [c for c in indices if not 0 <= c < official_classes]
    if bad:
        raise ValueError(
            f"class_map entries must lie in [0, {official_classes}) (the classes of the "
            f"checkpoint's {key}), got {bad[:5]}"
        )
    return torch.tensor([*indices, official_classes], dtype=torch.long)


def map_official_state_dict(
    official: Mapping[str, Any],
    model_state: Mapping[str, Any],
    *,
    num_classes: int | None = None,
    class_map: Sequence[int] | None = None,
) -> ImportReport:
    """Rename an official Mask2Former state dict to ours and check it against our shapes.

    Args:
        official: official name → ``Tensor`` or ``ndarray``.
        model_state: our ``model.state_dict()`` (tensors) or our name → shape.
        num_classes: our K (default: read from ``decoder.class_embed.weight``, K + 1 rows).
        class_map: official class index for each of our K classes. When given, the class head
            (and ``criterion.empty_weight``) takes those rows plus the no-object row; when
            ``None`` a different class count is a reported shape mismatch and our head keeps
            its initialisation.

    Returns:
        The :class:`ImportReport`; floating tensors are cast to our dtype where ``model_state``
        holds tensors.

    Raises:
        ValueError: ``num_classes`` disagrees with our head, or a bad ``class_map`` (length other
            than K, index outside the checkpoint's classes, no class head to map).
    """
    our_shapes = {key: _shape_of(value) for key, value in model_state.items()}
    head = our_shapes.get(CLASS_KEYS[0])
    if num_classes is None and head is not None:
        num_classes = head[0] - 1
    if num_classes is not None and head is not None and head[0] != num_classes + 1:
        raise ValueError(
            f"num_classes={num_classes} but our class head has {head[0]} rows (K + 1 expected)"
        )
    if class_map is not None and num_classes is None:
        raise ValueError("class_map needs num_classes (our model has no decoder.class_embed)")

    report = ImportReport()
    for name in sorted(official):
        ours = official_to_ours(name)
        if ours is None or ours not in our_shapes:
            report.unmatched_official.append(name)
            continue
        tensor = _to_tensor(official[name], name)
        if class_map is not None and ours in CLASS_KEYS and tensor.dim() >= 1:
            rows = _class_rows(class_map, int(num_classes), tensor.shape[0], name)
            tensor = tensor.index_select(0, rows)
        if tuple(tensor.shape) != our_shapes[ours]:
            report.shape_mismatch.append((ours, tuple(tensor.shape), our_shapes[ours]))
            continue
        target = model_state[ours]
        if isinstance(target, Tensor) and tensor.is_floating_point() and target.is_floating_point():
            tensor = tensor.to(target.dtype)
        report.state_dict[ours] = tensor
    if class_map is not None and not any(k in report.state_dict for k in CLASS_KEYS[:2]):
        raise ValueError("class_map given but the checkpoint has no usable class head")
    mismatched = {key for key, _, _ in report.shape_mismatch}
    report.missing_in_official = sorted(
        key for key in our_shapes if key not in report.state_dict and key not in mismatched
    )
    _note_empty_weight(report, model_state)
    return report


def _note_empty_weight(report: ImportReport, model_state: Mapping[str, Any]) -> None:
    """Say so when the checkpoint's no-object loss weight replaces a different one of ours."""
    key = CLASS_KEYS[2]
    new, old = report.state_dict.get(key), model_state.get(key)
    if new is None or not isinstance(old, Tensor) or old.numel() == 0:
        return
    if not torch.equal(new, old.detach().cpu().to(new.dtype)):
        log.info(
            "criterion.empty_weight taken from the checkpoint (no-object weight %.4g, ours %.4g)",
            float(new[-1]),
            float(old[-1]),
        )


# Globals a detectron2 pickle of numpy arrays needs; anything else is refused (no code runs).
_PICKLE_GLOBALS = {
    ("collections", "OrderedDict"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),  # bytes written by protocol 2
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that only rebuilds dicts and numpy arrays (refuses every other global)."""

    def find_class(self, module: str, name: str) -> Any:
        # numpy < 2 and Python 2 pickles say numpy.core, numpy >= 2 numpy._core (same objects)
        if module.startswith("numpy.core."):
            module = "numpy._core." + module[len("numpy.core.") :]
        if (module, name) not in _PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError:  # numpy < 2 has no numpy._core
            legacy = module.replace("numpy._core.", "numpy.core.")
            return getattr(importlib.import_module(legacy), name)


PICKLE_SUFFIXES = (".pkl", ".pickle")
TORCH_SUFFIXES = (".pth", ".pt")


def load_official_checkpoint(path: str | Path) -> dict[str, Tensor]:
    """Read an official detectron2 checkpoint (``.pkl`` or ``.pth``/``.pt``) as name → tensor.

    ``.pkl`` files are pickles (``encoding="latin1"`` for files written by Python 2). Pickle can
    run arbitrary code, so only load files from a source you trust; as a safeguard this reader
    refuses every pickled object except dicts and numpy arrays. ``.pth``/``.pt`` files go through
    ``torch.load(weights_only=True)``. A ``{"model": state_dict}`` wrapper is unwrapped.

    Raises:
        FormatError: missing, unreadable or corrupt file, or no state dict inside (names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError("checkpoint file not found", source=path)
    suffix = path.suffix.lower()
    try:
        if suffix in PICKLE_SUFFIXES:
            with path.open("rb") as f:
                obj = _ArrayUnpickler(f, encoding="latin1").load()
        elif suffix in TORCH_SUFFIXES:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        else:
            raise FormatError(
                f"unknown checkpoint suffix {path.suffix!r}; expected one of "
                f"{PICKLE_SUFFIXES + TORCH_SUFFIXES}",
                source=path,
            )
    except FormatError:
        raise
    except Exception as exc:  # any failure to decode the bytes means a corrupt/foreign file
        raise FormatError(
            f"cannot read checkpoint ({type(exc).__name__}: {exc})", source=path
        ) from exc
    state = obj.get("model") if isinstance(obj, Mapping) else None
    if state is None and isinstance(obj, Mapping) and "model" not in obj:
        state = obj  # a bare state dict
    if not isinstance(state, Mapping) or not state:
        raise FormatError("no state dict found (expected {'model': {name: array}})", source=path)
    tensors = {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise FormatError(f"state dict key {key!r} is not a string", source=path)
        tensors[key] = _to_tensor(value, key, path)
    author = obj.get("__author__") if isinstance(obj, Mapping) else None
    log.info(
        "read %d tensors from %s%s", len(tensors), path, f" (author: {author})" if author else ""
    )
    return tensors


def _examples(keys: Sequence[Any], count: int = 3) -> str:
    return ", ".join(str(k) for k in list(keys)[:count]) + (" ..." if len(keys) > count else "")


def import_official_weights(
    model: nn.Module,
    path: str | Path,
    *,
    strict_backbone: bool = True,
    class_map: Sequence[int] | None = None,
) -> ImportReport:
    """Load an official checkpoint into ``model`` (a :class:`VideoMask2Former`) in place.

    Tensors that fit are loaded with ``load_state_dict(strict=False)``; the report lists the rest
    and a summary is logged. With ``strict_backbone`` every backbone tensor must match both ways
    (a half-initialised backbone would train silently worse); the model is left untouched when
    that check fails.

    Raises:
        FormatError: unreadable file, nothing matching this model, or (``strict_backbone``)
            backbone tensors missing, extra or of another shape.
    """
    official = load_official_checkpoint(path)
    report = map_official_state_dict(official, model.state_dict(), class_map=class_map)
    if not report.state_dict:
        raise FormatError(
            "no tensor of this checkpoint matches the model (is it a Mask2Former checkpoint "
            f"with the same backbone?); e.g. {_examples(report.unmatched_official)}",
            source=path,
        )
    if strict_backbone:
        problems = [
            *(f"missing {k}" for k in report.missing_in_official if k.startswith("backbone.")),
            *(f"unmatched {k}" for k in report.unmatched_official if k.startswith("backbone.")),
            *(
                f"{k} is {tuple(a)} vs ours {tuple(b)}"
                for k, a, b in report.shape_mismatch
                if k.startswith("backbone.")
            ),
        ]
        if problems:
            raise FormatError(
                f"backbone does not match the model ({len(problems)} problems: "
                f"{_examples(problems)}); pass strict_backbone=False to load the rest",
                source=path,
            )
    result = model.load_state_dict(report.state_dict, strict=False)
    if result.unexpected_keys:  # cannot happen: the mapping keeps our keys only
        raise RuntimeError(f"unexpected keys after mapping: {result.unexpected_keys[:3]}")
    log.info("imported official weights from %s: %s", path, report.summary())
    if report.unmatched_official:
        log.warning(
            "%d official tensors have no counterpart: %s",
            len(report.unmatched_official),
            _examples(report.unmatched_official),
        )
    if report.missing_in_official:
        log.warning(
            "%d tensors of ours keep their initialisation (not in the checkpoint): %s",
            len(report.missing_in_official),
            _examples(report.missing_in_official),
        )
    if report.shape_mismatch:
        log.warning(
            "%d tensors skipped for their shape (ours keep their initialisation): %s",
            len(report.shape_mismatch),
            _examples([f"{k} {tuple(a)} vs {tuple(b)}" for k, a, b in report.shape_mismatch]),
        )
    return report
