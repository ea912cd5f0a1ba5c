"""The population statistics of the policies that rank an enterprise among its peers
(`rank`, `percentile`, `peer_avg`: rules.peers). The population is the zone's registry, the
whole of it, as `enterprises.flat` reads it — never a partition, never one enterprise.

- A matching job computes them once, when it is planned, and stores them with the job
  (`MatchJob.peers`): every partition, whichever worker takes it and however long the job
  runs while the registry changes, reads the same statistics. Recomputing them from the
  registry in each worker could not promise that.
- One enterprise's explanation (its check-up page, an application, its re-match after a
  change) reads them from the cache (`core.cached`, topic REGISTRY): computed once per
  registry version, policy version and day, not on every page view.

A policy that uses no peer function costs nothing: `needing` looks at its resolved trees
(cached by the engine) and no registry is read for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import polars as pl

from gaoxin.core import cached
from gaoxin.enterprises.flat import registry_frame
from gaoxin.policies.models import MatchJob, MatchRun, PolicyVersion
from gaoxin.rules import Policy as RulesPolicy
from gaoxin.rules.peers import (
    ALL,
    Group,
    Key,
    Peers,
    calls,
    columns_needed,
    key_of,
    population,
    resolved_trees,
    uses_peers,
)

# Statistics are a read of the whole registry: kept longer than the dashboard's figures. Writes
# through the services bump the registry's version at once; this bounds the staleness after
# writes that bypass them.
CACHE_SECONDS = 600
# Loaded statistics kept in the process, by the cache's key or the job: loading is linear in
# the registry, and a page explains many matches.
_loaded: OrderedDict[tuple[Any, ...], Peers] = OrderedDict()
KEEP_LOADED = 16


def needing(policies: Sequence[RulesPolicy], on: dt.date) -> list[RulesPolicy]:
    """Those of the policies that use a peer function on `on`."""
    return [p for p in policies if uses_peers([p], on)]


def compute(policies: Sequence[RulesPolicy], on: dt.date) -> Peers | None:
    """The statistics over the registry as it is now, read a range of ids at a time and only
    the columns the statistics read; None when no policy needs them."""
    from gaoxin.policies.matching import PARTITION_SIZE
    from gaoxin.policies.partitions import id_ranges

    wanted = needing(policies, on)
    if not wanted:
        return None
    columns = columns_needed(wanted, on)
    parts = []
    for first, last, _n in id_ranges(PARTITION_SIZE):
        part = registry_frame(on, first, last)
        parts.append(part.select(c for c in part.columns if c in columns))
    frame = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
    return population(wanted, frame, on)


# -- stored: with a job, in the cache -----------------------------------------------------------


def _keys(policies: Sequence[RulesPolicy], on: dt.date) -> dict[str, Key]:
    """The statistics the policies read, by a digest of the expression (a key in the engine
    is the expression itself)."""
    keys = dict.fromkeys(key_of(c) for c in calls(resolved_trees(policies, on)))
    return {hashlib.sha256(repr(k).encode()).hexdigest()[:32]: k for k in keys}


def _group_json(value: Any) -> Any:
    if value == ALL:
        return None  # never a group's own value: an unknown group has no peers
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value  # text, yes/no


def _group_value(data: Any) -> Any:
    if data is None:
        return ALL
    if isinstance(data, dict):
        return dt.date.fromisoformat(data["date"])
    return data


def dump(peers: Peers, policies: Sequence[RulesPolicy], on: dt.date) -> bytes:
    """Compressed JSON: each statistic's groups and their exact values."""
    statistics = {
        digest: [
            [_group_json(g), [n for n, _ in group.pairs], [d for _, d in group.pairs]]
            for g, group in peers.groups.get(key, {}).items()
        ]
        for digest, key in _keys(policies, on).items()
    }
    text = json.dumps({"size": peers.size, "statistics": statistics}, separators=(",", ":"))
    return zlib.compress(text.encode())


def load(data: bytes, policies: Sequence[RulesPolicy], on: dt.date) -> Peers | None:
    """What `dump` wrote, for the same policies and day; None if it lacks a statistic they
    read (policies resolved otherwise since)."""
    stored = json.loads(zlib.decompress(data))
    groups: dict[Key, dict[Any, Group]] = {}
    for digest, key in _keys(policies, on).items():
        if digest not in stored["statistics"]:
            return None
        groups[key] = {
            _group_value(g): Group.of(zip(nums, dens, strict=True))
            for g, nums, dens in stored["statistics"][digest]
        }
    return Peers(groups, int(stored["size"]))


def _remember(key: tuple[Any, ...], peers: Peers) -> Peers:
    _loaded[key] = peers
    while len(_loaded) > KEEP_LOADED:
        _loaded.popitem(last=False)
    return peers


def current(versions: Sequence[PolicyVersion], on: dt.date) -> Peers | None:
    """The statistics of the registry as it is now, for these versions; None when none of
    them needs any. From the cache, computed when the registry changed."""
    from gaoxin.policies.matching import rules_policy

    policies = needing([rules_policy(v) for v in versions], on)
    if not policies:
        return None
    hashes = tuple(sorted({p.version for p in policies}))
    parts = ("peers", hashes, on.isoformat())
    key = (cached.version(cached.REGISTRY), *parts)
    if key in _loaded:
        _loaded.move_to_end(key)
        return _loaded[key]

    def computed() -> bytes:
        peers = compute(policies, on)
        assert peers is not None
        return dump(peers, policies, on)

    data = cached.remember(cached.REGISTRY, parts, computed, timeout=CACHE_SECONDS)
    # None only for an entry written by other code (an upgrade resolving the trees otherwise).
    peers = load(data, policies, on) or compute(policies, on)
    assert peers is not None
    return _remember(key, peers)


def store(job: MatchJob, versions: Sequence[PolicyVersion]) -> None:
    """Compute the statistics for the job's versions, once, before its partitions are taken."""
    from gaoxin.policies.matching import rules_policy

    on = job.evaluated_on
    policies = needing([rules_policy(v) for v in versions], on)
    peers = compute(policies, on)
    if peers is not None:
        job.peers = dump(peers, policies, on)
        job.save(update_fields=["peers"])


def of_runs(runs: Sequence[MatchRun]) -> Peers | None:
    """The statistics runs planned together are matched with: their job's; the registry's
    current ones for a run planned before jobs stored them. None when no policy needs any."""
    from gaoxin.policies.matching import rules_policy

    on = runs[0].evaluated_on
    policies = needing([rules_policy(run.version) for run in runs], on)
    if not policies:
        return None
    job_id = runs[0].job_id
    if job_id is not None:
        job = MatchJob.objects.only("started_at").get(pk=job_id)
        key = ("job", job_id, job.started_at)
        if key in _loaded:
            return _loaded[key]
        data = MatchJob.objects.filter(pk=job_id).values_list("peers", flat=True).get()
        peers = load(bytes(data), policies, on) if data is not None else None
        if peers is not None:
            return _remember(key, peers)
    return current([run.version for run in runs], on)
