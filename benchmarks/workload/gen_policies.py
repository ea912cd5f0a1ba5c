"""A deterministic 1,000-policy workload: the 200 policies of policies/ plus 800 generated in
their style, for measuring how the engine's cost grows with the number of policies.

    python gen_policies.py [--count 1000] [--out DIR]

writes DIR/*.yaml (default $BENCH_DATA/policies_1000, $BENCH_DATA defaulting to
~/.cache/gaoxin-bench) and prints the folder. The generated files are not committed: this
script is, and it writes the same files on every run (seeded; the folder is emptied first).

The 800 extra policies are as real policy collections are: a dozen templates, each with many
parameter sets, about half of them with an amount (as in the 200), over the same few registry
fields. They share what real policies share — the three-year R&D and revenue sums, R&D
growth, a valid 高企 certificate, years since registration, staff ratios, round thresholds —
while every file differs in at least one threshold, rate, cap or band. The 200 originals keep
their templates a–d; the new ones add e–p (e–k with an amount):

e  revenue-growth award (growth(revenue, Y-1), a floor on revenue, capped rate × increase)
f  R&D-intensity subsidy for certificate holders (three-year ratio, capped rate × R&D)
g  talent award (tech-staff share, R&D staff, years since registration; award by headcount band)
h  fast-growth (CAGR of revenue over two years, a revenue floor; fixed award)
i  SME R&D credit (headcount and revenue caps; rounded rate × R&D, capped)
j  domestic-R&D subsidy (domestic share, domestic growth; marginal rate table)
k  high-tech product award (high-tech revenue share, certificate; award table by revenue)
l  new-enterprise screen (registered within k years, in the zone, R&D staff)
m  专精特新 candidate screen (headcount range, revenue floor, three-year R&D ratio, growth)
n  科技型中小企业 conditions (headcount and revenue caps, tech-staff share, R&D ratio)
o  gazelle screen (revenue CAGR, revenue range, years since registration)
p  高企 pipeline (no valid certificate yet, R&D staff, tech-staff share, R&D ratio)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("BENCH_DATA", Path.home() / ".cache" / "gaoxin-bench"))
ORIGINALS = HERE / "policies"
SEED = 20251130

HEAD = """id: {id}
title: {title}（基准第{n}套）
issuer: 厦门火炬高新区管委会
source: 性能基准合成政策（模板{t}，第{n}套）
category: {category}
effective: {{from: 2025-01-01, to: 2025-12-31}}
year: 2025
delivery: {delivery}
notify: [legal_rep]
"""


# Real policies write round thresholds, so the same condition (R&D staff ≥ 10, growth ≥ 20%,
# three years registered) recurs across policies; each file still differs in some value.
GROWTH = ("10%", "15%", "20%", "25%", "30%", "50%")
RATE = ("5%", "8%", "10%", "12%", "15%", "20%")
SHARE = ("10%", "15%", "20%", "25%", "30%")
INTENSITY = ("3%", "4%", "5%", "6%")
DOMESTIC = ("60%", "70%", "80%")
HITECH = ("50%", "60%", "70%")
CAP = ("50万", "100万", "200万", "300万", "500万", "1000万")
AWARD = ("10万", "20万", "30万", "50万", "100万")
REVENUE = ("500万", "1000万", "2000万", "5000万", "1亿", "2亿")
STAFF_CAP = (100, 200, 300, 500, 1000)
RD_STAFF = (3, 5, 10, 20, 30)
YEARS_MIN = (1, 2, 3, 5)


def template_e(r: random.Random) -> str:
    return f"""
parameters:
  rate: {{2023-01-01: {r.choice(RATE)}, 2025-01-01: {r.choice(RATE)}}}
  cap: {{2023-01-01: {r.choice(CAP)}}}

conditions:
  - label: 在园区注册
    when: in_zone
  - label: 上年营业收入增长达标
    when: growth(revenue, Y-1) >= {r.choice(GROWTH)}
  - label: 上年营业收入不低于门槛
    when: revenue[Y-1] >= {r.choice(REVENUE)}

benefit:
  amount: min(rate * (revenue[Y-1] - revenue[Y-2]), cap)
"""


def template_f(r: random.Random) -> str:
    return f"""
parameters:
  rate: {{2024-01-01: {r.choice(RATE)}}}
  cap: {{2024-01-01: {r.choice(CAP)}}}

conditions:
  - label: 持有有效的高新技术企业证书
    when: has(high_tech_enterprise)
  - label: 近三年研发费用占销售收入比例达标
    when: sum(rd_expense[Y-3..Y-1]) / sum(revenue[Y-3..Y-1]) >= {r.choice(INTENSITY)}
  - label: 注册成立满年限
    when: years_since(registered_at) >= {r.choice(YEARS_MIN)}

benefit:
  amount: min(rate * rd_expense[Y-1], cap)
"""


def template_g(r: random.Random) -> str:
    small, large = r.choice((20, 50, 100)), r.choice((200, 300, 500))
    return f"""
tables:
  award_by_staff:
    by: employees
    rows:
      - {{upto: {small}, value: {r.choice(AWARD[:3])}}}
      - {{upto: {large}, value: {r.choice(AWARD[2:])}}}
      - {{else: {r.choice(("100万", "150万", "200万"))}}}

conditions:
  - label: 科技人员占比达标
    when: tech_staff / employees >= {r.choice(SHARE)}
  - label: 研发人员达标
    when: rd_staff >= {r.choice(RD_STAFF)}
  - label: 注册成立满年限
    when: years_since(registered_at) >= {r.choice(YEARS_MIN)}

benefit:
  amount: award_by_staff
"""


def template_h(r: random.Random) -> str:
    return f"""
parameters:
  award: {{2024-01-01: {r.choice(AWARD)}}}

conditions:
  - label: 近两年营业收入年均增长达标
    when: cagr(revenue, Y-3, Y-1) >= {r.choice(GROWTH)}
  - label: 上年营业收入不低于门槛
    when: revenue[Y-1] >= {r.choice(REVENUE)}
  - label: 在园区注册
    when: in_zone

benefit:
  amount: award
"""


def template_i(r: random.Random) -> str:
    return f"""
parameters:
  rate: {{2024-01-01: {r.choice(RATE)}}}
  cap: {{2024-01-01: {r.choice(CAP)}}}

conditions:
  - label: 中小企业：职工人数不超过上限
    when: employees <= {r.choice(STAFF_CAP)}
  - label: 中小企业：营业收入不超过上限
    when: revenue[Y-1] <= {r.choice(("1亿", "2亿", "4亿"))}
  - label: 上年研发费用达标
    when: rd_expense[Y-1] >= {r.choice(("50万", "100万", "200万", "500万"))}

benefit:
  amount: min(round(rate * rd_expense[Y-1], 2), cap)
"""


def template_j(r: random.Random) -> str:
    first, second = r.choice(("200万", "300万", "500万")), r.choice(("1000万", "2000万"))
    return f"""
tables:
  rate_bands:
    by: rd_expense_domestic[Y-1]
    rows:
      - {{upto: {first}, value: {r.choice(RATE)}}}
      - {{upto: {second}, value: {r.choice(("2%", "3%", "5%"))}}}
      - {{else: {r.choice(("0.5%", "1%"))}}}

conditions:
  - label: 境内研发费用占比达标
    when: sum(rd_expense_domestic[Y-3..Y-1]) / sum(rd_expense[Y-3..Y-1]) >= {r.choice(DOMESTIC)}
  - label: 上年境内研发费用增长
    when: rd_expense_domestic[Y-1] > rd_expense_domestic[Y-2]

benefit:
  amount: marginal(rate_bands)
"""


def template_k(r: random.Random) -> str:
    return f"""
tables:
  award_by_revenue:
    by: revenue[Y-1]
    rows:
      - {{upto: {r.choice(("2000万", "5000万"))}, value: {r.choice(AWARD[:3])}}}
      - {{upto: {r.choice(("1亿", "2亿", "5亿"))}, value: {r.choice(AWARD[2:])}}}
      - {{else: {r.choice(("100万", "200万"))}}}

conditions:
  - label: 持有有效的高新技术企业证书
    when: has(high_tech_enterprise)
  - label: 高新技术产品收入占比达标
    when: high_tech_revenue[Y-1] / revenue[Y-1] >= {r.choice(HITECH)}

benefit:
  amount: award_by_revenue
"""


def template_l(r: random.Random) -> str:
    return f"""
conditions:
  - label: 注册成立未满年限
    when: years_since(registered_at) < {r.choice((2, 3, 5, 8, 10))}
  - label: 在园区注册
    when: in_zone
  - label: 研发人员达标
    when: rd_staff >= {r.choice(RD_STAFF)}
  - label: 科技人员占比达标
    when: tech_staff / employees >= {r.choice(SHARE)}
"""


def template_m(r: random.Random) -> str:
    return f"""
conditions:
  - label: 职工人数在区间内
    when: employees >= {r.choice((10, 20, 50))} and employees <= {r.choice(STAFF_CAP)}
  - label: 上年营业收入不低于门槛
    when: revenue[Y-1] >= {r.choice(REVENUE)}
  - label: 近三年研发费用占销售收入比例达标
    when: sum(rd_expense[Y-3..Y-1]) / sum(revenue[Y-3..Y-1]) >= {r.choice(INTENSITY)}
  - label: 上年营业收入增长达标
    when: growth(revenue, Y-1) >= {r.choice(GROWTH)}
"""


def template_n(r: random.Random) -> str:
    return f"""
conditions:
  - label: 职工人数不超过上限
    when: employees <= {r.choice(STAFF_CAP)}
  - label: 营业收入不超过上限
    when: revenue[Y-1] <= {r.choice(("1亿", "2亿", "4亿"))}
  - label: 科技人员占比达标
    when: tech_staff / employees >= {r.choice(SHARE)}
  - label: 研发费用占比达标
    when: rd_expense[Y-1] / revenue[Y-1] >= {r.choice(INTENSITY)}
"""


def template_o(r: random.Random) -> str:
    return f"""
conditions:
  - label: 近两年营业收入年均增长达标
    when: cagr(revenue, Y-3, Y-1) >= {r.choice(GROWTH)}
  - label: 上年营业收入在区间内
    when: revenue[Y-1] >= {r.choice(REVENUE[:3])} and revenue[Y-1] <= {r.choice(("5亿", "10亿"))}
  - label: 注册成立不超过年限
    when: years_since(registered_at) <= {r.choice((5, 8, 10, 15))}
"""


def template_p(r: random.Random) -> str:
    return f"""
conditions:
  - label: 尚未取得有效的高新技术企业证书
    when: not has(high_tech_enterprise)
  - label: 研发人员达标
    when: rd_staff >= {r.choice(RD_STAFF)}
  - label: 科技人员占比达标
    when: tech_staff / employees >= {r.choice(SHARE)}
  - label: 近三年研发费用占销售收入比例达标
    when: sum(rd_expense[Y-3..Y-1]) / sum(revenue[Y-3..Y-1]) >= {r.choice(INTENSITY)}
  - label: 注册成立满一年
    when: years_since(registered_at) >= 1
"""


TEMPLATES: dict[str, tuple[str, str, str, str, Callable[[random.Random], str]]] = {
    # key: (letter, title, category, delivery, body)
    "gen-revenue-growth": ("e", "营业收入增长奖励", "award", "auto", template_e),
    "gen-rd-intensity": ("f", "研发投入强度补助", "subsidy", "auto", template_f),
    "gen-talent": ("g", "科技人才集聚奖励", "award", "auto", template_g),
    "gen-fast-growth": ("h", "高成长企业奖励", "award", "auto", template_h),
    "gen-sme-rd": ("i", "中小企业研发费用补助", "subsidy", "auto", template_i),
    "gen-domestic-rd": ("j", "境内研发投入分段补助", "subsidy", "auto", template_j),
    "gen-hitech-product": ("k", "高新技术产品奖励", "award", "auto", template_k),
    "gen-new-enterprise": ("l", "初创科技企业筛选", "screen", "notice", template_l),
    "gen-srdi-screen": ("m", "专精特新培育企业筛选", "screen", "notice", template_m),
    "gen-tech-sme": ("n", "科技型中小企业条件", "qualification", "notice", template_n),
    "gen-gazelle": ("o", "瞪羚企业筛选", "screen", "notice", template_o),
    "gen-hte-pipeline": ("p", "高企培育库入库条件", "qualification", "notice", template_p),
}


def generate(count: int, out: Path) -> Path:
    """The 200 originals (or the first `count` of them) and generated ones up to `count`,
    every one distinct from all the others."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    originals = sorted(ORIGINALS.glob("*.yaml"))[:count]
    for path in originals:
        shutil.copyfile(path, out / path.name)
    rng = random.Random(SEED)
    seen: set[str] = set()
    counters = dict.fromkeys(TEMPLATES, 0)
    keys = list(TEMPLATES)
    made = len(originals)
    while made < count:
        key = keys[(made - len(originals)) % len(keys)]
        letter, title, category, delivery, body_of = TEMPLATES[key]
        body = body_of(rng)
        if body in seen:  # the same parameters drawn twice: draw again
            continue
        seen.add(body)
        counters[key] += 1
        n = counters[key]
        pid = f"{key}-{n:03d}"
        head = HEAD.format(id=pid, title=title, n=n, t=letter, category=category, delivery=delivery)
        (out / f"{pid}.yaml").write_text(head + body, encoding="utf-8")
        made += 1
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    out = args.out or DATA_DIR / f"policies_{args.count}"
    print(generate(args.count, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
