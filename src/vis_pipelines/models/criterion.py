"""Set prediction losses of Mask2Former (Cheng et al., CVPR 2022) for video (arXiv 2112.10764).

After Hungarian matching (:mod:`.matcher`), each decoder layer is scored with
- ``loss_ce``: cross-entropy over K+1 classes, unmatched queries targeting the no-object class,
  whose class weight is ``eos_coef``;
- ``loss_mask`` / ``loss_dice``: sigmoid BCE (mean over points) and dice loss of each matched mask,
  on points importance-sampled from the predicted logits (PointRend), the same 2-D points in all
  T frames (the ``[T, H, W]`` volume is one mask), summed over masks and divided by the number
  of target masks in the batch (averaged over processes under ``torch.distributed``).

Families reuse this class: a loss named ``"x"`` in ``losses`` is computed by the method
``loss_x(outputs, targets, indices, num_masks, generator)``, so a subclass adds a term by adding a
method (and its weight), and replaces the matcher by injecting another one or overriding
:meth:`SetCriterion.match`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from .point_sampling import point_sample, uncertain_point_coords

__all__ = ["DEFAULT_WEIGHTS", "SetCriterion", "dice_loss", "sigmoid_bce_loss"]

DEFAULT_WEIGHTS: dict[str, float] = {"loss_ce": 2.0, "loss_mask": 5.0, "loss_dice": 5.0}

Indices = list[tuple[Tensor, Tensor]]
_LAYER_SUFFIX = re.compile(r"^(?P<base>.+)_(?P<layer>\d+)$")


def sigmoid_bce_loss(logits: Tensor, labels: Tensor, num_masks: float) -> Tensor:
    """Sigmoid BCE of ``logits (Tensor[M, P])`` vs soft ``labels``: mean over points, sum / num_masks."""
    loss = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    return loss.mean(1).sum() / num_masks


def dice_loss(logits: Tensor, labels: Tensor, num_masks: float) -> Tensor:
    """Dice ``1 - (2·Σpt + 1) / (Σp + Σt + 1)`` per mask (``p = sigmoid``), summed / num_masks."""
    probs = logits.sigmoid()
    numerator = 2.0 * (probs * labels).sum(-1)
    denominator = probs.sum(-1) + labels.sum(-1)
    return (1.0 - (numerator + 1.0) / (denominator + 1.0)).sum() / num_masks


def _matched_pairs(indices: Indices) -> tuple[Tensor, Tensor, Tensor]:
    """Flatten per-clip matches to (batch index, query index, target index within its clip)."""
    batch = torch.cat([torch.full_like(src, b) for b, (src, _) in enumerate(indices)])
    src = torch.cat([src for src, _ in indices])
    tgt = torch.cat([tgt for _, tgt in indices])
    return batch, src, tgt


class SetCriterion(nn.Module):
    """Mask2Former-VIS losses for the final decoder layer and every auxiliary layer.

    ``forward`` returns UNWEIGHTED terms (``loss_ce``, ``loss_mask``, ``loss_dice`` and
    ``loss_ce_<i>``, ... for ``aux_outputs[i]``); :meth:`weighted_total` applies ``weight_dict``.
    ``weight_dict`` is expanded for ``num_aux_layers`` auxiliary layers (for logging); keys
    with a ``_<i>`` suffix that it lacks use their base key's weight.
    """

    def __init__(
        self,
        *,
        num_classes: int,
        matcher: Callable[..., Indices],
        weight_dict: Mapping[str, float] | None = None,
        eos_coef: float = 0.1,
        losses: Iterable[str] = ("labels", "masks"),
        num_points: int = 12544,
        oversample_ratio: float = 3.0,
        importance_sample_ratio: float = 0.75,
        num_aux_layers: int = 0,
    ) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"SetCriterion: num_classes={num_classes} must be >= 1")
        if not 0.0 <= eos_coef:
            raise ValueError(f"SetCriterion: eos_coef={eos_coef} must be >= 0")
        if num_points < 1:
            raise ValueError(f"SetCriterion: num_points={num_points} must be >= 1")
        if num_aux_layers < 0:
            raise ValueError(f"SetCriterion: num_aux_layers={num_aux_layers} must be >= 0")
        self.num_classes = int(num_classes)
        self.matcher = matcher
        self.eos_coef = float(eos_coef)
        self.losses = tuple(losses)
        missing = [name for name in self.losses if not callable(getattr(self, f"loss_{name}", None))]
        if missing:
            raise ValueError(
                f"SetCriterion: no method loss_<name> for losses {missing}; "
                f"known: {sorted(self.available_losses())}"
            )
        self.num_points = int(num_points)
        self.oversample_ratio = float(oversample_ratio)
        self.importance_sample_ratio = float(importance_sample_ratio)
        self.base_weight_dict = dict(DEFAULT_WEIGHTS if weight_dict is None else weight_dict)
        self.weight_dict = dict(self.base_weight_dict)
        for i in range(num_aux_layers):
            self.weight_dict.update({f"{k}_{i}": w for k, w in self.base_weight_dict.items()})
        # Official name, so that imported Mask2Former checkpoints map onto it.
        empty_weight = torch.ones(self.num_classes + 1)
        empty_weight[-1] = self.eos_coef
        self.register_buffer("empty_weight", empty_weight)

    # ----------------------------------------------------------------------------- dispatch
    def available_losses(self) -> dict[str, Callable[..., dict[str, Tensor]]]:
        """All ``loss_<name>`` methods of this class, by name (what ``losses`` may list)."""
        names = [a[len("loss_") :] for a in dir(type(self)) if a.startswith("loss_")]
        return {name: getattr(self, f"loss_{name}") for name in names}

    def match(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        generator: torch.Generator | None = None,
    ) -> Indices:
        """Matches of one layer's outputs (called once per layer; override to change matching)."""
        return self.matcher(outputs, targets, generator=generator)

    def count_masks(self, targets: list[dict[str, Tensor]], device: torch.device) -> float:
        """Target masks in the batch, averaged over processes when distributed, at least 1."""
        count = torch.tensor(
            [float(sum(int(t["labels"].shape[0]) for t in targets))], device=device
        )
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(count)
            count = count / dist.get_world_size()
        return max(float(count.item()), 1.0)

    def layer_losses(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        num_masks: float,
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """Match one layer's outputs and compute every term in ``losses`` for it."""
        indices = self.match(outputs, targets, generator)
        terms: dict[str, Tensor] = {}
        for name in self.losses:
            method = getattr(self, f"loss_{name}")
            terms.update(method(outputs, targets, indices, num_masks, generator))
        return terms

    def forward(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """Unweighted losses of the final layer and of each ``outputs["aux_outputs"][i]`` (``_<i>``).

        Args:
            outputs: ``{"pred_logits": Tensor[B, Q, K+1], "pred_masks": Tensor[B, Q, T, h, w],
                "aux_outputs": [same dict per intermediate layer]}``.
            targets: per clip ``{"labels": LongTensor[G], "masks": Tensor[G, T, H, W]}``.
            generator: source of all random points (matching and loss sampling).
        """
        final = {k: v for k, v in outputs.items() if k != "aux_outputs"}
        num_masks = self.count_masks(targets, outputs["pred_logits"].device)
        losses = self.layer_losses(final, targets, num_masks, generator)
        for i, aux in enumerate(outputs.get("aux_outputs") or []):
            terms = self.layer_losses(aux, targets, num_masks, generator)
            losses.update({f"{k}_{i}": v for k, v in terms.items()})
        return losses

    def weight_of(self, key: str) -> float:
        """Weight of a loss term; ``<base>_<i>`` falls back to ``<base>``'s weight."""
        if key in self.weight_dict:
            return self.weight_dict[key]
        match = _LAYER_SUFFIX.match(key)
        if match and match["base"] in self.base_weight_dict:
            return self.base_weight_dict[match["base"]]
        raise ValueError(f"SetCriterion: no weight for loss term {key!r}; add it to weight_dict")

    def weighted_total(self, losses: Mapping[str, Tensor]) -> Tensor:
        """Sum of ``weight · term`` over all terms (a term without a weight is an error)."""
        if not losses:
            raise ValueError("SetCriterion.weighted_total: no loss terms")
        return sum(self.weight_of(k) * v for k, v in losses.items())  # type: ignore[return-value]

    # ---------------------------------------------------------------------------- the terms
    def loss_labels(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        indices: Indices,
        num_masks: float,
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """``loss_ce``: class-weighted cross-entropy, no-object (weight eos_coef) for the unmatched."""
        logits = outputs["pred_logits"].float()  # [B, Q, K+1]
        target_classes = torch.full(
            logits.shape[:2], self.num_classes, dtype=torch.int64, device=logits.device
        )
        batch, src, tgt = _matched_pairs(indices)
        if src.numel():
            labels = torch.cat(
                [t["labels"].to(logits.device)[j] for t, (_, j) in zip(targets, indices, strict=True)]
            )
            target_classes[batch.to(logits.device), src.to(logits.device)] = labels
        loss = F.cross_entropy(
            logits.transpose(1, 2), target_classes, weight=self.empty_weight.to(logits.dtype)
        )
        return {"loss_ce": loss}

    def loss_masks(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        indices: Indices,
        num_masks: float,
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """``loss_mask`` (BCE) and ``loss_dice`` of matched masks on importance-sampled points."""
        pred_masks = outputs["pred_masks"]  # [B, Q, T, h, w]
        batch, src, tgt = _matched_pairs(indices)
        if src.numel() == 0:
            # Keep the graph connected (DDP expects every parameter to receive a gradient).
            zero = pred_masks.sum() * 0.0
            return {"loss_mask": zero, "loss_dice": zero.clone()}
        device = pred_masks.device
        src_masks = pred_masks[batch.to(device), src.to(device)].float()  # [M, T, h, w]
        tgt_masks = torch.cat(
            [t["masks"][j.to(t["masks"].device)] for t, (_, j) in zip(targets, indices, strict=True)]
        ).to(device=device, dtype=torch.float32)  # [M, T, H, W]
        if tgt_masks.shape[1] != src_masks.shape[1]:
            raise ValueError(
                f"SetCriterion: target masks have {tgt_masks.shape[1]} frames, "
                f"predictions {src_masks.shape[1]}"
            )
        with torch.no_grad():
            coords = uncertain_point_coords(
                src_masks,
                num_points=self.num_points,
                oversample_ratio=self.oversample_ratio,
                importance_sample_ratio=self.importance_sample_ratio,
                generator=generator,
            )
            point_labels = point_sample(tgt_masks, coords).flatten(1)  # [M, T*K]
        point_logits = point_sample(src_masks, coords).flatten(1)  # [M, T*K]
        return {
            "loss_mask": sigmoid_bce_loss(point_logits, point_labels, num_masks),
            "loss_dice": dice_loss(point_logits, point_labels, num_masks),
        }
