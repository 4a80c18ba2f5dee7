"""ClusterNet: online unsupervised video object segmentation by contrastive motion clustering.

Xi, Chen, Wu, Liu, Li, "Online Unsupervised Video Object Segmentation via Contrastive Motion
Clustering", IEEE TCSVT 2023 (arXiv:2306.12048). A small convolutional autoencoder (InstanceNorm)
encodes the colour-wheel rendering of the optical flow into a low-dimensional per-pixel embedding,
refined by spatial attention, and reconstructs the flow image from it. Learnable prototypes cluster
the embeddings; the soft assignment of pixels to prototypes is balanced with Sinkhorn-Knopp
(equipartition, computed in fp32). The loss is the reconstruction MSE plus a boundary-aware
contrastive InfoNCE term: pixels are split by a saliency prior (how far their motion colour is from
the frame border's, the background under the boundary prior) and each pixel is pulled to its
assigned prototype and pushed from the prototypes of the other side.

Choices of this implementation where the paper and README leave details open (all in the code
below, each with its reason): the decoder reads the unit-normalised embedding, so the direction
that cosine similarity clusters carries everything the reconstruction needs; Sinkhorn's sample
marginals give salient and other pixels half the mass each (moving objects cover a few percent of a
frame; uniform marginals would spend nearly every prototype on background); prototypes can be
placed on the data by k-means++ seeding (:meth:`ClusterNet.seed_prototypes`).

Tensor contracts: flow images ``x (Tensor[B, 3, H, W])`` in [-1, 1]; embeddings
``Tensor[B, D, H/s, W/s]`` (``s = 2 ** downsample``); prototype scores ``Tensor[B, K, h, w]``.
Pure torch: no files, no Kedro.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ClusterNetConfig",
    "SpatialAttention",
    "FlowAutoencoder",
    "ClusterNet",
    "build_clusternet",
    "sinkhorn",
    "border_saliency",
    "balanced_weights",
    "boundary_contrastive_loss",
]


@dataclass(frozen=True)
class ClusterNetConfig:
    """Architecture and loss settings (the paper: width 48 ≈ 1.2 M parameters, D 10, K 30)."""

    width: int = 48  # channels of the first stage; stage k has width * 2**k
    embed_dim: int = 10
    n_prototypes: int = 30
    downsample: int = 2  # stride-2 stages: embeddings at 1 / 2**downsample of the input size
    attention_kernel: int = 7
    temperature: float = 0.1  # InfoNCE temperature
    saliency_threshold: float = 0.1  # border-contrast saliency above which a pixel is salient
    contrast_weight: float = 0.1
    sinkhorn_eps: float = 0.05
    sinkhorn_iters: int = 3

    def __post_init__(self) -> None:
        for name in ("width", "embed_dim", "n_prototypes", "sinkhorn_iters"):
            if getattr(self, name) < 1:
                raise ValueError(f"clusternet model: {name} must be >= 1")
        if self.n_prototypes < 2:
            raise ValueError("clusternet model: n_prototypes must be >= 2")
        if self.downsample < 0:
            raise ValueError("clusternet model: downsample must be >= 0")
        if self.attention_kernel < 1 or self.attention_kernel % 2 == 0:
            raise ValueError("clusternet model: attention_kernel must be odd and >= 1")
        for name in ("temperature", "sinkhorn_eps"):
            if getattr(self, name) <= 0:
                raise ValueError(f"clusternet model: {name} must be > 0")
        if not 0.0 <= self.saliency_threshold <= 1.0:
            raise ValueError("clusternet model: saliency_threshold must be in [0, 1]")
        if self.contrast_weight < 0:
            raise ValueError("clusternet model: contrast_weight must be >= 0")


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.InstanceNorm2d(cout, affine=True),
        nn.ReLU(inplace=True),
    )


class SpatialAttention(nn.Module):
    """Spatial attention: a sigmoid map from channel-mean and channel-max, multiplied in."""

    def __init__(self, *, kernel: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel, padding=kernel // 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x (Tensor[B, C, h, w])`` → (attended features, attention ``Tensor[B, 1, h, w]``)."""
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        attn = torch.sigmoid(self.conv(pooled))
        return x * attn, attn


class FlowAutoencoder(nn.Module):
    """Encoder → spatial attention → D-dim embedding → decoder back to the flow image."""

    def __init__(self, *, width: int, embed_dim: int, downsample: int, attention_kernel: int):
        super().__init__()
        chans = [width * 2**k for k in range(downsample + 1)]
        enc: list[nn.Module] = [_conv(3, chans[0])]
        for cin, cout in zip(chans[:-1], chans[1:], strict=True):
            enc += [_conv(cin, cout, stride=2), _conv(cout, cout)]
        self.encoder = nn.Sequential(*enc)
        self.attention = SpatialAttention(kernel=attention_kernel)
        self.embed = nn.Conv2d(chans[-1], embed_dim, 1)
        dec: list[nn.Module] = [
            nn.Conv2d(embed_dim, chans[-1], 1),
            nn.ReLU(inplace=True),
            _conv(chans[-1], chans[-1]),
        ]
        for cin, cout in zip(chans[::-1][:-1], chans[::-1][1:], strict=True):
            dec += [nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)]
            dec += [_conv(cin, cout)]
        dec += [nn.Conv2d(chans[0], 3, 3, padding=1), nn.Tanh()]
        self.decoder = nn.Sequential(*dec)
        self.stride = 2**downsample

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``x (Tensor[B, 3, H, W])``, H and W multiples of the stride → embedding, recon, attn."""
        feats, attn = self.attention(self.encoder(x))
        # Unit-length embeddings: the decoder sees only the direction, so everything the
        # reconstruction needs lives where the prototypes' cosine similarity looks.
        embedding = F.normalize(self.embed(feats), dim=1)
        return {"embedding": embedding, "recon": self.decoder(embedding), "attention": attn}


@torch.no_grad()
def sinkhorn(
    scores: torch.Tensor,
    *,
    eps: float = 0.05,
    iters: int = 3,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Balanced soft assignment of ``N`` samples to ``K`` prototypes (Sinkhorn-Knopp, SwAV).

    Args:
        scores: ``Tensor[N, K]`` similarities.
        eps: entropic regularisation (the scores are divided by it).
        iters: alternating normalisations; the last one makes every sample's row sum to 1.

    Returns:
        ``Tensor[N, K]`` fp32, rows summing to 1 and columns approaching ``N / K`` each
        (equipartition). Computed in the log domain in fp32 whatever the input dtype (AMP-safe).
    """
    if scores.ndim != 2:
        raise ValueError(f"sinkhorn expects [N, K] scores, got {tuple(scores.shape)}")
    n, k = scores.shape
    with torch.autocast(device_type=scores.device.type, enabled=False):
        if weights is None:
            log_r = torch.full((n, 1), -math.log(n), device=scores.device)
        else:
            if weights.shape != (n,) or bool((weights < 0).any()) or not bool(weights.sum() > 0):
                raise ValueError("sinkhorn weights must be [N], non-negative, not all zero")
            w = weights.float()
            log_r = torch.log(w / w.sum()).clamp(min=-1e4)[:, None]
        log_q = scores.float() / eps
        log_q = log_q - torch.logsumexp(log_q.flatten(), 0)
        for _ in range(iters):
            # Prototypes: each column gets total mass 1/K; samples: row i gets its mass r_i.
            log_q = log_q - torch.logsumexp(log_q, dim=0, keepdim=True) - math.log(k)
            log_q = log_q - torch.logsumexp(log_q, dim=1, keepdim=True) + log_r
        return torch.exp(log_q - log_r)


def border_saliency(x: torch.Tensor, *, border: int = 1) -> torch.Tensor:
    """Motion saliency under the boundary prior, ``Tensor[B, h, w]`` in [0, 1].

    The background's flow colour is the per-channel median over the frame border (objects rarely
    cover it); saliency is the colour distance to it, divided by the largest possible distance in
    [-1, 1]^3 (``2 * sqrt(3)``).
    """
    b, c, h, w = x.shape
    if h <= 2 * border or w <= 2 * border:
        ring = x.flatten(2)
    else:
        ring = torch.cat(
            [
                x[:, :, :border].flatten(2),
                x[:, :, -border:].flatten(2),
                x[:, :, border:-border, :border].flatten(2),
                x[:, :, border:-border, -border:].flatten(2),
            ],
            dim=2,
        )
    background = ring.median(dim=2).values[:, :, None, None]
    return ((x - background).norm(dim=1) / (2.0 * math.sqrt(c))).clamp(0.0, 1.0)


def balanced_weights(salient: torch.Tensor) -> torch.Tensor | None:
    """Sinkhorn sample marginals giving salient and other pixels half the mass each.

    Moving objects cover a few percent of a frame; with uniform marginals the equipartition would
    spend almost every prototype on background. None (uniform) when one side is empty.
    """
    sal = salient.float()
    n_sal = float(sal.sum())
    if n_sal == 0 or n_sal == sal.numel():
        return None
    return sal / n_sal + (1.0 - sal) / (sal.numel() - n_sal)


def boundary_contrastive_loss(
    scores: torch.Tensor, assign: torch.Tensor, salient: torch.Tensor, *, temperature: float
) -> torch.Tensor:
    """Boundary-aware InfoNCE over prototypes.

    Prototypes belong to the salient side when most pixels assigned to them are salient. For each
    pixel the positive is its assigned prototype; the negatives are the used prototypes of the side
    opposite to the pixel's own saliency. Pixels without a negative (a frame without salient
    pixels, or without background) contribute nothing, and with none left the loss is a zero that
    keeps the graph (never NaN).

    Args:
        scores: ``Tensor[N, K]`` cosine similarities (with gradient).
        assign: ``Tensor[N]`` long, the assigned prototype per pixel (from Sinkhorn).
        salient: ``Tensor[N]`` bool.
        temperature: InfoNCE temperature.
    """
    n, k = scores.shape
    onehot = F.one_hot(assign, k).to(scores.dtype)  # [N, K]
    count = onehot.sum(0)
    salient_share = (onehot * salient[:, None].to(scores.dtype)).sum(0) / count.clamp(min=1)
    used = count > 0
    proto_salient = salient_share > 0.5
    # negative[i, k]: prototype k is used, on the other side from pixel i, and not i's positive.
    negative = used[None, :] & (proto_salient[None, :] != salient[:, None])
    negative &= ~onehot.bool()
    has_negative = negative.any(dim=1)
    if not bool(has_negative.any()):
        return scores.sum() * 0.0
    logits = scores[has_negative] / temperature
    keep = negative[has_negative] | onehot[has_negative].bool()
    logits = logits.masked_fill(~keep, float("-inf"))
    positive = logits.gather(1, assign[has_negative, None]).squeeze(1)
    return (torch.logsumexp(logits, dim=1) - positive).mean()


class ClusterNet(nn.Module):
    """Flow autoencoder + prototypes; ``forward`` gives the losses, ``scores`` the clustering."""

    def __init__(self, config: ClusterNetConfig) -> None:
        super().__init__()
        self.config = config
        self.autoencoder = FlowAutoencoder(
            width=config.width,
            embed_dim=config.embed_dim,
            downsample=config.downsample,
            attention_kernel=config.attention_kernel,
        )
        self.prototypes = nn.Parameter(torch.randn(config.n_prototypes, config.embed_dim))

    @property
    def stride(self) -> int:
        """Input sizes must be multiples of this."""
        return self.autoencoder.stride

    def _scores(self, embedding: torch.Tensor) -> torch.Tensor:
        z = F.normalize(embedding, dim=1)
        c = F.normalize(self.prototypes, dim=1)
        return torch.einsum("bdhw,kd->bkhw", z, c)

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of every embedding to every prototype, ``Tensor[B, K, h, w]``."""
        return self._scores(self.autoencoder(x)["embedding"])

    @torch.no_grad()
    def seed_prototypes(
        self,
        x: torch.Tensor,
        *,
        only_unused: bool = False,
        generator: torch.Generator | None = None,
    ) -> int:
        """Place prototypes on the embeddings of ``x`` by k-means++ seeding (D² sampling).

        With ``only_unused``, the prototypes that are no pixel's nearest in ``x`` move and the
        others stay (and repel the new ones). Random prototypes mostly miss the few directions a
        flow field uses, and a motion that appears later has none near it, so small moving objects
        would fall into background clusters. Returns the number of prototypes placed.
        """
        z = self.autoencoder(x)["embedding"].permute(0, 2, 3, 1).reshape(-1, self.config.embed_dim)
        z = F.normalize(z.float(), dim=1)
        protos = F.normalize(self.prototypes.float(), dim=1)
        k = self.config.n_prototypes
        if only_unused:
            used = torch.zeros(k, dtype=torch.bool, device=z.device)
            used[(z @ protos.T).argmax(1)] = True
            todo = torch.nonzero(~used).flatten().tolist()
            dist = (1.0 - z @ protos[used].T).clamp(min=0.0).amin(1)
        else:
            todo = list(range(k))
            dist = torch.ones(len(z), device=z.device)  # the first pick is uniform
        for j in todo:
            total = dist.sum()
            if float(total) <= 0:  # fewer distinct embeddings than prototypes
                probs = torch.ones(len(z))
            else:
                probs = (dist / total).cpu()
            idx = int(torch.multinomial(probs, 1, generator=generator).item())
            protos[j] = z[idx]
            dist = torch.minimum(dist, (1.0 - z @ z[idx]).clamp(min=0.0))
        self.prototypes.copy_(protos.to(self.prototypes.dtype))
        return len(todo)

    def salient(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """Salient pixels of ``x`` at ``size`` (border-contrast saliency above the threshold)."""
        small = F.adaptive_avg_pool2d(x, size)
        return border_saliency(small) > self.config.saliency_threshold

    @torch.no_grad()
    def balanced_assignment(self, scores: torch.Tensor, salient: torch.Tensor) -> torch.Tensor:
        """Per-image Sinkhorn assignment with saliency-balanced marginals, ``Tensor[B, K, h, w]``.

        Every prototype is used and half of them go to the salient pixels, so moving regions are
        split finely (``scores Tensor[B, K, h, w]``, ``salient Tensor[B, h, w]`` bool).
        """
        b, k, h, w = scores.shape
        out = torch.empty(scores.shape, dtype=torch.float32, device=scores.device)
        for i in range(b):
            q = sinkhorn(
                scores[i].reshape(k, -1).T,
                eps=self.config.sinkhorn_eps,
                iters=self.config.sinkhorn_iters,
                weights=balanced_weights(salient[i].reshape(-1)),
            )
            out[i] = q.T.reshape(k, h, w)
        return out

    @torch.no_grad()
    def assign(self, x: torch.Tensor, *, balanced: bool = True) -> torch.Tensor:
        """Soft assignment of every pixel to the prototypes, ``Tensor[B, K, h, w]``.

        ``balanced``: :meth:`balanced_assignment`; otherwise the nearest prototype (softmax of
        the scores over the temperature).
        """
        scores = self.scores(x)
        if not balanced:
            return torch.softmax(scores / self.config.temperature, dim=1)
        return self.balanced_assignment(scores, self.salient(x, scores.shape[-2:]))

    def forward(self, x: torch.Tensor, *, contrast: bool = True) -> dict[str, torch.Tensor]:
        """Losses of a batch: ``loss``, ``recon``, ``contrast``, and the ``scores`` and ``salient``
        maps it used.

        ``contrast=False`` is the pre-training objective (reconstruction only).
        """
        out = self.autoencoder(x)
        recon = F.mse_loss(out["recon"], x)
        scores = self._scores(out["embedding"])
        b, k, h, w = scores.shape
        salient = self.salient(x, (h, w))
        if not contrast:
            zero = scores.sum() * 0.0
            return {
                "loss": recon + zero,
                "recon": recon,
                "contrast": zero,
                "scores": scores,
                "salient": salient,
            }
        cfg = self.config
        flat = scores.permute(0, 2, 3, 1).reshape(-1, k)
        flat_salient = salient.reshape(-1)
        # One Sinkhorn over the whole batch (fp32, no gradient) gives the positives.
        assign = sinkhorn(
            flat.detach(),
            eps=cfg.sinkhorn_eps,
            iters=cfg.sinkhorn_iters,
            weights=balanced_weights(flat_salient),
        ).argmax(1)
        contrast_loss = boundary_contrastive_loss(
            flat, assign, flat_salient, temperature=cfg.temperature
        )
        return {
            "loss": recon + cfg.contrast_weight * contrast_loss,
            "recon": recon,
            "contrast": contrast_loss,
            "scores": scores,
            "salient": salient,
        }


def build_clusternet(config: ClusterNetConfig | None = None, *, seed: int = 0) -> ClusterNet:
    """A ClusterNet with weights drawn from ``seed`` (the global torch RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ClusterNet(config or ClusterNetConfig())
