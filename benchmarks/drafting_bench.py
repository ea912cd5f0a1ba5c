"""Policy text → draft rule: how many fields the extractor finds right over the 25 clauses of
docs/policy-examples.md, against the hand annotations of benchmarks/drafting/gold.yaml.

    .venv/bin/python benchmarks/drafting_bench.py          # per clause and total
    .venv/bin/python benchmarks/drafting_bench.py -v       # also list misses and extras

An item found is right when its kind, value (with unit) and comparison equal a gold item's
(each gold item matches once). The field it refers to is scored separately, over the matched
items. Also prints how many of the 25 drafts pass `gaoxin rules check` and the time taken."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from gaoxin.policies import drafting  # noqa: E402

EXAMPLES = REPO / "docs" / "policy-examples.md"
GOLD = REPO / "benchmarks" / "drafting" / "gold.yaml"
HELDOUT = REPO / "benchmarks" / "drafting" / "heldout.yaml"
Key = tuple[str, str, str, str]  # kind, value, unit, comparison


def clauses(path: Path = EXAMPLES) -> dict[str, str]:
    """clause id → the quoted text (the lines starting with "> " under "### ID — …")."""
    found: dict[str, str] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### (\w+) — ", line)
        if heading:
            current = heading.group(1)
            continue
        if current and line.startswith("> "):
            found[current] = (found.get(current, "") + line[2:]).strip()
    return found


def gold_value(text: str) -> tuple[str, str]:
    """A gold value as (normalised value, unit): 2000万元 → (20000000, 元), 10% → (0.1, "")."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text).isoformat(), "日"
    for suffix, unit, scale in (
        ("万元", "元", Decimal(10_000)),
        ("亿元", "元", Decimal(100_000_000)),
        ("元", "元", Decimal(1)),
        ("%", "", Decimal("0.01")),
        ("‰", "", Decimal("0.001")),
        ("m²", "m²", Decimal(1)),
        ("个月", "个月", Decimal(1)),
        ("年", "年", Decimal(1)),
        ("分", "分", Decimal(1)),
        ("人", "人", Decimal(1)),
    ):
        if text.endswith(suffix):
            return _norm(Decimal(text.removesuffix(suffix)) * scale), unit
    raise ValueError(f"unreadable gold value {text!r}")


def _norm(value: Decimal) -> str:
    return format(value.normalize(), "f")


def rows_of(lines: list[str]) -> list[tuple[Key, str | None]]:
    rows = []
    for line in lines:
        kind, value, op, fld = line.split()
        norm, unit = gold_value(value)
        rows.append(((kind, norm, unit, op), None if fld == "-" else fld))
    return rows


def load_heldout(
    path: Path = HELDOUT,
) -> tuple[dict[str, str], dict[str, list[tuple[Key, str | None]]]]:
    """The held-out clauses: (id → text, id → gold items)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return (
        {cid: c["text"] for cid, c in data.items()},
        {cid: rows_of(c["items"]) for cid, c in data.items()},
    )


def load_gold(path: Path = GOLD) -> dict[str, list[tuple[Key, str | None]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {cid: rows_of(lines) for cid, lines in data.items()}


def key_of(item: drafting.Item) -> Key:
    value = item.value.isoformat() if isinstance(item.value, dt.date) else _norm(item.value)
    return (item.kind, value, item.unit, item.comparison)


def match(
    found: Iterable[tuple[Key, str | None]], gold: list[tuple[Key, str | None]]
) -> tuple[list[tuple[Key, str | None, str | None]], list[Key], list[Key]]:
    """(matched with found and gold field, extras, misses); each gold item matches once, in
    order."""
    left = list(gold)
    matched, extras = [], []
    for key, fld in found:
        hit = next((g for g in left if g[0] == key), None)
        if hit is None:
            extras.append(key)
            continue
        left.remove(hit)
        matched.append((key, fld, hit[1]))
    return matched, extras, [g[0] for g in left]


def show(key: Key) -> str:
    kind, value, unit, op = key
    return f"{kind} {op} {value}{unit}"


def score(
    name: str,
    texts: dict[str, str],
    gold: dict[str, list[tuple[Key, str | None]]],
    verbose: bool,
) -> None:
    total_found = total_gold = total_right = fields_right = passed = 0
    started = time.perf_counter()
    print(f"\n{name}")
    print(f"{'clause':<13}{'gold':>5}{'found':>6}{'right':>6}{'P':>7}{'R':>7}{'field':>7}  check")
    for cid in texts:
        items = drafting.extract(texts[cid])
        found = [(key_of(i), i.field) for i in items]
        matched, extras, misses = match(found, gold[cid])
        right = len(matched)
        field_ok = sum(1 for _k, f, g in matched if f == g)
        problems = drafting.check_draft(drafting.draft_rule(texts[cid], items))
        passed += not problems
        total_found += len(found)
        total_gold += len(gold[cid])
        total_right += right
        fields_right += field_ok
        p = right / len(found) if found else 1.0
        r = right / len(gold[cid]) if gold[cid] else 1.0
        print(
            f"{cid:<13}{len(gold[cid]):>5}{len(found):>6}{right:>6}{p:>7.0%}{r:>7.0%}"
            f"{f'{field_ok}/{right}':>7}  {'ok' if not problems else problems[0]}"
        )
        if verbose:
            for key in misses:
                print(f"         missed  {show(key)}")
            for key in extras:
                print(f"         extra   {show(key)}")
            for key, f, g in matched:
                if f != g:
                    print(f"         field   {show(key)}: found {f}, gold {g}")
    elapsed = time.perf_counter() - started
    precision = total_right / total_found if total_found else 0.0
    recall = total_right / total_gold if total_gold else 0.0
    print(
        f"total: {total_right} right of {total_found} found, {total_gold} in gold — "
        f"precision {precision:.1%}, recall {recall:.1%}; "
        f"field right {fields_right}/{total_right} ({fields_right / max(total_right, 1):.1%})"
    )
    print(f"drafts passing `gaoxin rules check`: {passed}/{len(texts)}")
    load = os.getloadavg()
    print(
        f"time: {elapsed * 1000:.0f} ms for {len(texts)} clauses (extract + draft + check), "
        f"load average {load[0]:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and extras")
    args = ap.parse_args(argv)
    texts = clauses()
    gold = load_gold()
    assert set(texts) == set(gold), (sorted(set(texts) ^ set(gold)), "clauses differ from gold")
    drafting.extract("预热")  # jieba builds its prefix dictionary once
    score(
        "The 25 clauses of docs/policy-examples.md (the patterns' development set)",
        texts,
        gold,
        args.verbose,
    )
    held_texts, held_gold = load_heldout()
    score(
        "Held-out clauses (benchmarks/drafting/heldout.yaml)",
        held_texts,
        held_gold,
        args.verbose,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
