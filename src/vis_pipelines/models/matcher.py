"""Hungarian matching of queries to ground-truth instances (Mask2Former, Cheng et al., CVPR 2022).

DETR-style bipartite matching (Carion et al., ECCV 2020) with Mask2Former's costs: class
probability, sigmoid binary cross-entropy and dice, the mask terms computed on K uniformly random
points shared by all predictions and targets of a clip. Mask2Former-VIS (arXiv 2112.10764)
matches a query's whole ``[T, H, W]`` mask volume: the same K points in each of the T frames,
``T * K`` values per mask. The assignment itself is scipy's ``linear_sum_assignment`` on CPU.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor, nn

from .point_sampling import point_sample, random_point_coords

__all__ = ["HungarianMatcher", "batch_dice_cost", "batch_sigmoid_bce_cost"]

logger = logging.getLogger(__name__)

#: Replaces non-finite costs so that scipy can still assign; such pairs are chosen last.
NON_FINITE_COST = 1e8


def batch_sigmoid_bce_cost(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean sigmoid BCE of every pair: ``logits (Tensor[Q, M])`` × ``labels (Tensor[G, M])`` → ``[Q, G]``.

    ``BCE(x, t) = t·softplus(-x) + (1 - t)·softplus(x)``, so the pair sums are two matrix
    products instead of a loop over pairs.
    """
    num_values = max(logits.shape[1], 1)
    pos = F.softplus(-logits)  # loss if the label were 1
    neg = F.softplus(logits)  # loss if the label were 0
    return (pos @ labels.T + neg @ (1.0 - labels).T) / num_values


def batch_dice_cost(logits: Tensor, labels: Tensor) -> Tensor:
    """Dice loss ``1 - (2·Σpt + 1) / (Σp + Σt + 1)`` of every pair (``p = sigmoid``): ``[Q, G]``."""
    probs = logits.sigmoid()
    numerator = 2.0 * (probs @ labels.T)
    denominator = probs.sum(-1)[:, None] + labels.sum(-1)[None, :]
    return 1.0 - (numerator + 1.0) / (denominator + 1.0)


class HungarianMatcher(nn.Module):
    """One-to-one assignment of predicted queries to the targets of each clip.

    Cost of (query q, target g) = ``cost_class · (-p_q(label_g))``
    + ``cost_mask · BCE(mask_q, mask_g)`` + ``cost_dice · dice(mask_q, mask_g)``, the mask terms on
    ``num_points`` uniform points per frame. When a clip has more targets than queries (G > Q),
    the Q lowest-cost targets are assigned and the others stay unmatched (the criterion still
    counts them in its normalisation).
    """

    def __init__(
        self,
        *,
        cost_class: float = 2.0,
        cost_mask: float = 5.0,
        cost_dice: float = 5.0,
        num_points: int = 12544,
    ) -> None:
        super().__init__()
        if min(cost_class, cost_mask, cost_dice) < 0:
            raise ValueError("HungarianMatcher: costs must be >= 0")
        if cost_class == cost_mask == cost_dice == 0:
            raise ValueError("HungarianMatcher: all costs are 0")
        if num_points < 1:
            raise ValueError(f"HungarianMatcher: num_points={num_points} must be >= 1")
        self.cost_class = float(cost_class)
        self.cost_mask = float(cost_mask)
        self.cost_dice = float(cost_dice)
        self.num_points = int(num_points)

    @staticmethod
    def _check(outputs: dict[str, Any], targets: list[dict[str, Tensor]]) -> None:
        logits, masks = outputs["pred_logits"], outputs["pred_masks"]
        if logits.dim() != 3 or masks.dim() != 5 or masks.shape[:2] != logits.shape[:2]:
            raise ValueError(
                "HungarianMatcher: expected pred_logits [B, Q, K+1] and pred_masks [B, Q, T, h, w], "
                f"got {tuple(logits.shape)} and {tuple(masks.shape)}"
            )
        if len(targets) != logits.shape[0]:
            raise ValueError(f"HungarianMatcher: {logits.shape[0]} clips but {len(targets)} targets")
        for b, target in enumerate(targets):
            labels, tgt_masks = target["labels"], target["masks"]
            if tgt_masks.dim() != 4 or tgt_masks.shape[0] != labels.shape[0]:
                raise ValueError(
                    f"HungarianMatcher: targets[{b}] needs labels [G] and masks [G, T, H, W], got "
                    f"{tuple(labels.shape)} and {tuple(tgt_masks.shape)}"
                )
            if tgt_masks.shape[1] != masks.shape[2]:
                raise ValueError(
                    f"HungarianMatcher: targets[{b}] masks have {tgt_masks.shape[1]} frames, "
                    f"predictions {masks.shape[2]}"
                )

    def clip_cost(
        self,
        pred_logits: Tensor,
        pred_masks: Tensor,
        labels: Tensor,
        tgt_masks: Tensor,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Cost matrix ``Tensor[Q, G]`` (fp32) of one clip.

        Args:
            pred_logits: ``Tensor[Q, K+1]`` class logits (last = no-object).
            pred_masks: ``Tensor[Q, T, h, w]`` mask logits.
            labels: ``LongTensor[G]`` target classes in ``[0, K)``.
            tgt_masks: ``Tensor[G, T, H, W]`` target masks in {0, 1} (any resolution).
            generator: source of the random points (one point set per clip).
        """
        device = pred_logits.device
        # Costs in fp32 whatever autocast says: fp16 matrix products of 12544·T-long rows lose
        # the small differences the assignment depends on.
        with torch.autocast(device_type=device.type, enabled=False):
            probs = pred_logits.float().softmax(-1)
            cost = -self.cost_class * probs[:, labels.to(device)]
            if self.cost_mask == 0 and self.cost_dice == 0:
                return cost  # no points drawn: the masks play no part
            coords = random_point_coords(1, self.num_points, device=device, generator=generator)
            q, g = pred_masks.shape[0], tgt_masks.shape[0]
            pred_points = point_sample(pred_masks.float(), coords.expand(q, -1, -1)).flatten(1)
            tgt = tgt_masks.to(device=device, dtype=torch.float32)
            tgt_points = point_sample(tgt, coords.expand(g, -1, -1)).flatten(1)
            if self.cost_mask:
                cost = cost + self.cost_mask * batch_sigmoid_bce_cost(pred_points, tgt_points)
            if self.cost_dice:
                cost = cost + self.cost_dice * batch_dice_cost(pred_points, tgt_points)
        return cost

    @torch.no_grad()
    def cost_matrices(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        generator: torch.Generator | None = None,
    ) -> list[Tensor]:
        """Per clip, the ``Tensor[Q, G]`` cost matrix (before any non-finite replacement)."""
        self._check(outputs, targets)
        costs = []
        for b, target in enumerate(targets):
            costs.append(
                self.clip_cost(
                    outputs["pred_logits"][b],
                    outputs["pred_masks"][b],
                    target["labels"],
                    target["masks"],
                    generator,
                )
            )
        return costs

    @torch.no_grad()
    def forward(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        generator: torch.Generator | None = None,
    ) -> list[tuple[Tensor, Tensor]]:
        """Match each clip's queries to its targets.

        Args:
            outputs: ``{"pred_logits": Tensor[B, Q, K+1], "pred_masks": Tensor[B, Q, T, h, w]}``.
            targets: per clip ``{"labels": LongTensor[G], "masks": Tensor[G, T, H, W]}``.
            generator: source of the random points (reproducible training).

        Returns:
            Per clip ``(pred_idx, tgt_idx)``, two CPU ``LongTensor[min(Q, G)]`` sorted by
            ``pred_idx``; empty when G = 0.
        """
        self._check(outputs, targets)
        num_queries = outputs["pred_logits"].shape[1]
        indices = []
        for b, target in enumerate(targets):
            num_targets = target["labels"].shape[0]
            if num_targets == 0 or num_queries == 0:
                empty = torch.empty(0, dtype=torch.int64)
                indices.append((empty, empty.clone()))
                continue
            cost = self.clip_cost(
                outputs["pred_logits"][b],
                outputs["pred_masks"][b],
                target["labels"],
                target["masks"],
                generator,
            ).cpu()
            finite = torch.isfinite(cost)
            if not bool(finite.all()):
                logger.warning(
                    "HungarianMatcher: clip %d has %d non-finite costs (of %d); replaced by %g",
                    b, int((~finite).sum()), cost.numel(), NON_FINITE_COST,
                )
                cost = torch.where(finite, cost, torch.full_like(cost, NON_FINITE_COST))
            rows, cols = linear_sum_assignment(cost.double().numpy())
            indices.append(
                (torch.as_tensor(rows, dtype=torch.int64), torch.as_tensor(cols, dtype=torch.int64))
            )
        return indices
