"""Cluster2Former: scribble-supervised VIS with a similarity-based constraint loss.

Fóthi, Szlatincsán and Somfai, "Cluster2Former: Semisupervised Clustering Transformers for Video
Instance Segmentation" (Sensors 24(3):997, 2024). The architecture is Mask2Former-VIS unchanged;
only the supervision differs:

- each pixel's assignment ``p_i = softmax over queries`` of the mask logits at that pixel (queries
  compete for pixels instead of independent sigmoids);
- points are sampled from the labelled pixels of each instance (scribbles, or full masks for
  MaskCluster2Former) and from the labelled background, over all T frames of a clip;
- for every pair of points (within a frame and across frames, background–background pairs
  excluded) ``D_ij = (1 - cos(p_i, p_j) + eps) / 2``; same-instance pairs (``R = 1``) are pulled
  together and the others pushed apart:
  ``loss = mean_ij w_ij · [-R log(1 - D_ij) - (1 - R) log D_ij]``. Since softmax outputs are
  non-negative, ``cos >= 0`` and the ``R = 0`` term is at least ``log 2``;
- no mask BCE / dice: ``10 · cluster + 2 · class cross-entropy``, the class loss on queries matched
  to instances by majority vote of the arg-max query over each instance's labelled pixels;
- inference: top-k (query, class) pairs, masks = softmax over queries > 0.1.

The pair weights: the paper weights pairs within [0.9, 1] but the material available here does not
give its rule, so pairs within one frame weigh ``same_frame_pair_weight`` (1) and pairs across
frames ``cross_frame_pair_weight`` (0.9) — a cross-frame constraint rests on identity over time,
weaker evidence than two strokes of one frame. Both are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from .config import Mask2FormerConfig
from .criterion import SetCriterion
from .point_sampling import point_sample
from .vis_model import VideoMask2Former, build_mask2former, layer_weight_dict

__all__ = [
    "BACKGROUND",
    "Cluster2FormerConfig",
    "ClusterCriterion",
    "build_cluster2former",
    "build_cluster_criterion",
    "constraint_pair_losses",
    "majority_vote_assignment",
    "match_by_majority_vote",
    "pair_distances",
    "query_logits_at",
    "sample_labelled_points",
    "sample_pixels",
    "vote_counts",
]

BACKGROUND = -1  # point id of background points

Indices = list[tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class Cluster2FormerConfig(Mask2FormerConfig):
    """Mask2Former-VIS settings plus the similarity-constraint loss (``class_weight`` is reused)."""

    cluster_weight: float = 10.0  # weight of the constraint loss (the class loss has class_weight)
    points_per_instance: int = 40  # sampled labelled pixels per instance and clip (paper: 40)
    background_points: int = 40  # sampled labelled background pixels per clip
    vote_points: int = 1024  # at most this many labelled pixels per instance vote in matching
    same_frame_pair_weight: float = 1.0
    cross_frame_pair_weight: float = 0.9
    distance_eps: float = 1e-6  # D = (1 - cos + eps) / 2 keeps log(D) finite for R = 0 pairs

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.points_per_instance < 1 or self.vote_points < 1:
            raise ValueError("model.points_per_instance and model.vote_points must be >= 1")
        if self.background_points < 0:
            raise ValueError(f"model.background_points must be >= 0, got {self.background_points}")
        for name in ("same_frame_pair_weight", "cross_frame_pair_weight", "distance_eps"):
            if not getattr(self, name) > 0:
                raise ValueError(f"model.{name} must be > 0, got {getattr(self, name)}")
        if self.cluster_weight < 0:
            raise ValueError(f"model.cluster_weight must be >= 0, got {self.cluster_weight}")


# --------------------------------------------------------------------------------- the loss
def pair_distances(probs: Tensor, eps: float = 1e-6) -> Tensor:
    """``D (Tensor[P, P])``: ``(1 - cos(p_i, p_j) + eps) / 2`` of assignments ``probs [P, Q]``."""
    unit = torch.nn.functional.normalize(probs.float(), dim=1, eps=1e-12)
    cos = (unit @ unit.T).clamp(-1.0, 1.0)
    return (1.0 - cos + eps) / 2.0


def constraint_pair_losses(
    probs: Tensor,
    ids: Tensor,
    frames: Tensor,
    *,
    same_frame_weight: float = 1.0,
    cross_frame_weight: float = 0.9,
    eps: float = 1e-6,
) -> Tensor:
    """Weighted loss of every usable pair ``i < j`` of points: ``Tensor[n_pairs]``.

    Args:
        probs: ``Tensor[P, Q]`` per-point assignments (softmax over queries).
        ids: ``LongTensor[P]`` instance index of each point, :data:`BACKGROUND` for background.
        frames: ``LongTensor[P]`` frame of each point (weights pairs within / across frames).
        same_frame_weight / cross_frame_weight: ``w_ij`` of the two kinds of pairs.
        eps: distance offset (see :func:`pair_distances`).

    Background–background pairs carry no constraint and are left out; ``R_ij = 1`` only for two
    points of the same instance.
    """
    n = probs.shape[0]
    i, j = torch.triu_indices(n, n, offset=1, device=probs.device)
    ids, frames = ids.to(probs.device), frames.to(probs.device)
    usable = (ids[i] != BACKGROUND) | (ids[j] != BACKGROUND)
    i, j = i[usable], j[usable]
    d = pair_distances(probs, eps)[i, j]
    same = ids[i] == ids[j]  # both background is excluded above, so this is R = 1
    # 1 - D >= (1 - eps) / 2 and D >= eps / 2: both logs are finite.
    loss = torch.where(same, -torch.log1p(-d), -torch.log(d))
    weight = torch.where(
        frames[i] == frames[j],
        torch.full_like(d, same_frame_weight),
        torch.full_like(d, cross_frame_weight),
    )
    return weight * loss


# ------------------------------------------------------------------------- point sampling
def sample_pixels(mask: Tensor, n: int, generator: torch.Generator | None = None) -> Tensor:
    """Up to ``n`` distinct non-zero pixels of ``mask [T, H, W]`` as ``LongTensor[k, 3]`` (t, y, x).

    All of them when there are at most ``n``; otherwise a uniform random subset drawn from
    ``generator`` (so training stays reproducible and resumable).
    """
    coords = torch.nonzero(mask > 0)
    if coords.shape[0] <= n:
        return coords
    device = generator.device if generator is not None else coords.device
    pick = torch.randperm(coords.shape[0], generator=generator, device=device)[:n]
    return coords[pick.to(coords.device)]


def sample_labelled_points(
    masks: Tensor,
    background: Tensor | None,
    *,
    points_per_instance: int,
    background_points: int,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Points for the constraint loss: ``(coords LongTensor[P, 3] (t, y, x), ids LongTensor[P])``.

    ``masks [G, T, H, W]`` are each instance's labelled pixels (scribble strokes or full masks),
    ``background [T, H, W]`` the labelled background (``None``: no background points). Unlabelled
    pixels are never sampled.
    """
    coords, ids = [], []
    for g in range(masks.shape[0]):
        pts = sample_pixels(masks[g], points_per_instance, generator)
        coords.append(pts)
        ids.append(torch.full((pts.shape[0],), g, dtype=torch.int64, device=pts.device))
    if background is not None and background_points > 0:
        pts = sample_pixels(background, background_points, generator)
        coords.append(pts)
        ids.append(torch.full((pts.shape[0],), BACKGROUND, dtype=torch.int64, device=pts.device))
    if not coords:
        empty = torch.zeros((0, 3), dtype=torch.int64, device=masks.device)
        return empty, torch.zeros(0, dtype=torch.int64, device=masks.device)
    return torch.cat(coords), torch.cat(ids)


def query_logits_at(pred_masks: Tensor, coords: Tensor, size: tuple[int, int]) -> Tensor:
    """Mask logits of every query at pixels ``coords [P, 3]`` (t, y, x) of a ``size`` image.

    ``pred_masks (Tensor[Q, T, h, w])`` covers the same extent as the ``size = (H, W)`` target
    (the model's 1/4-resolution output of the padded input); values are bilinear at the pixel
    centres. Returns ``Tensor[P, Q]`` (float32).
    """
    q, t = pred_masks.shape[:2]
    if coords.shape[0] == 0:
        return pred_masks.new_zeros((0, q), dtype=torch.float32)
    h, w = size
    xy = torch.stack(
        [(coords[:, 2].float() + 0.5) / w, (coords[:, 1].float() + 0.5) / h], dim=-1
    ).to(pred_masks.device)
    # Sample every point in every frame, then keep each point's own frame (T is small).
    per_frame = point_sample(
        pred_masks.float().transpose(0, 1), xy.unsqueeze(0).expand(t, -1, -1)
    )  # [T, Q, P]
    frames = coords[:, 0].to(pred_masks.device)
    return per_frame[frames, :, torch.arange(coords.shape[0], device=pred_masks.device)]


# ------------------------------------------------------------------------------- matching
def vote_counts(logits: Tensor, ids: Tensor, num_instances: int) -> Tensor:
    """``LongTensor[G, Q]``: how many of instance g's pixels have query q as their arg-max.

    ``logits [V, Q]`` at labelled pixels whose instance indices are ``ids [V]`` (background
    pixels, id :data:`BACKGROUND`, do not vote).
    """
    q = logits.shape[1]
    votes = torch.zeros((num_instances, q), dtype=torch.int64, device=logits.device)
    ids = ids.to(logits.device)
    keep = ids >= 0
    if keep.any():
        winner = logits[keep].argmax(dim=1)
        flat = ids[keep] * q + winner
        votes += torch.bincount(flat, minlength=num_instances * q).view(num_instances, q)
    return votes


def majority_vote_assignment(votes: Tensor) -> tuple[Tensor, Tensor]:
    """One query per instance from vote counts ``[G, Q]``: ``(queries, instances)`` LongTensors.

    Each instance takes the query most of its pixels vote for; when two instances want the same
    query, the one-to-one assignment with the most votes in total wins (it coincides with every
    instance's own majority whenever those are distinct). Ties go to the lower query index.
    """
    g, q = votes.shape
    if g == 0:
        empty = torch.zeros(0, dtype=torch.int64)
        return empty, empty.clone()
    v = votes.detach().cpu().numpy().astype(np.float64)
    # Lexicographic objective: total votes first (one vote outweighs any sum of query indices),
    # then the smallest query indices.
    cost = -v * float(g * q + 1) + np.arange(q, dtype=np.float64)[None, :]
    rows, cols = linear_sum_assignment(cost)
    order = np.argsort(cols, kind="stable")
    queries = torch.as_tensor(cols[order], dtype=torch.int64)
    instances = torch.as_tensor(rows[order], dtype=torch.int64)
    return queries, instances


@torch.no_grad()
def match_by_majority_vote(
    outputs: dict[str, Any],
    targets: list[dict[str, Tensor]],
    generator: torch.Generator | None = None,
) -> Indices:
    """Per clip ``(query indices, instance indices)`` by majority vote (see the module docstring).

    Each target needs ``vote_coords [V, 3]`` and ``vote_ids [V]`` (prepared by
    :class:`ClusterCriterion`) and ``masks [G, T, H, W]`` (for G and the image size).
    """
    indices = []
    for b, tgt in enumerate(targets):
        num = int(tgt["labels"].shape[0])
        logits = query_logits_at(
            outputs["pred_masks"][b], tgt["vote_coords"], tuple(tgt["masks"].shape[-2:])
        )
        indices.append(majority_vote_assignment(vote_counts(logits, tgt["vote_ids"], num)))
    return indices


# ------------------------------------------------------------------------------ criterion
class ClusterCriterion(SetCriterion):
    """Cluster2Former losses: ``loss_cluster`` (constraint loss) and ``loss_ce`` (vote-matched).

    Points (and the pixels that vote) are drawn once per batch and shared by every decoder layer;
    each layer is matched by its own votes. Targets need ``labels``, ``masks`` (labelled pixels of
    each instance) and ``background`` (labelled background pixels; optional).
    """

    def __init__(
        self,
        *,
        num_classes: int,
        weight_dict: dict[str, float],
        eos_coef: float = 0.1,
        num_aux_layers: int = 0,
        points_per_instance: int = 40,
        background_points: int = 40,
        vote_points: int = 1024,
        same_frame_pair_weight: float = 1.0,
        cross_frame_pair_weight: float = 0.9,
        distance_eps: float = 1e-6,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            matcher=match_by_majority_vote,
            weight_dict=weight_dict,
            eos_coef=eos_coef,
            losses=("labels", "cluster"),
            num_aux_layers=num_aux_layers,
        )
        self.points_per_instance = int(points_per_instance)
        self.background_points = int(background_points)
        self.vote_points = int(vote_points)
        self.same_frame_pair_weight = float(same_frame_pair_weight)
        self.cross_frame_pair_weight = float(cross_frame_pair_weight)
        self.distance_eps = float(distance_eps)

    def prepare_target(
        self, target: dict[str, Tensor], generator: torch.Generator | None = None
    ) -> dict[str, Tensor]:
        """``target`` plus its loss points (``point_coords``, ``point_ids``) and voting pixels."""
        masks = target["masks"]
        background = target.get("background")
        coords, ids = sample_labelled_points(
            masks,
            background,
            points_per_instance=self.points_per_instance,
            background_points=self.background_points,
            generator=generator,
        )
        vote_coords, vote_ids = sample_labelled_points(
            masks,
            None,
            points_per_instance=self.vote_points,
            background_points=0,
            generator=generator,
        )
        return {
            **target,
            "point_coords": coords,
            "point_ids": ids,
            "vote_coords": vote_coords,
            "vote_ids": vote_ids,
        }

    def forward(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """Unweighted ``loss_ce`` / ``loss_cluster`` of every layer (see :class:`SetCriterion`)."""
        prepared = [self.prepare_target(t, generator) for t in targets]
        return super().forward(outputs, prepared, generator)

    def loss_cluster(
        self,
        outputs: dict[str, Any],
        targets: list[dict[str, Tensor]],
        indices: Indices,
        num_masks: float,
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """``loss_cluster``: mean weighted constraint loss over the batch's pairs (no matching)."""
        pred_masks = outputs["pred_masks"]  # [B, Q, T, h, w]
        terms = []
        for b, tgt in enumerate(targets):
            coords = tgt["point_coords"]
            if coords.shape[0] < 2:
                continue
            logits = query_logits_at(pred_masks[b], coords, tuple(tgt["masks"].shape[-2:]))
            terms.append(
                constraint_pair_losses(
                    logits.softmax(dim=1),
                    tgt["point_ids"],
                    coords[:, 0],
                    same_frame_weight=self.same_frame_pair_weight,
                    cross_frame_weight=self.cross_frame_pair_weight,
                    eps=self.distance_eps,
                )
            )
        pairs = torch.cat(terms) if terms else pred_masks.new_zeros(0, dtype=torch.float32)
        if pairs.numel() == 0:
            # Keep the graph connected (DDP expects every parameter to receive a gradient).
            return {"loss_cluster": pred_masks.sum() * 0.0}
        return {"loss_cluster": pairs.mean()}


def build_cluster_criterion(cfg: Cluster2FormerConfig, num_classes: int) -> ClusterCriterion:
    """The constraint + class criterion with the configured weights (every layer supervised)."""
    base = {"loss_ce": cfg.class_weight, "loss_cluster": cfg.cluster_weight}
    return ClusterCriterion(
        num_classes=num_classes,
        weight_dict=layer_weight_dict(base, cfg),
        eos_coef=cfg.no_object_weight,
        points_per_instance=cfg.points_per_instance,
        background_points=cfg.background_points,
        vote_points=cfg.vote_points,
        same_frame_pair_weight=cfg.same_frame_pair_weight,
        cross_frame_pair_weight=cfg.cross_frame_pair_weight,
        distance_eps=cfg.distance_eps,
    )


def build_cluster2former(cfg: Cluster2FormerConfig, num_classes: int) -> VideoMask2Former:
    """Mask2Former-VIS with the Cluster2Former criterion and query-softmax mask inference."""
    return build_mask2former(
        cfg,
        num_classes,
        criterion=build_cluster_criterion(cfg, num_classes),
        mask_activation="query_softmax",
    )
