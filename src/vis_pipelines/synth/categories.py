"""SynthVIS categories: every colour x shape combination, split into base and novel combinations."""

from __future__ import annotations

import numpy as np

from .colours import COLOURS
from .config import SynthConfig
from .shapes import SHAPES

__all__ = ["build_categories", "category_synonyms"]

# Keeps the category draw independent of every other use of the seed.
_CATEGORY_STREAM = 7


def category_synonyms(colour: str, shape: str) -> list[str]:
    """Other names of ``"<colour> <shape>"``: colour synonyms + shape, colour + shape synonyms."""
    names = [f"{c} {shape}" for c in COLOURS[colour].synonyms]
    names += [f"{colour} {s}" for s in SHAPES[shape].synonyms]
    return names


def build_categories(cfg: SynthConfig) -> list[dict]:
    """Categories ``[{id, name, shape, colour, split, synonyms}]``, deterministic in ``cfg.seed``.

    Ids run 1.. over colours (outer) and shapes (inner) in config order. Novel categories are unseen
    *combinations*: a random covering set of combinations, containing every shape and every colour,
    is kept in the base split first, and the novel ones are drawn from the rest.
    """
    colours, shapes = cfg.colours, cfg.shapes
    combos = [(c, s) for c in colours for s in shapes]
    n_novel = int(round(cfg.novel_fraction * len(combos)))
    # The smallest base set holding every colour and shape has max(#colours, #shapes) combinations.
    max_novel = len(combos) - max(len(colours), len(shapes))
    if n_novel > max_novel:
        raise ValueError(
            f"SynthConfig.novel_fraction: {cfg.novel_fraction} asks for {n_novel} novel "
            f"categories, but only {max_novel} of {len(combos)} can be novel while every colour "
            f"and shape stays in base"
        )
    rng = np.random.default_rng([cfg.seed, _CATEGORY_STREAM])
    colour_order = rng.permutation(len(colours))
    shape_order = rng.permutation(len(shapes))
    n_cover = max(len(colours), len(shapes))
    # Pairing the i-th colour with the i-th shape (cycling the shorter list) covers both lists.
    cover = {
        (colours[colour_order[i % len(colours)]], shapes[shape_order[i % len(shapes)]])
        for i in range(n_cover)
    }
    candidates = [combo for combo in combos if combo not in cover]
    novel = {candidates[i] for i in rng.choice(len(candidates), size=n_novel, replace=False)}
    return [
        {
            "id": k + 1,
            "name": f"{colour} {shape}",
            "shape": shape,
            "colour": colour,
            "split": "novel" if (colour, shape) in novel else "base",
            "synonyms": category_synonyms(colour, shape),
        }
        for k, (colour, shape) in enumerate(combos)
    ]
