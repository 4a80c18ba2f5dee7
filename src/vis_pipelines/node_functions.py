"""Node functions with some arguments fixed at pipeline-construction time."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["bind_kwargs"]


def bind_kwargs(func: Callable[..., Any], **kwargs: Any) -> Callable[..., Any]:
    """``func`` with keyword arguments fixed, keeping its name and type hints for Kedro."""
    return functools.update_wrapper(functools.partial(func, **kwargs), func)
