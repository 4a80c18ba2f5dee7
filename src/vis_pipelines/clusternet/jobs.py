"""Independent per-sequence jobs as lazy results, computed in worker processes when asked for.

``lazy_results(func, jobs, workers)`` returns ``{key: () -> result}``. With one worker a loader
computes its job when called (in the calling process); with more, the first call starts a process
pool that works through every job in order, and each loader waits for its own result. Either way a
consumer that saves results one by one (``JSONPartsDataset``) keeps every finished sequence if a
later one fails. Each worker runs torch on one thread: small convolutions gain little from
threads, and several processes sharing few cores with threads each oversubscribe them badly.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

__all__ = ["lazy_results"]

logger = logging.getLogger(__name__)


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


class _Pool:
    """A process pool started on first use and shut down once every result was taken."""

    def __init__(self, func: Callable[..., Any], jobs: Mapping[str, tuple], workers: int) -> None:
        self._func = func
        self._jobs = dict(jobs)
        self._workers = workers
        self._futures: dict[str, Future] = {}
        self._executor: ProcessPoolExecutor | None = None
        self._left = len(self._jobs)

    def _start(self) -> None:
        # fork shares the parent's imports (torch, this package) at no cost; elsewhere spawn.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self._executor = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
        )
        logger.info("%d jobs on %d worker processes (%s)", len(self._jobs), self._workers, method)
        for key, args in self._jobs.items():
            self._futures[key] = self._executor.submit(self._func, *args)

    def result(self, key: str) -> Any:
        if self._executor is None:
            self._start()
        try:
            return self._futures[key].result()
        except BaseException:
            self.close()
            raise
        finally:
            self._left -= 1
            if self._left <= 0:
                self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
            self._left = 0


class _Loader:
    def __init__(self, pool: _Pool | None, func: Callable[..., Any], key: str, args: tuple):
        self._pool, self._func, self._key, self._args = pool, func, key, args

    def __call__(self) -> Any:
        if self._pool is None:
            return self._func(*self._args)
        return self._pool.result(self._key)

    def __repr__(self) -> str:
        return f"<lazy result {self._key!r}>"


def lazy_results(
    func: Callable[..., Any], jobs: Mapping[str, tuple], workers: int = 1
) -> dict[str, Callable[[], Any]]:
    """``{key: () -> func(*args)}`` for ``jobs = {key: args}``; see the module docstring.

    ``func`` and the arguments must be picklable when ``workers > 1`` (a module-level function).
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    workers = min(workers, len(jobs), os.cpu_count() or 1)
    pool = _Pool(func, jobs, workers) if workers > 1 else None
    return {key: _Loader(pool, func, key, tuple(args)) for key, args in jobs.items()}
