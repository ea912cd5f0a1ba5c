"""Where a unit of work spends its time: seconds per named phase, summed.

    phases = Phases()
    with phases("read"):
        ...
    phases.seconds  # {"read": 0.43, ...}

A worker stores each partition's phases with the partition (`MatchPartition.phases`), so a
job's profile is the sum over its partitions (`province_bench.py` prints it). Timing costs a
`perf_counter` call per phase; `NO_PHASES` records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in self.seconds.items()}


class _Nothing(Phases):
    def add(self, name: str, seconds: float) -> None:
        pass


NO_PHASES: Phases = _Nothing()
