"""Video transformer decoder with masked attention (Mask2Former for video instance segmentation).

Cheng et al., "Masked-attention Mask Transformer for Universal Image Segmentation" (CVPR 2022) and
"Mask2Former for Video Instance Segmentation" (arXiv 2112.10764). ``Q`` learned queries attend to
the pixel decoder's three feature levels in round-robin order; each cross-attention is restricted to
the foreground (sigmoid > 0.5) of the mask the query predicted at the previous layer, over all
``T`` frames at once; each query predicts one class and one mask volume ``[T, H/4, W/4]``.

Submodule names follow the official checkpoint (``transformer_self_attention_layers``,
``query_feat``, ``mask_embed.layers`` ...), so official weights map onto this module key for key.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .position_encoding import PositionEmbeddingSine3D

__all__ = ["VideoMaskedTransformerDecoder", "MLP", "attention_mask"]


def attention_mask(masks: Tensor, size: tuple[int, int], num_heads: int) -> Tensor:
    """Masked-attention mask from mask logits: True where a query may NOT attend.

    Args:
        masks: ``Tensor[B, Q, T, H, W]`` mask logits.
        size: (h, w) of the feature level attended next.
        num_heads: attention heads (rows are repeated per head, batch-major).

    Returns:
        ``Tensor[B*heads, Q, T*h*w]`` bool: positions outside the predicted foreground
        (sigmoid < 0.5 after bilinear resizing), over all frames of the clip.
    """
    b, q, t = masks.shape[:3]
    small = F.interpolate(
        masks.detach().flatten(1, 2), size=size, mode="bilinear", align_corners=False
    ).view(b, q, t * size[0] * size[1])
    return (small.sigmoid() < 0.5).repeat_interleave(num_heads, dim=0)


class _CrossAttentionLayer(nn.Module):
    """Post-norm cross-attention: ``tgt = norm(tgt + attn(tgt + qpos, mem + pos, mem))``."""

    def __init__(self, d_model: int, nhead: int, dropout: float = 0.0):
        super().__init__()
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        *,
        attn_mask: Tensor | None,
        pos: Tensor,
        query_pos: Tensor,
    ) -> Tensor:
        out = self.multihead_attn(
            tgt + query_pos, memory + pos, memory, attn_mask=attn_mask, need_weights=False
        )[0]
        return self.norm(tgt + self.dropout(out))


class _SelfAttentionLayer(nn.Module):
    """Post-norm self-attention among the queries."""

    def __init__(self, d_model: int, nhead: int, dropout: float = 0.0):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, tgt: Tensor, *, query_pos: Tensor) -> Tensor:
        q = tgt + query_pos
        out = self.self_attn(q, q, tgt, need_weights=False)[0]
        return self.norm(tgt + self.dropout(out))


class _FFNLayer(nn.Module):
    """Post-norm feed-forward block."""

    def __init__(self, d_model: int, dim_feedforward: int, dropout: float = 0.0):
        super().__init__()
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, tgt: Tensor) -> Tensor:
        out = self.linear2(self.dropout(F.relu(self.linear1(tgt))))
        return self.norm(tgt + self.dropout(out))


class MLP(nn.Module):
    """``num_layers`` linear layers with ReLU in between (parameters ``layers.<i>.weight``)."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, num_layers: int):
        super().__init__()
        dims = [input_dim] + [hidden_dim] * (num_layers - 1) + [output_dim]
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the layers (ReLU after all but the last)."""
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


class VideoMaskedTransformerDecoder(nn.Module):
    """Masked-attention decoder over video features; one mask volume per query.

    Args:
        in_channels: channels of the pixel decoder's multi-scale features.
        num_classes: K foreground classes (the head predicts K + 1, the last = no object).
        hidden_dim: query/attention width (256 in the paper).
        num_queries: Q (100 in the paper).
        nheads: attention heads.
        dim_feedforward: FFN width (2048 in the paper).
        dec_layers: decoder layers (9 in the paper = 3 rounds over 3 levels).
        mask_dim: channels of the mask features.
        num_feature_levels: pixel-decoder levels attended to in round-robin order.
        dropout: dropout in attention/FFN (0 in the paper).
    """

    def __init__(
        self,
        *,
        in_channels: int,
        num_classes: int,
        hidden_dim: int = 256,
        num_queries: int = 100,
        nheads: int = 8,
        dim_feedforward: int = 2048,
        dec_layers: int = 9,
        mask_dim: int = 256,
        num_feature_levels: int = 3,
        dropout: float = 0.0,
    ):
        super().__init__()
        if dec_layers < 1:
            raise ValueError(f"dec_layers must be >= 1, got {dec_layers}")
        self.num_heads = nheads
        self.num_layers = dec_layers
        self.num_queries = num_queries
        self.num_feature_levels = num_feature_levels
        self.pe_layer = PositionEmbeddingSine3D(hidden_dim // 2, normalize=True)
        self.transformer_self_attention_layers = nn.ModuleList(
            _SelfAttentionLayer(hidden_dim, nheads, dropout) for _ in range(dec_layers)
        )
        self.transformer_cross_attention_layers = nn.ModuleList(
            _CrossAttentionLayer(hidden_dim, nheads, dropout) for _ in range(dec_layers)
        )
        self.transformer_ffn_layers = nn.ModuleList(
            _FFNLayer(hidden_dim, dim_feedforward, dropout) for _ in range(dec_layers)
        )
        self.decoder_norm = nn.LayerNorm(hidden_dim)
        self.query_feat = nn.Embedding(num_queries, hidden_dim)
        self.query_embed = nn.Embedding(num_queries, hidden_dim)
        self.level_embed = nn.Embedding(num_feature_levels, hidden_dim)
        self.input_proj = nn.ModuleList()
        for _ in range(num_feature_levels):
            if in_channels != hidden_dim:
                conv = nn.Conv2d(in_channels, hidden_dim, 1)
                nn.init.kaiming_uniform_(conv.weight, a=1)
                nn.init.zeros_(conv.bias)
                self.input_proj.append(conv)
            else:
                self.input_proj.append(nn.Sequential())
        self.class_embed = nn.Linear(hidden_dim, num_classes + 1)
        self.mask_embed = MLP(hidden_dim, hidden_dim, mask_dim, 3)
        for layer in (
            *self.transformer_self_attention_layers,
            *self.transformer_cross_attention_layers,
        ):
            attn = layer.self_attn if hasattr(layer, "self_attn") else layer.multihead_attn
            nn.init.xavier_uniform_(attn.in_proj_weight)

    def forward(
        self, features: list[Tensor], mask_features: Tensor, *, num_frames: int
    ) -> dict[str, object]:
        """Decode a batch of clips.

        Args:
            features: ``num_feature_levels`` maps ``[B*T, C, h_l, w_l]``, low resolution first.
            mask_features: ``[B*T, mask_dim, H/4, W/4]``.
            num_frames: T (frames per clip; frame-major within a clip).

        Returns:
            ``pred_logits (Tensor[B, Q, K+1])``, ``pred_masks (Tensor[B, Q, T, H/4, W/4])`` and
            ``aux_outputs`` (the same two keys for the query state before each layer).
        """
        if len(features) != self.num_feature_levels:
            raise ValueError(
                f"expected {self.num_feature_levels} feature levels, got {len(features)}"
            )
        bt = mask_features.shape[0]
        if bt % num_frames:
            raise ValueError(f"{bt} images do not split into clips of {num_frames} frames")
        b = bt // num_frames
        srcs, poss, sizes = [], [], []
        for lvl, x in enumerate(features):
            _, _, h, w = x.shape
            sizes.append((h, w))
            pos = self.pe_layer(x.view(b, num_frames, -1, h, w))  # [B, T, C, h, w]
            # Sequences are (T*h*w, B, C): attention runs over every frame of the clip jointly.
            poss.append(pos.permute(1, 3, 4, 0, 2).reshape(-1, b, pos.shape[2]))
            src = self.input_proj[lvl](x) + self.level_embed.weight[lvl][None, :, None, None]
            src = src.view(b, num_frames, -1, h, w).permute(1, 3, 4, 0, 2)
            srcs.append(src.reshape(-1, b, src.shape[-1]))
        mask_features = mask_features.view(b, num_frames, *mask_features.shape[1:])

        query_pos = self.query_embed.weight.unsqueeze(1).repeat(1, b, 1)
        output = self.query_feat.weight.unsqueeze(1).repeat(1, b, 1)
        logits, masks, attn_mask = self._heads(output, mask_features, sizes[0])
        all_logits, all_masks = [logits], [masks]
        for i in range(self.num_layers):
            lvl = i % self.num_feature_levels
            # A query whose mask is empty everywhere would attend to nothing (NaN softmax):
            # such rows fall back to full attention, as the paper's implementation does.
            attn_mask[attn_mask.all(-1)] = False
            output = self.transformer_cross_attention_layers[i](
                output, srcs[lvl], attn_mask=attn_mask, pos=poss[lvl], query_pos=query_pos
            )
            output = self.transformer_self_attention_layers[i](output, query_pos=query_pos)
            output = self.transformer_ffn_layers[i](output)
            next_size = sizes[(i + 1) % self.num_feature_levels]
            logits, masks, attn_mask = self._heads(output, mask_features, next_size)
            all_logits.append(logits)
            all_masks.append(masks)
        return {
            "pred_logits": all_logits[-1],
            "pred_masks": all_masks[-1],
            "aux_outputs": [
                {"pred_logits": a, "pred_masks": m}
                for a, m in zip(all_logits[:-1], all_masks[:-1], strict=True)
            ],
        }

    def _heads(
        self, output: Tensor, mask_features: Tensor, attn_size: tuple[int, int]
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Class logits ``[B, Q, K+1]``, mask logits ``[B, Q, T, H, W]``, attention mask.

        The attention mask is ``[B*heads, Q, T*h*w]`` (True = not allowed) at the next level's size.
        """
        decoded = self.decoder_norm(output).transpose(0, 1)  # [B, Q, C]
        logits = self.class_embed(decoded)
        embed = self.mask_embed(decoded)
        masks = torch.einsum("bqc,btchw->bqthw", embed, mask_features)
        attn_mask = attention_mask(masks, attn_size, self.num_heads)
        return logits, masks, attn_mask
