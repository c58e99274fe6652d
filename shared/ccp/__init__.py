"""The CCP rules layer: pure rules (`ccp.rules`), the one data layer (`ccp.data`), shared errors."""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

T = TypeVar("T")


def freeze_imported() -> None:
    """Move every object imported so far out of the collector's way.

    A function imports Powertools, pydantic and boto3 (some 50,000 long-lived objects); every full
    collection during the rest of its import walked them all again (two of ~23 ms each, bench P4).
    Frozen, later collections skip them. A frozen object is never collected: at import time that
    is almost only what modules keep for the life of the process, so the cost is a few cycles of
    import-time garbage at most. Called here (after the framework a handler imports first) and
    once boto3 is in (`ccp.data.dynamo`).
    """
    gc.freeze()


freeze_imported()


_DEPENDENCIES: list[_lru_cache_wrapper[Any]] = []


def dependency(getter: Callable[..., T]) -> _lru_cache_wrapper[T]:
    """A process-wide dependency (a table, a service, a settings model), built on first use and kept
    for the container's life. Registered, so a test or the local stack can forget every one at once
    (`forget_dependencies`) when it deploys a new stack, instead of naming each getter."""
    cached = lru_cache(maxsize=64)(getter)  # a few keys each (a table a thread at most)
    _DEPENDENCIES.append(cached)
    return cached


def forget_dependencies() -> None:
    for cached in _DEPENDENCIES:
        cached.cache_clear()
