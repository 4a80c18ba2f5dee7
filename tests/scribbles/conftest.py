"""Fixtures for the scribble tests."""

from __future__ import annotations

import numpy as np
import pytest
from scribble_shapes import SHAPES


@pytest.fixture(params=sorted(SHAPES))
def shape(request: pytest.FixtureRequest) -> tuple[str, np.ndarray]:
    """``(name, mask)`` for every non-empty hand-made mask."""
    return request.param, SHAPES[request.param]()
