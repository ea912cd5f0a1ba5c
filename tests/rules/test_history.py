"""Payout history (rules/history.py): received(), times_received(), benefit.lifetime_cap and
excludes — located check errors, wording, and batch ≡ explanation on hand-written and
generated histories (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaoxin.rules import STATUSES, PolicyErrors, explain, load_file
from gaoxin.rules.batch import evaluate_wide
from gaoxin.rules.describe import describe
from gaoxin.rules.history import TITLES, uses_history

from .helpers import DATE, policy


def error_of(body: str) -> str:
    with pytest.raises(PolicyErrors) as info:
        policy(body)
    return str(info.value.errors[0])


ONCE = """
conditions:
  - label: 此前未获本项奖励
    when: times_received(self) == 0
  - label: 上年度本组政策合计未满100万元
    when: received("a", "b", Y-1) < 100万
benefit:
  amount: 30万
  lifetime_cap: 50万
excludes: [other-award]
"""


def paid(pid: str, year: int, amount: object) -> dict:
    return {"policy": pid, "year": year, "amount": amount}


def test_once_per_enterprise_group_cap_lifetime_cap_and_excludes():
    p = policy(ONCE)
    assert uses_history(p)
    assert explain(p, {}, DATE).status == "eligible"
    assert explain(p, {}, DATE).amount == Decimal("300000.00")
    own = explain(p, {"payouts": [paid("t", 2020, "30万")]}, DATE)
    assert own.status == "ineligible"
    assert explain(p, {"payouts": [paid("other-award", 2019, 1)]}, DATE).status == "ineligible"
    group = [paid("a", 2024, "60万"), paid("b", 2024, "40万"), paid("b", 2023, "50万")]
    assert explain(p, {"payouts": group}, DATE).status == "ineligible"
    group[0] = paid("a", 2024, "59.99万")
    assert explain(p, {"payouts": group}, DATE).status == "eligible"


def test_lifetime_cap_pays_what_is_left_and_stops_at_the_cap():
    p = policy("conditions: []\nbenefit:\n  amount: 30万\n  lifetime_cap: 50万\n")
    left = explain(p, {"payouts": [paid("t", 2023, "30万")]}, DATE)
    assert left.amount == Decimal("200000.00")
    lines = [(i.table, i.label, i.amount) for i in left.items]
    assert ("兑现记录", "t", Decimal("300000.00")) in lines
    used = explain(p, {"payouts": [paid("t", 2023, "30万"), paid("t", 2024, "20万")]}, DATE)
    assert used.status == "ineligible"
    assert used.conditions[-1].label == "累计获得本政策资金未达上限（累计最高不超过50万元）"
    assert "此前累计获得本政策的资金 50万元，需 < 50万元" in used.shortfalls[0].text
    # a payout whose amount is unknown: what is left is unknown
    assert explain(p, {"payouts": [paid("t", 2023, None)]}, DATE).status == "unknown"


def test_years_select_the_payouts_counted():
    p = policy(
        'conditions:\n  - label: c\n    when: received("a", Y-2, Y-1) >= 10万\n'
        'benefit:\n  amount: times_received("a", 2023) * 1万\n'
    )
    rows = [paid("a", 2022, "10万"), paid("a", 2023, "5万"), paid("a", 2023, "5万")]
    e = explain(p, {"payouts": rows}, DATE)
    assert (e.status, e.amount) == ("eligible", Decimal("20000.00"))
    assert explain(p, {"payouts": rows[:2]}, DATE).status == "ineligible"


@pytest.mark.parametrize(
    ("when", "where", "message"),
    [
        ('received("torch gazelle") > 0', ":7:20:", "'torch gazelle' is not a policy id"),
        (
            "received(gazelle) > 0",
            ":7:20:",
            'received() needs a policy id first (quote it: received("gazelle"))',
        ),
        ("received() > 0", ":7:11:", "received() needs a policy id"),
        ('received("a", 2024-01-01) > 0', ":7:25:", "a year is a number such as Y"),
        ('received("a", Y, "b") > 0', ":7:28:", "policy ids come before the years"),
        ('received("a", Y-2, Y-1, Y) > 0', ":7:35:", "takes one year or a first and a last"),
        ('received("a") > 3', "", ""),
        ('count_over(patents, received("a") > 0) > 0', ":7:31:", "can't be used inside sum_over()"),
        ('rank(received("a")) <= 3', ":7:16:", "received() can't be inside rank()"),
    ],
)
def test_check_errors_are_located(when: str, where: str, message: str):
    body = f"conditions:\n  - label: c\n    when: {when}\n"
    if not message and not where:
        policy(body)  # fine: an id of another file is not looked up
        return
    got = error_of(body)
    assert where in got and message in got, got


def test_history_keys_are_checked_where_written():
    assert ":5:15: 'a b' is not a policy id" in error_of("excludes: [a, 'a b']\nconditions: []\n")
    assert "a policy can't exclude itself" in error_of("excludes: [t]\nconditions: []\n")
    got = error_of("conditions: []\nbenefit:\n  amount: 1万\n  lifetime_cap: 10%\n")
    assert ":8:17: lifetime_cap must be an amount of money" in got
    person = 'beneficiary: person\nconditions:\n  - label: c\n    when: received("a") == 0\n'
    assert "received() reads what the enterprise received; this policy pays a person" in (
        error_of(person)
    )


def test_wording():
    for other in ("a", "b", "other-award"):  # other tests may have loaded policies so named
        TITLES.pop(other, None)
    p = policy(ONCE)
    texts = [describe(c.when, p, DATE) for c in p.conditions if c.when is not None]
    assert texts[0] == "已获得本政策兑现的次数（历年累计） = 0"
    unloaded = "已获得「编号为 a 的政策」「编号为 b 的政策」的资金（评估年度 − 1年度）"
    assert texts[1].startswith(unloaded)
    assert p.conditions[-1].label == "未享受过与本政策不得同时享受的政策"
    assert describe(p.conditions[-1].when, p, DATE).startswith("已获得「编号为 other-award")
    later = policy('conditions:\n  - label: c\n    when: received("t") > 0\n')
    assert describe(later.conditions[0].when, later, DATE).startswith("已获得本政策的资金")


# -- batch ≡ explanation ---------------------------------------------------------------------


def _flat(row: dict) -> dict:
    """A test enterprise (nested layout) as a flat row: revenue: {2024: x} → revenue_2024."""
    out: dict = {}
    for k, v in row.items():
        if k == "payouts":
            continue
        if isinstance(v, dict):
            out.update({f"{k}_{y}": x for y, x in v.items()})
        else:
            out[k] = v
    return out


def agree(p, rows: list[dict], date: dt.date = DATE, inputs: dict | None = None) -> None:
    ents = pl.DataFrame([_flat(r) for r in rows], infer_schema_length=None)
    flat = [dict(item, uscc=r["uscc"]) for r in rows for item in r.get("payouts", [])]
    items = {"payouts": pl.DataFrame(flat, infer_schema_length=None)} if flat else {}
    wide = evaluate_wide([p], ents, date, inputs or None, items=items)
    for i, row in enumerate(rows):
        e = explain(p, row, date, inputs or None)
        status = STATUSES[wide[f"status:{p.id}"][i]]
        column = f"bound:{p.id}" if p.bounded else f"amount:{p.id}"
        fen = wide[column][i] if column in wide.columns else None
        money = e.bound if p.bounded else e.amount
        assert (status, None if fen is None else Decimal(fen) / 100) == (e.status, money), (row, e)


_PAYOUT = st.fixed_dictionaries(
    {
        "policy": st.sampled_from(["t", "a", "b", "other-award"]),
        "year": st.integers(2021, 2025),
        "amount": st.one_of(
            st.none(), st.sampled_from(["10万", "20万", "30万", "59.99万", "0.01"])
        ),
    }
)
_POLICIES = [
    ONCE,
    'conditions: []\nbenefit:\n  amount: min(50万 - received("a", "b", Y), 20万)\n',
    'conditions:\n  - label: c\n    when: times_received("a", Y-2, Y) < 2\n'
    "benefit:\n  amount: 10万\n  lifetime_cap: 25万\n",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_POLICIES),
    st.lists(st.lists(_PAYOUT, max_size=5), min_size=1, max_size=6),
)
def test_batch_agrees_with_the_explanation(body: str, histories: list[list[dict]]):
    p = policy(body)
    rows = [{"uscc": f"U{i}", "payouts": h} for i, h in enumerate(histories)]
    agree(p, rows)


@pytest.mark.parametrize(
    "path",
    [
        "b4-huangpu-gazelle.yaml",
        "b6-fujian-little-giant.yaml",
        "b6-fuzhou-little-giant-match.yaml",
        "d3-ip-standard-certification.yaml",
        "h2-nanshan-listing-stages.yaml",
        "h4-fujian-listing-stages.yaml",
        "j1-xiamen-industrial-investment.yaml",
        "k1-torch-gazelle.yaml",
    ],
)
def test_the_examples_agree_in_batch(path: str):
    p = load_file(f"policies/examples/{path}")
    assert uses_history(p)
    for t in p.tests:
        agree(p, [{"uscc": "91350200MA00000001", **t.enterprise}], t.date, t.inputs)


def test_the_cli_reads_the_payouts_as_an_item_table_and_writes_bounds(tmp_path, capsys):
    from gaoxin.rules.cli import main

    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "k1.yaml").write_text(
        "id: once\ntitle: 测试\nsource: 测试\ncategory: award\nonce_per: enterprise\n"
        "conditions: []\nbenefit:\n  upto: 30万\n",
        "utf-8",
    )
    ents = tmp_path / "e.csv"
    pl.DataFrame({"uscc": ["A", "B"]}).write_csv(ents)
    paid = tmp_path / "payouts.csv"
    pl.DataFrame({"uscc": ["A"], "policy": ["once"], "year": [2024], "amount": [300000]}).write_csv(
        paid
    )
    args = ["evaluate", "--policies", str(tmp_path / "p"), "--enterprises", str(ents)]
    args += ["--date", "2025-06-30", "--items", f"payouts={paid}"]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [
        "uscc,policy,status,amount",
        "A,once,ineligible,",
        "B,once,eligible,",  # a bound: no amount in the long layout
    ]
    assert main([*args, "--layout", "wide"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "uscc,status:once,bound:once",
        "A,ineligible,",
        "B,eligible,300000.00",
    ]
