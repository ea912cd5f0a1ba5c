"""Figures that are costly to count and read far more often than the data under them changes
(the zone's dashboard on every staff home page), kept in Django's cache between requests.

Each topic ("registry") has a version in the cache; a write to the topic's data bumps it (at
once and again when the transaction commits, so a figure counted from the old rows in between
is not kept under the new version), and every entry is read under the current version, so a
figure is never served after its data changed through the services. Entries also expire after
`timeout` seconds: the bound on staleness for writes that bypass the services (raw SQL, the
admin's deletes).

The cache must be shared by the server's processes (settings: a file cache under the data
directory), or a write in one process would leave the others' figures stale until they expire.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

REGISTRY = "registry"  # enterprises, their yearly figures and qualifications
MATCHES = "matches"  # the stored policy matches (policies/match_store.py writes them all)

DEFAULT_TIMEOUT = 60


def _version_key(topic: str) -> str:
    return f"gaoxin:version:{topic}"


def version(topic: str) -> str:
    key = _version_key(topic)
    current = cache.get(key)
    if current is None:
        # A new value, never an old one again (a reset counter could meet entries of a
        # former version that have not expired yet).
        current = str(time.time_ns())
        cache.add(key, current, timeout=None)
        current = cache.get(key) or current
    return str(current)


def _bump(topic: str) -> None:
    cache.set(_version_key(topic), str(time.time_ns()), timeout=None)


def changed(topic: str) -> None:
    """The topic's data changed (or is changing in the open transaction): drop its figures."""
    _bump(topic)
    transaction.on_commit(lambda: _bump(topic))


def remember(
    topic: str, parts: tuple[object, ...], compute: Callable[[], T], timeout: int = DEFAULT_TIMEOUT
) -> T:
    """`compute()`, kept under the topic's current version and `parts` (what else the figure
    depends on: the scope's query, the day, the language)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"gaoxin:{topic}:{version(topic)}:{digest}"
    hit = cache.get(key)
    if hit is None:
        hit = compute()
        cache.set(key, hit, timeout)
    return hit
