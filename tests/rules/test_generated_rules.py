"""Generated rules: any policy that passes check is evaluated the same by the batch (Polars)
and by the explanation (exact scalar), for every enterprise — status and amount.

Hypothesis writes policies from the language's grammar (ratios of money, averages of ratios,
year ranges, min/max/if/round, growth and cagr, numeric tables and tables of text values,
marginal bands, certificates, dates relative to an event (within, months_since, year_after,
first_time), text fields, declared inputs, what was already received (received,
times_received over the payouts table)) and enterprises with missing
values, zeros and boundary amounts. Every generated file must pass check; then the two
evaluators must agree row for row."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gaoxin.rules import STATUSES, explain, load_text
from gaoxin.rules.batch import clear_plan_cache, evaluate_wide
from gaoxin.rules.peers import population

DATE = dt.date(2025, 6, 30)  # Y = 2025
DATES = st.sampled_from(
    [DATE, dt.date(2024, 2, 29), dt.date(2026, 1, 1), dt.date(2025, 2, 28), dt.date(2025, 3, 31)]
)
YEARS = (2021, 2022, 2023, 2024)
MONEY = ("revenue", "rd_expense", "total_assets", "net_profit")  # net_profit may be negative
COUNTS = ("employees", "tech_staff", "rd_staff")
CHAINS = ("集成电路", "软件", "生物医药")

# -- expressions -----------------------------------------------------------------------------

year = st.sampled_from(["Y-1", "Y-2", "Y-3", "2024"])
money_field = st.builds(lambda f, y: f"{f}[{y}]", st.sampled_from(MONEY), year)
money_const = st.sampled_from(["0", "1", "5000万", "2亿", "1.5万", "200万元", "0.01", "3"])
ratio_const = st.sampled_from(["5%", "35%", "0%", "100%", "1.2‰", "2.5%"])
count_field = st.sampled_from(COUNTS)
a_range = st.sampled_from(["[Y-3..Y-1]", "[Y-2..Y-1]", "[2022..2024]"])


def quoted(items: list[str]) -> str:
    return ", ".join('"' + c + '"' for c in items)


def ratio(a: str, b: str) -> str:
    return f"({a}) / ({b})"


@st.composite
def number(draw: st.DrawFn, depth: int = 0) -> str:
    """A number-valued expression (money, count, ratio or plain)."""
    leaves = [
        money_field,
        money_const,
        ratio_const,
        count_field,
        st.builds(ratio, money_field, money_field),
        st.builds(
            lambda f, r, fn: f"{fn}({f}{r})",
            st.sampled_from(MONEY),
            a_range,
            st.sampled_from(["sum", "avg", "min", "max", "count"]),
        ),
        st.just(
            "(rd_expense[Y-1] / revenue[Y-1] + rd_expense[Y-2] / revenue[Y-2]"
            " + rd_expense[Y-3] / revenue[Y-3]) / 3"
        ),
        st.builds(lambda f: f"growth({f}, Y-1)", st.sampled_from(MONEY[:3])),
        st.just("years_since(registered_at)"),
        st.just("year_of(high_tech_enterprise)"),
        st.sampled_from(["months_since(registered_at)", "year_after(high_tech_enterprise)"]),
        st.sampled_from(["band", "marginal(band)", "rate", "fee", "since", "level", "floor"]),
        # presence and fallback, parameters as of a date, standing among peers
        st.sampled_from(
            [
                "coalesce(revenue[Y-1], revenue[Y-2], 0)",
                "coalesce(fee, rd_expense[Y-1])",
                "as_of(rate, registered_at)",
                "as_of(rate, date(Y - 1, 12, 31))",
                "as_of(rate, date(year_of(high_tech_enterprise), 1, 1))",
                "rank(revenue[Y-1], chain)",
                "rank(rd_expense[Y-1] / revenue[Y-1])",
                "percentile(growth(revenue, Y-1), in_zone)",
                "peer_avg(rd_expense[Y-1] / revenue[Y-1], chain)",
                "peer_avg(revenue[Y-1])",
            ]
        ),
        # what the enterprise already received (the payouts table)
        st.sampled_from(
            [
                'received("a")',
                "received(self, Y-1)",
                'received("a", "gen", Y-2, Y)',
                "times_received(self)",
                'times_received("a", 2024)',
            ]
        ),
    ]
    if depth >= 2:
        return draw(st.one_of(leaves))
    sub = number(depth + 1)
    composite = [
        st.builds(lambda a, op, b: f"({a}) {op} ({b})", sub, st.sampled_from("+-*/"), sub),
        st.builds(lambda a, b, fn: f"{fn}({a}, {b})", sub, sub, st.sampled_from(["min", "max"])),
        st.builds(lambda c, a, b: f"if({c}, {a}, {b})", condition(depth + 1), sub, sub),
        st.builds(lambda a, d: f"round({a}, {d})", sub, st.sampled_from([0, 2, 4])),
        st.builds(lambda a, fn: f"{fn}({a})", sub, st.sampled_from(["floor", "ceil", "abs"])),
        st.builds(lambda a: f"-({a})", sub),
    ]
    return draw(st.one_of(*leaves, *composite))


@st.composite
def condition(draw: st.DrawFn, depth: int = 0) -> str:
    """A true/false expression."""
    leaves = [
        st.builds(
            lambda a, op, b: f"{a} {op} {b}",
            number(max(depth, 1)),
            st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
            number(max(depth, 1)),
        ),
        st.sampled_from(
            [
                "in_zone",
                "not major_incident",
                "has(high_tech_enterprise)",
                "has(tech_sme)",
                'starts_with(industry, "C39")',
                'tier == "大"',
                'tier != "小"',
                "first_time",
                "registered_at <= 2020-06-30",
                "cagr(revenue, Y-3, Y-1) >= 20%",
                "cagr(rd_expense, Y-2, Y-1) < 0%",
                "employees in [10, 100, 300]",
                "year_of(high_tech_enterprise) == Y - 1",
                'if(in_zone, chain, "无") == "软件"',
                "if(first_time, registered_at, 2020-01-01) > 2019-06-30",
                "within(high_tech_enterprise, 3年)",
                "within(registered_at, 18个月)",
                "first_time(high_tech_enterprise)",
                "months_since(registered_at) >= 12个月",
                "year_after(registered_at) in [1, 2, 3]",
                "missing(revenue[Y-1])",
                "present(rd_expense[Y-1] / revenue[Y-1])",
                "present(fee) and missing(first_time)",
                "coalesce(registered_at, 2020-01-01) <= 2019-06-30",
                'coalesce(chain, "无") == "软件"',
            ]
        ),
        st.builds(lambda c: f'chain == "{c}"', st.sampled_from(CHAINS)),
        st.builds(
            lambda cs, neg: f"chain {'not in' if neg else 'in'} [{quoted(cs)}]",
            st.lists(st.sampled_from(CHAINS), min_size=1, max_size=2, unique=True),
            st.booleans(),
        ),
    ]
    if depth >= 2:
        return draw(st.one_of(leaves))
    sub = condition(depth + 1)
    composite = [
        st.builds(lambda a, op, b: f"({a}) {op} ({b})", sub, st.sampled_from(["and", "or"]), sub),
        st.builds(lambda a: f"not ({a})", sub),
    ]
    return draw(st.one_of(*leaves, *composite))


@st.composite
def policy_text(draw: st.DrawFn) -> str:
    conds = draw(st.lists(condition(), min_size=1, max_size=2))
    amount = draw(st.one_of(st.none(), number()))
    cap = draw(st.one_of(st.none(), st.sampled_from(["50万", "200万", "fee"])))
    band_by = draw(st.sampled_from(["revenue[Y-1]", "sum(rd_expense[Y-3..Y-1])", "employees"]))
    manual = draw(st.booleans())
    text = textwrap.dedent(
        f"""\
        id: gen
        title: 生成的政策
        source: 测试〔2025〕1号
        category: subsidy
        delivery: apply
        parameters:
          rate: {{2021-01-01: 10%, 2025-01-01: 12%}}
          floor: if(in_zone, 1000万, 2000万) + rate * revenue[Y-2]
        inputs:
          fee: {{type: money, label: 服务费}}
          first_time: {{type: boolean, label: 首次申报}}
        tables:
          band:
            by: {band_by}
            rows:
              - {{upto: 100, value: 5%}}
              - {{below: 5000万, value: 10%}}
              - {{else: 20%}}
          tier:
            by: revenue[Y-1]
            rows:
              - {{below: 1亿, value: '"小"'}}
              - {{else: '"大"'}}
          since:
            by: registered_at
            rows:
              - {{upto: 2015-12-31, value: 3}}
              - {{below: 2021-01-01, value: 2}}
              - {{else: 1}}
          level:
            by: employees
            rows:
              - {{atleast: 500, value: 20万}}
              - {{above: floor / 1万, value: 10万}}
              - {{else: 0}}
        conditions:
        """
    )
    for i, c in enumerate(conds):
        if draw(st.integers(0, 3)) == 0:  # a manual branch ("或经认定具有同等水平的")
            c = f'({c}) {draw(st.sampled_from(["or", "and"]))} manual("同等水平")'
        text += f"  - label: 条件{i}\n    when: '{c}'\n"
    if manual:
        text += "  - label: 专家评审\n    manual: true\n"
    if amount is not None:
        text += f"benefit:\n  amount: '{amount}'\n"
        if cap is not None:
            text += f"  cap: {cap}\n"
    return text


# -- enterprises -----------------------------------------------------------------------------


def maybe(s: st.SearchStrategy) -> st.SearchStrategy:
    """Missing one time in five."""
    return st.one_of(st.none(), s, s, s, s)


money_value = maybe(
    st.one_of(
        st.sampled_from([0.0, 0.01, 1e6, 5e7, 50000000.01, 1e8, 99999999.99, 2e8, 1e13]),
        st.integers(0, 10**12).map(lambda c: c / 100.0),
    )
)
signed_money = maybe(st.one_of(money_value, st.integers(-(10**11), 0).map(lambda c: c / 100.0)))
a_day = maybe(
    st.one_of(
        st.dates(dt.date(2010, 1, 1), dt.date(2026, 12, 31)),
        # month ends and leap days, where event dates are easiest to get wrong
        st.sampled_from(
            [dt.date(2024, 2, 29), dt.date(2023, 1, 31), dt.date(2024, 8, 31), dt.date(2022, 6, 30)]
        ),
    )
)


@st.composite
def enterprise(draw: st.DrawFn) -> dict:
    row: dict = {
        "registered_at": draw(a_day),
        "in_zone": draw(maybe(st.booleans())),
        "major_incident": draw(maybe(st.booleans())),
        "industry": draw(maybe(st.sampled_from(["C3974", "C39", "I65", ""]))),
        "chain": draw(maybe(st.sampled_from([*CHAINS, "其他", ""]))),
    }
    for f in COUNTS:
        row[f] = draw(maybe(st.one_of(st.integers(0, 20), st.sampled_from([100, 300, 5000]))))
    for f in MONEY:
        for y in YEARS:
            row[f"{f}_{y}"] = draw(signed_money if f == "net_profit" else money_value)
    for q in ("high_tech_enterprise", "tech_sme"):
        row[q] = draw(a_day)
        row[f"{q}_until"] = draw(a_day)
    row["high_tech_enterprise_first"] = draw(maybe(st.booleans()))
    row["payouts"] = draw(st.lists(a_payout, max_size=3))
    return row


a_payout = st.fixed_dictionaries(
    {
        "policy": st.sampled_from(["gen", "a", "b"]),
        "year": st.integers(2022, 2026),
        "amount": st.one_of(st.none(), st.sampled_from([0.01, 1e4, 3e5, 12345.67])),
    }
)


def schema() -> dict[str, pl.DataType]:
    s: dict[str, pl.DataType] = {
        "uscc": pl.String(),
        "registered_at": pl.Date(),
        "in_zone": pl.Boolean(),
        "major_incident": pl.Boolean(),
        "industry": pl.String(),
        "chain": pl.String(),
    }
    s.update({f: pl.Int64() for f in COUNTS})
    s.update({f"{f}_{y}": pl.Float64() for f in MONEY for y in YEARS})
    for q in ("high_tech_enterprise", "tech_sme"):
        s[q] = pl.Date()
        s[f"{q}_until"] = pl.Date()
    s["high_tech_enterprise_first"] = pl.Boolean()
    return s


given_inputs = st.fixed_dictionaries(
    {"fee": st.sampled_from(["0", "3万", "12345.67"])},
    optional={"first_time": st.booleans()},
)


def agree(text: str, rows: list[dict], inputs: dict, date: dt.date = DATE) -> None:
    p = load_text(text, "generated.yaml")  # what the generator writes must pass check
    for i, row in enumerate(rows):
        row["uscc"] = f"U{i}"
    flat = [{k: v for k, v in row.items() if k != "payouts"} for row in rows]
    df = pl.DataFrame(flat, schema=schema())
    paid = [dict(x, uscc=row["uscc"]) for row in rows for x in row.get("payouts", [])]
    items = {"payouts": pl.DataFrame(paid, infer_schema_length=None)} if paid else {}
    clear_plan_cache()
    peers = population([p], df, date, inputs)  # the frame is the population
    wide = evaluate_wide([p], df, date, inputs, peers=peers, items=items)
    for i, row in enumerate(rows):
        e = explain(p, row, date, inputs, peers=peers)
        fen = wide["amount:gen"][i] if "amount:gen" in wide.columns else None
        batch = (STATUSES[wide["status:gen"][i]], None if fen is None else Decimal(fen) / 100)
        assert batch == (e.status, e.amount), (text, row, inputs, e)


A_ROW = {
    "registered_at": dt.date(2018, 3, 1),
    "in_zone": True,
    "chain": "集成电路",
    "employees": 100,
    **{f"revenue_{y}": 3e7 + y for y in YEARS},
    **{f"rd_expense_{y}": 1.5e6 for y in YEARS},
}


def with_condition(cond: str, amount: str | None = None) -> str:
    """A policy of the generator's shape with one condition (and an amount)."""
    text = textwrap.dedent(
        """\
        id: gen
        title: 生成的政策
        source: 测试〔2025〕1号
        category: subsidy
        delivery: apply
        inputs:
          fee: {type: money, label: 服务费}
        conditions:
        """
    )
    text += f"  - label: 条件\n    when: '{cond}'\n"
    if amount is not None:
        text += f"benefit:\n  amount: '{amount}'\n"
    return text


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(policy_text(), st.lists(enterprise(), min_size=1, max_size=6), given_inputs, DATES)
@example(  # an average of three ratios compares in integers wider than Int128
    with_condition(
        "(rd_expense[Y-1] / revenue[Y-1] + rd_expense[Y-2] / revenue[Y-2]"
        " + rd_expense[Y-3] / revenue[Y-3]) / 3 >= 5%",
        "(rd_expense[Y-1] / revenue[Y-1] + rd_expense[Y-2] / revenue[Y-2]"
        " + rd_expense[Y-3] / revenue[Y-3]) / 3 * 100万",
    ),
    [A_ROW, {**A_ROW, "rd_expense_2022": None}, {**A_ROW, "revenue_2023": 0.0}],
    {},
    DATE,
)
@example(  # the amount is a sub-expression a condition shares: its known-test comes after it
    with_condition("sum(revenue[Y-3..Y-1]) >= 1亿", "sum(revenue[Y-3..Y-1])"),
    [A_ROW, {**A_ROW, "revenue_2022": None}],
    {},
    DATE,
)
@example(  # the same, with the condition too wide for Int128
    with_condition(
        "(rd_expense[Y-1] / revenue[Y-1] + rd_expense[Y-2] / revenue[Y-2]"
        " + rd_expense[Y-3] / revenue[Y-3]) / 3 < sum(revenue[Y-3..Y-1])",
        "sum(revenue[Y-3..Y-1])",
    ),
    [A_ROW, {**A_ROW, "revenue_2022": None}],
    {},
    DATE,
)
@example(  # a number of years no calendar reaches
    with_condition("years_since(registered_at) < 5000万 and years_since(registered_at) > -2亿"),
    [A_ROW, {**A_ROW, "registered_at": None}],
    {},
    DATE,
)
@example(  # an amount beyond Int64 fen is unknown in both
    with_condition("in_zone", "revenue[Y-1] * revenue[Y-2]"),
    [{**A_ROW, "revenue_2024": 1e13, "revenue_2023": 1e13}, A_ROW],
    {},
    DATE,
)
@example(  # standing among peers, a manual branch, presence and a parameter as of a date
    with_condition(
        'rank(revenue[Y-1], chain) <= 1 or manual("同等水平")',
        "coalesce(peer_avg(revenue[Y-1], chain), 0) * 1%",
    ),
    [
        A_ROW,
        {**A_ROW, "revenue_2024": 1e9},
        {**A_ROW, "chain": None},
        {**A_ROW, "revenue_2024": None},
    ],
    {},
    DATE,
)
@example(  # a condition on an input not given is unknown in both
    with_condition("fee >= 1万 or in_zone"), [{**A_ROW, "in_zone": False}, A_ROW], {}, DATE
)
def test_generated_rules_agree(text, rows, inputs, date):
    agree(text, rows, inputs, date)


AVG3 = (
    "(rd_expense[Y-1] / revenue[Y-1] + rd_expense[Y-2] / revenue[Y-2]"
    " + rd_expense[Y-3] / revenue[Y-3]) / 3"
)


@st.composite
def near_five_percent(draw: st.DrawFn) -> dict:
    """Revenues and R&D whose ratios average near 5%: exact ties, a fen either side, and
    ratios far off, so that rows are decided in floating point and by the exact rows."""
    row: dict = {"in_zone": True}
    for y in (2022, 2023, 2024):
        fen = draw(st.one_of(st.integers(1, 10**15), st.sampled_from([1, 3, 7, 10**15])))
        nudge = draw(st.sampled_from([0, 0, 1, -1, 10**6]))
        row[f"revenue_{y}"] = fen / 100
        row[f"rd_expense_{y}"] = max(0, fen // 20 + nudge) / 100
    return row


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(near_five_percent(), min_size=1, max_size=20),
    st.sampled_from([">=", ">", "==", "!="]),
    st.sampled_from(
        ["min({} * 100万, 4万)", "{} * 123456789", "max(abs({}) * 3, 0.01)", "{} / ({} - 5%)"]
    ),
)
def test_wide_rows_decided_in_floating_point_agree(rows, op, amount):
    """What passes Int128 is decided in Float64 where the error bound allows, else exactly:
    the same statuses and amounts as the explanation, ties included."""
    p = load_text(
        with_condition(f"{AVG3} {op} 5%", amount.replace("{}", AVG3)),
        "avg3.yaml",
    )
    df = pl.DataFrame(rows)
    clear_plan_cache()
    wide = evaluate_wide([p], df, DATE)
    for i, row in enumerate(rows):
        e = explain(p, row, DATE)
        fen = wide["amount:gen"][i]
        batch = (STATUSES[wide["status:gen"][i]], None if fen is None else Decimal(fen) / 100)
        assert batch == (e.status, e.amount), (row, e)
