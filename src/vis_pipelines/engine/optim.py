"""AdamW parameter groups and learning-rate schedules of Mask2Former training.

Mask2Former trains with AdamW (weight decay 0.05), the backbone at 0.1× the learning rate, no
weight decay on normalisation layers and embeddings, and a poly (or step) schedule per iteration.
"""

from __future__ import annotations

from torch import nn
from torch.optim import AdamW, Optimizer
from torch.optim.lr_scheduler import LambdaLR

from .config import TrainConfig

__all__ = ["build_optimizer", "build_scheduler", "lr_factor"]

_NORMS = (
    nn.BatchNorm2d,
    nn.GroupNorm,
    nn.LayerNorm,
    nn.InstanceNorm2d,
    nn.LocalResponseNorm,
)


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> Optimizer:
    """AdamW over the trainable parameters, grouped by (backbone?, no-decay?)."""
    groups: dict[tuple[bool, str], list[nn.Parameter]] = {}
    seen: set[int] = set()
    for module_name, module in model.named_modules():
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            full = f"{module_name}.{name}" if module_name else name
            backbone = full.startswith("backbone.")
            if isinstance(module, _NORMS):
                decay = "norm"
            elif isinstance(module, nn.Embedding) or "level_embed" in name:
                decay = "embed"
            else:
                decay = "default"
            groups.setdefault((backbone, decay), []).append(p)
    wd = {
        "default": cfg.weight_decay,
        "norm": cfg.weight_decay_norm,
        "embed": cfg.weight_decay_embed,
    }
    param_groups = [
        {
            "params": params,
            "lr": cfg.lr * (cfg.backbone_lr_multiplier if backbone else 1.0),
            "weight_decay": wd[decay],
        }
        for (backbone, decay), params in sorted(groups.items())
    ]
    return AdamW(param_groups, lr=cfg.lr, weight_decay=cfg.weight_decay)


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Multiplier of the base learning rate at ``step`` (linear warm-up, then poly or step)."""
    if cfg.schedule == "poly":
        factor = (1.0 - min(step, cfg.max_steps) / cfg.max_steps) ** cfg.poly_power
    else:
        factor = cfg.step_gamma ** sum(step >= m for m in cfg.step_milestones)
    if cfg.warmup_steps and step < cfg.warmup_steps:
        factor *= (step + 1) / cfg.warmup_steps
    return factor


def build_scheduler(optimizer: Optimizer, cfg: TrainConfig) -> LambdaLR:
    """Per-iteration schedule (``scheduler.step()`` once per training step)."""
    return LambdaLR(optimizer, lambda step: lr_factor(step, cfg))
