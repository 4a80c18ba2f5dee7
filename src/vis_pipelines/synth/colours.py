"""Object colour families: base RGB, the texture style that goes with the colour, and synonyms."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Colour", "COLOURS"]


@dataclass(frozen=True)
class Colour:
    """A colour family: saturated base RGB, its procedural texture style, words also naming it."""

    name: str
    rgb: tuple[int, int, int]
    texture: str
    synonyms: tuple[str, ...]


# Saturated base colours keep objects distinct from the muted, low-saturation backgrounds; each
# family has its own texture style, so appearance carries the colour even under lighting changes.
COLOURS: dict[str, Colour] = {
    c.name: c
    for c in (
        Colour("red", (220, 40, 40), "stripes", ("crimson", "scarlet")),
        Colour("green", (40, 190, 60), "dots", ("emerald", "lime")),
        Colour("blue", (40, 80, 225), "checker", ("azure", "cobalt")),
        Colour("yellow", (235, 215, 40), "blotches", ("golden", "lemon")),
        Colour("purple", (150, 50, 200), "plaid", ("violet", "lilac")),
        Colour("orange", (245, 140, 30), "waves", ("amber", "tangerine")),
        Colour("cyan", (40, 210, 220), "grid", ("turquoise", "aqua")),
        Colour("white", (240, 240, 240), "speckle", ("ivory", "snowy")),
    )
}
