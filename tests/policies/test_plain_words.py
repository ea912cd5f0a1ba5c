"""No developer language on the pages people read: the policy pages, the 政策体检 page, the
audit log and an enterprise's change history show labels, readable values and conditions in
plain Chinese — no task names, field codes, Python reprs or raw rule expressions."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from gaoxin import catalogue
from gaoxin.core.audit import Actor
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.policies import matching, payouts, services
from gaoxin.policies.models import Policy
from tests.clients import client_for
from tests.policies.test_payouts import YEAR, fund_for, published

pytestmark = pytest.mark.django_db

FIELD_CODES = {f.name for f in catalogue.FIELDS if "_" in f.name or len(f.name) > 4}
DEVELOPER = [
    (re.compile(r"\btask:"), "a task name"),
    (re.compile(r"\[Y[-+]?\d*\]|\[Y-\d\.\.|\bY-\d\b"), "a rule expression's year"),
    (
        re.compile(r"\b(?:cagr|growth|years_since|has|sum|avg|marginal|year_of|sme)\("),
        "a rule function",
    ),
    (re.compile(r"<class |object at 0x|Decimal\(|\{'|'\}|\bNone\b|\bTrue\b|\bFalse\b"), "a repr"),
    (re.compile(r"\b[a-z]+_[a-z_]+\b"), "a code in snake_case"),
    (re.compile(r"\b(?:policies|enterprises|ledger|vouchers|core)\.[a-z]+\b"), "a model label"),
]


class _Text(HTMLParser):
    """The text a person reads: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def developer_words(html: str, names: tuple[str, ...] = ()) -> list[str]:
    """What in the page reads like code; `names`: account names shown as they were chosen."""
    text = visible_text(html)
    for name in names:
        text = text.replace(name, "")
    found = [
        f"{what}: …{text[max(0, m.start() - 20) : m.end() + 10]}…"
        for rx, what in DEVELOPER
        for m in rx.finditer(text)
    ]
    found += [
        f"field code: …{text[max(0, m.start() - 20) : m.end() + 10]}…"
        for m in re.finditer(r"\b[a-z_]+\b", text)
        if m.group(0) in FIELD_CODES
    ]
    return found


def test_the_detector_finds_each_kind_of_developer_language() -> None:
    for sample in (
        "<p>task:push_matches</p>",
        "<td>cagr(营业收入, Y-3, Y-1) &gt;= 20%</td>",
        "<div>rd_expense：1 → 2</div>",
        "<div>{'state': 'pushed'}</div>",
        "<td>policies.policy #3</td>",
        "<td>状态：None</td>",
    ):
        assert developer_words(sample), sample
    assert developer_words("<p>研发费用（上一年度） ≥ 100万元</p><script>x_y[Y-1]</script>") == []


@pytest.fixture
def scene(zone: Any) -> Any:
    """A zone with its library installed and matched, a payout identified and pushed, an
    enterprise's figures changed by two sources, and a policy expired."""
    actor = Actor.system("系统管理员")
    services.install_zone_library(actor=actor)
    registry.report_figures(
        actor=Actor.for_user(zone.users["enterprise_a"]),
        enterprise=zone.enterprise_a,
        year=YEAR - 1,
        source=DataSource.DECLARED,
        values={"revenue": "8000万", "rd_expense": "600万"},
    )
    policy = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "200万"})
    matching.match_published()
    fund_for(policy, 100_000_000)
    payouts.identify(actor=actor, policy=policy, year=YEAR)
    version = Policy.objects.get(pk=policy.pk).current
    assert version is not None
    matching.push_matches(version.pk, [zone.enterprise_a.pk])
    services.expire(actor=actor, policy=Policy.objects.get(slug="hte-recognition"))
    return policy


def test_no_developer_language_on_the_pages_people_read(zone: Any, scene: Any) -> None:
    staff = client_for(zone, "zone_admin")
    pages = ["/policies/", "/policies/library/", "/system/audit/", f"/policies/{scene.pk}/payouts/"]
    pages += [f"/policies/{p.pk}/" for p in Policy.objects.all()]
    pages += [f"/enterprises/{zone.enterprise_a.pk}/"]
    pages += [f"/policies/{scene.pk}/payouts/identify/"]
    problems = {}
    names = tuple(u.username for u in zone.users.values())
    for url in pages:
        response = staff.get(url)
        assert response.status_code == 200, url
        found = developer_words(response.content.decode(), names)
        if found:
            problems[url] = found[:8]
    enterprise = client_for(zone, "enterprise_a")
    for url in ("/my/policies/", "/my/payouts/", "/inbox/"):
        response = enterprise.get(url)
        assert response.status_code == 200, url
        found = developer_words(response.content.decode(), names)
        if found:
            problems[url] = found[:8]
    assert not problems, "\n".join(f"{u}: {f}" for u, f in problems.items())
    audit = staff.get("/system/audit/").content.decode()
    assert "兑现：已推送" in audit and "设为失效" in audit


def test_every_shipped_condition_and_amount_reads_in_plain_chinese() -> None:
    import datetime as dt

    from gaoxin.policies import library
    from gaoxin.rules.describe import describe

    on = dt.date(2026, 6, 30)
    read = 0
    for _path, policy in library.shipped_policies():
        texts = [describe(c.when, policy, on) for c in policy.conditions if c.when is not None]
        if policy.benefit is not None:
            texts.append(describe(policy.benefit, policy, on, money=True))
        for text in texts:
            assert not re.search(r"[a-z_]{2,}|\(|\)|见规则文本", text), (policy.id, text)
            read += 1
    assert read > 80
    torch = next(p for _x, p in library.shipped_policies() if p.id == "torch-rd-subsidy-2025")
    assert describe(torch.benefit, torch, on, money=True) == (  # type: ignore[arg-type]
        "「12% × （研发费用（上一年度） − 研发费用（2年前））」与「200万元」中较小者"
    )
