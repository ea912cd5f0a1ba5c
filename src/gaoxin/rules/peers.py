"""Standing among peers: `rank(x, chain)`, `percentile(x, chain)`, `peer_avg(x, chain)` — and
without a group, over the whole population evaluated (the zone's registry).

An enterprise's standing depends on the other enterprises, so both evaluators read the same
population statistics (`Peers`), computed once from the population:

- in batch, `evaluate`/`evaluate_wide` compute them from the frame they are given when no
  `peers=` is passed (the frame is the population); a caller that evaluates the population in
  parts (chunks, partitions) computes them once with `population(policies, frame, date)` over
  the whole of it and passes them to each part;
- the explanation of one enterprise is given them (`explain(..., peers=...)`); without them
  its standing is unknown.

Semantics: peers are the enterprises of the population with the same group value (the same
`chain`); an enterprise whose x is unknown is left out of the statistics and its rank and
percentile are unknown; one whose group is unknown has no peers (unknown).

- `rank(x, g)` = 1 + the number of peers whose x is strictly greater (ties share the better
  rank: two firsts, then third);
- `percentile(x, g)` = the share of peers (with a known x) whose x is ≤ this one's (the highest
  has 100%);
- `peer_avg(x, g)` = the mean of the peers' x, rounded half-up to 6 decimals (0.0001% for a
  ratio); each value enters the sum rounded half-up to 12 decimals."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from . import ast as A
from .errors import ExprError
from .items import ITEM_FUNCTIONS
from .resolve import subtrees
from .types import BOOL, DATE, NUMBER, TEXT, Type

FUNCTIONS = {
    "rank": "rank(x, chain) — 1 for the highest x among enterprises of the same chain; "
    "rank(x) among all",
    "percentile": "percentile(x, chain) — the share of peers whose x is at most this one's",
    "peer_avg": "peer_avg(x, chain) — the average x of enterprises of the same chain; "
    "peer_avg(x) of all",
}
ALL = ()  # the group of every enterprise, for a statistic without a group
MEAN_DIGITS = 6
TERM_DIGITS = 12
Key = tuple[A.Node, A.Node | None]
_tokens = itertools.count(1)


@dataclass(frozen=True)
class Group:
    """One group's known values, ascending, exactly, as reduced (numerator, denominator)
    pairs; `keys` are the same values as floats (num / den is correctly rounded, so never out
    of order): a search on them is exact except among values whose floats are equal, which are
    compared exactly."""

    pairs: tuple[tuple[int, int], ...]
    mean: Fraction | None
    keys: tuple[float, ...] = field(default=(), compare=False, repr=False)

    @property
    def values(self) -> tuple[Fraction, ...]:
        return tuple(Fraction(n, d) for n, d in self.pairs)

    @staticmethod
    def of(pairs: Iterable[tuple[int, int]]) -> Group:
        """From (numerator, denominator > 0) pairs."""
        gcd = math.gcd
        keyed = sorted(
            (num / den, num // g, den // g) for num, den in pairs for g in (gcd(num, den),)
        )
        if not keyed:
            return Group((), None)
        keys = [k for k, _, _ in keyed]
        reduced = [(num, den) for _, num, den in keyed]
        runs: list[list[int]] = []  # stretches of equal floats: put in exact order
        for i in range(1, len(keys)):
            if keys[i] == keys[i - 1]:
                if runs and runs[-1][1] == i:
                    runs[-1][1] = i + 1
                else:
                    runs.append([i - 1, i + 1])
        for a, b in runs:
            reduced[a:b] = sorted(reduced[a:b], key=lambda p: Fraction(*p))
        scale = 10**TERM_DIGITS
        total = sum(_half_up(num * scale, den) for num, den in reduced)
        mean = _half_up(total * 10**MEAN_DIGITS, len(reduced) * scale)
        return Group(tuple(reduced), Fraction(mean, 10**MEAN_DIGITS), tuple(keys))

    def at_most(self, num: int, den: int) -> int:
        """How many values are ≤ num / den (den > 0)."""
        f = num / den
        low = bisect.bisect_left(self.keys, f)
        high = bisect.bisect_right(self.keys, f, lo=low)
        return low + sum(1 for n, d in self.pairs[low:high] if n * den <= num * d)


def _half_up(num: int, den: int) -> int:
    """num / den (den > 0) rounded half away from zero to an integer."""
    n = (abs(num) * 2 + den) // (2 * den)
    return n if num >= 0 else -n


@dataclass
class Peers:
    """Population statistics: per statistic (x, group), each group's values."""

    groups: dict[Key, dict[Any, Group]]
    size: int  # enterprises in the population
    token: int = field(default_factory=lambda: next(_tokens))

    def value(self, fn: str, key: Key, group: Any, x: Any) -> Fraction | None:
        if group is None:
            return None
        g = self.groups.get(key, {}).get(group)
        if fn == "peer_avg":
            return None if g is None else g.mean
        if x is None or g is None or not g.pairs:
            return None
        x = Fraction(x)
        below = g.at_most(x.numerator, x.denominator)
        if fn == "rank":
            return Fraction(1 + len(g.pairs) - below)
        return Fraction(below, len(g.pairs))


# -- checking ---------------------------------------------------------------------------------


def check(checker: Any, n: A.Call) -> tuple[A.Node, Type]:
    fn, args = n.fn, n.args
    if checker.scope.beneficiary != "enterprise":
        raise ExprError(
            f"{fn}() compares enterprises: a policy for a {checker.scope.beneficiary} can't use it",
            n.span[0],
            "peers are the enterprises evaluated, not persons or providers",
        )
    if getattr(checker, "item_table", None) is not None:
        raise ExprError(
            f"{fn}() can't be inside sum_over() or count_over()",
            n.span[0],
            "an item is compared with its own fields; compare the enterprise outside the sum",
        )
    if len(args) not in (1, 2):
        raise ExprError(f"{fn}() takes 1 or 2 arguments", n.span[0], f"write {FUNCTIONS[fn]}")
    x, t = checker.operand(args[0], NUMBER, f"{fn}() needs a number to compare enterprises by")
    _own_data_only(x, fn)
    out = [x]
    if len(args) == 2:
        g, tg = checker.visit(args[1])
        if tg.base not in (TEXT, BOOL, DATE):
            raise ExprError(
                f"{fn}() groups peers by text, a yes/no or a date, not a {tg}",
                args[1].span[0],
                f"write e.g. {fn}(growth(revenue, Y-1), chain)",
            )
        _own_data_only(g, fn)
        out.append(g)
    kind = {"rank": "plain", "percentile": "percent"}.get(fn, t.kind)
    return A.Call(fn, tuple(out), span=n.span), Type(NUMBER, kind)


def _own_data_only(n: A.Node, fn: str) -> None:
    for sub in subtrees(n):
        if isinstance(sub, A.Input):
            raise ExprError(
                f"{fn}() compares registry data: '{sub.name}' is declared by the applicant",
                sub.span[0],
                "peers are compared on fields every enterprise has in the registry",
            )
        if isinstance(sub, A.Call) and sub.fn in ("received", "times_received"):
            raise ExprError(
                f"{sub.fn}() can't be inside {fn}()",
                sub.span[0],
                "peers are compared on registry data, not on what each was paid",
            )
        if isinstance(sub, A.Call) and sub.fn in (*FUNCTIONS, "manual", *ITEM_FUNCTIONS):
            raise ExprError(f"{sub.fn}() can't be inside {fn}()", sub.span[0])


def calls(nodes: Iterable[A.Node | None]) -> list[A.Call]:
    """The peer statistics `nodes` (resolved trees) read, each once."""
    found: dict[A.Node, A.Call] = {}
    for n in nodes:
        for sub in subtrees(n):
            if isinstance(sub, A.Call) and sub.fn in FUNCTIONS:
                found.setdefault(sub, sub)
    return list(found.values())


def key_of(n: A.Call) -> Key:
    return (n.args[0], n.args[1] if len(n.args) > 1 else None)


# -- the population ---------------------------------------------------------------------------


def resolved_trees(policies: Sequence[Any], date: dt.date) -> list[A.Node]:
    from .resolve import resolve

    trees: list[A.Node] = []
    for p in policies:
        r = resolve(p, date)
        trees += [n for _, n in r.conditions if n is not None]
        trees += [n for n in r.automatic if n is not None]
        if r.benefit is not None:
            trees.append(r.benefit)
    return trees


def uses_peers(policies: Sequence[Any], date: dt.date) -> bool:
    return bool(calls(resolved_trees(policies, date)))


def columns_needed(policies: Sequence[Any], date: dt.date) -> set[str]:
    """The frame columns the population's statistics read."""
    from .compiler import columns_read

    out: set[str] = set()
    for c in calls(resolved_trees(policies, date)):
        out |= columns_read(c)
    return out


def from_source(policies: Sequence[Any], source: Any, date: dt.date) -> Peers | None:
    """The statistics over a whole enterprise file (stream.EnterpriseFile), read once before
    its chunks are evaluated; None when no policy needs them."""
    import polars as pl

    if not uses_peers(policies, date):
        return None
    columns = source.columns_for(columns_needed(policies, date))
    parts = list(source.chunks(columns))
    frame = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
    return population(policies, frame, date)


def from_records(
    policies: Sequence[Any],
    records: Sequence[Mapping[tuple[str, int | None], Any]],
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
) -> Peers:
    """The statistics of a population given as records (values.record), by the scalar
    evaluator: what `rules test` uses (a test's enterprise and its `population:`)."""
    from .scalar import Evaluator

    keys = list(dict.fromkeys(key_of(c) for c in calls(resolved_trees(policies, date))))
    groups: dict[Key, dict[Any, Group]] = {}
    for key in keys:
        x, g = key
        found: dict[Any, list[tuple[int, int]]] = {}
        for rec in records:
            ev = Evaluator(dict(rec), date)  # no inputs: see evaluate()
            gv = ev.eval(g) if g is not None else ALL
            xv = ev.eval(x)
            if gv is not None and xv is not None:
                xf = Fraction(xv)
                found.setdefault(gv, []).append((xf.numerator, xf.denominator))
        groups[key] = {gv: Group.of(vs) for gv, vs in found.items()}
    return Peers(groups, len(records))


def population(
    policies: Sequence[Any],
    frame: Any,
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
) -> Peers:
    """The statistics of a population given as a frame (the flat layout, as `evaluate`
    reads it): each x computed by the batch compiler, exactly, then grouped in Python."""
    import polars as pl

    from . import exact as X
    from .compiler import Compiler, _lit, _Null
    from .frame import prepare

    keys = list(dict.fromkeys(key_of(c) for c in calls(resolved_trees(policies, date))))
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    size = int(lf.select(pl.len()).collect().item())
    groups: dict[Key, dict[Any, Group]] = {}
    for key in keys:
        x, g = key
        comp = Compiler(date)  # no inputs: see evaluate()
        comp.policy = policies[0]
        try:
            q = comp.q(x)
            gv = comp.value(g) if g is not None else None
        except X.CompileError:
            groups[key] = _slow(policies, frame, date, inputs, key)
            continue
        if isinstance(gv, _Null):
            groups[key] = {}
            continue
        columns = [
            q.num.expr(True).alias("num"),
            q.den.expr(True).alias("den"),
            (_lit(gv.e) if g is not None else pl.lit(0)).alias("group"),  # type: ignore[union-attr]
        ]
        out = prepare(lf, comp.needed).select(columns).collect()
        found: dict[Any, list[tuple[int, int]]] = {}
        for num, den, group in out.iter_rows():
            if num is None or den is None or (g is not None and group is None):
                continue
            found.setdefault(group if g is not None else ALL, []).append((num, den))
        groups[key] = {gv: Group.of(vs) for gv, vs in found.items()}
    return Peers(groups, size)


def _slow(
    policies: Sequence[Any], frame: Any, date: dt.date, inputs: Any, key: Key
) -> dict[Any, Group]:
    """What Int128 can't hold, row by row in the scalar evaluator."""
    import polars as pl

    from .frame import records

    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    found = from_records(policies, records(df), date, inputs)
    return found.groups.get(key, {})


# -- evaluation -------------------------------------------------------------------------------


def evaluate(ev: Any, n: A.Call) -> Any:
    """The scalar side: this enterprise's group and x, against the population's statistics."""
    x, g = key_of(n)
    # Declared inputs (through a parameter) have no value among peers: nobody else declared
    # them. The reads are this enterprise's, as the explanation lists them.
    own = type(ev)(ev.rec, ev.on, {}, ev.peers)
    group = own.eval(g) if g is not None else ALL
    value = own.eval(x) if n.fn != "peer_avg" else None
    ev.reads += own.reads
    peers = getattr(ev, "peers", None)
    if peers is None:
        return None
    return peers.value(n.fn, (x, g), group, value)


def compile_call(comp: Any, n: A.Call) -> Any:
    """The batch side: the same function of (group, x) on each row."""
    import polars as pl

    from .compiler import NULL, Q, _lit, _Null
    from .exact import I64, Int

    peers: Peers | None = comp.peers
    if peers is None:
        return NULL
    x, g = key_of(n)
    table = peers.groups.get((x, g), {})
    # x and the group read from the frame alone (no staged columns of the caller's, no
    # inputs: see evaluate()), so that the Python function below is staged in the first stage.
    own = type(comp)(comp.date, None, peers)
    own.policy = comp.policy
    gv = own.value(g) if g is not None else None
    comp.needed.update(own.needed)
    if isinstance(gv, _Null):
        return NULL
    group = _lit(gv.e) if gv is not None else pl.lit(0)
    if n.fn == "peer_avg":
        means = {k: v.mean for k, v in table.items() if v.mean is not None}
        scale = 10**MEAN_DIGITS
        nums = {k: int(v * scale) for k, v in means.items()}
        bound = max((abs(v) for v in nums.values()), default=0)
        wide = bound > I64
        dtype = pl.Int128 if wide else pl.Int64
        if g is None:
            if ALL not in nums:
                return NULL
            return Q(Int.of(nums[ALL]), Int.of(scale))
        if not nums:
            return NULL
        e = group.replace_strict(list(nums), list(nums.values()), default=None, return_dtype=dtype)
        return Q(Int(e, bound, wide), Int.of(scale))
    q = own.q(x)
    comp.needed.update(own.needed)
    key = (x, g)
    fn = n.fn

    def run(part: str) -> pl.Expr:
        def one(s: pl.Series) -> pl.Series:
            # rank: 1 + those above; percentile: those at most / all (not reduced)
            out: list[int | None] = []
            for num, den, grp in s.struct.unnest().iter_rows():
                found = table.get(grp if g is not None else ALL)
                if num is None or den is None or found is None or not found.pairs:
                    out.append(None)
                elif fn == "rank":
                    out.append(1 + len(found.pairs) - found.at_most(num, den))
                else:
                    out.append(found.at_most(num, den) if part == "num" else len(found.pairs))
            return pl.Series(s.name, out, dtype=pl.Int64)

        fields = [q.num.expr(True).alias("n"), q.den.expr(True).alias("d"), group.alias("g")]
        e = pl.struct(fields).map_batches(one, return_dtype=pl.Int64, is_elementwise=True)
        return comp.stage_exact(e, f"{fn} {part} {key!r}")

    size = max(peers.size, 1)
    if fn == "rank":
        return Q(Int(run("num"), size + 1, nonneg=True), Int.of(1))
    # percentile: count/size, both read back (the fraction comes reduced)
    return Q(Int(run("num"), size, nonneg=True), Int(run("den"), size, nonneg=True))


def describe(d: Any, n: A.Call) -> str:
    x = d(n.args[0])
    who = f"同{d(n.args[1])}的企业" if len(n.args) > 1 else "全区企业"
    if n.fn == "rank":
        return f"{x}在{who}中的排名（由高到低，第1名最高）"
    if n.fn == "percentile":
        return f"{x}在{who}中的百分位（不高于它的企业所占比例）"
    return f"{who}的{x}平均值"
