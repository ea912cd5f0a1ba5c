"""Every list page's export: what it holds (Chinese headers with units, labels not codes, no
formula even for hostile names, the page's filter and count), and who may download it (the same
roles as the page, scoped like the page, nothing leaked, nothing written)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from gaoxin.accounts.models import LoginLog, Organisation
from gaoxin.core.audit import Actor
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.models import Enterprise
from gaoxin.notifications import services as notifications
from gaoxin.notifications.models import Delivery
from gaoxin.policies import matching, payouts
from gaoxin.policies import services as policies
from gaoxin.policies.models import Payout, PayoutBatch, Policy
from gaoxin.vouchers import orders, settlements
from gaoxin.vouchers import services as vouchers
from tests.clients import client_for
from tests.conftest import ROLES
from tests.factories import EnterpriseFactory
from tests.policies.test_applications import setup_policy, submit
from tests.policies.test_policies import TEXT
from tests.test_role_matrix import readable
from tests.vouchers.conftest import as_, contract, open_year, place

pytestmark = pytest.mark.django_db

YEAR = dt.date.today().year
LAST = YEAR - 1
STAFF = Actor.system("staff-li")
CHIEF = Actor.system("chief-wang")
# Names an attacker would give an enterprise: each would run in Excel if written as it is.
NAME_A = '=HYPERLINK("http://evil.example/","厦门甲科技有限公司")'
NAME_B = "@SUM(1+1)*cmd|' /C calc'!A0 厦门乙科技有限公司"
NAME_C = "+1+1 厦门丙科技有限公司"
NAME_D = "-2+3 厦门丁科技有限公司"
PROVIDER = "=1+1 厦门检测服务有限公司"


@dataclass
class World:
    zone: Any
    a: Enterprise
    b: Enterprise
    policy: Policy
    batch: PayoutBatch


def _figures(enterprise: Enterprise, **values: str) -> None:
    registry.report_figures(
        actor=STAFF, enterprise=enterprise, year=LAST, source=DataSource.VERIFIED, values=values
    )


@pytest.fixture
def world(zone: Any) -> World:
    """Four enterprises with hostile names and coded chains/areas; a published policy with
    eligible, near-miss and unknown matches; a payout batch; an application; voucher orders
    in every stage with a settlement; a provider; deliveries; login attempts."""
    a, b = zone.enterprise_a, zone.enterprise_b
    Enterprise.objects.filter(pk=a.pk).update(
        name=NAME_A, chain="display", segment="display.panels", area="torch_park"
    )
    Enterprise.objects.filter(pk=b.pk).update(name=NAME_B, chain="computing", area="software_park")
    a.refresh_from_db()
    b.refresh_from_db()
    c = EnterpriseFactory(name=NAME_C, chain="display", area="torch_park")
    EnterpriseFactory(name=NAME_D, chain="power", area="software_park")
    _figures(a, rd_expense="300万", revenue="1.5亿", profit="-500万")
    _figures(b, rd_expense="90万", revenue="8000万")
    _figures(c, rd_expense="150万", revenue="6000万")
    Organisation.objects.filter(pk=zone.users["provider"].organisation_id).update(name=PROVIDER)

    policy = policies.save_policy(actor=STAFF, text=TEXT)
    policies.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published(push=False)
    payouts.fund(actor=STAFF, policy=policy, year=YEAR, amount_fen=100_000_000)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR)
    payout_a = Payout.objects.get(policy=policy, enterprise=a)
    payouts.confirm(
        actor=Actor.for_user(zone.users["enterprise_a"]),
        payout=payout_a,
        bank_name="建设银行厦门分行",
        account_name=a.name,
        account_number="35150198010100001234",
    )
    payouts.verify(actor=STAFF, payout=payout_a, accept=True)
    batch = payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[payout_a])

    submit(zone, setup_policy(zone), "10万")

    year = open_year(zone)
    place(year)  # placed
    redeemed = place(year)
    orders.accept(actor=as_(zone, "provider"), order=redeemed)
    orders.confirm_delivery(actor=as_(zone, "enterprise_a"), order=redeemed)
    orders.redeem(actor=as_(zone, "provider"), order=redeemed, invoice_fee_fen=1_000_000)
    settled = place(year)
    orders.accept(actor=as_(zone, "provider"), order=settled)
    orders.confirm_delivery(actor=as_(zone, "enterprise_a"), order=settled)
    orders.redeem(actor=as_(zone, "provider"), order=settled, invoice_fee_fen=900_000)
    orders.review(actor=as_(zone, "staff"), order=settled, decision="approve")
    settlements.issue(
        actor=as_(zone, "zone_admin"),
        scheme=year.scheme,
        provider=year.provider,
        period=settlements.quarter_of(timezone.localdate()),
    )
    vouchers.grant_quota(
        actor=as_(zone, "zone_admin"),
        scheme=year.scheme,
        enterprise=b,
        amount_fen=5_000_000,
        note="测试核定",
    )
    orders.place(
        actor=as_(zone, "enterprise_b"),
        enterprise=b,
        listing=year.listing,
        contract_fee_fen=800_000,
        contract_file=contract(),
    )

    for enterprise, key in ((a, "a"), (b, "b")):
        message = notifications.notify(
            actor=STAFF,
            enterprise=enterprise,
            subject_type="policy_version",
            subject_id="7",
            dedupe_key=f"export-test:{key}",
            title=f"={key} 政策匹配",
            body="正文",
        )
        Delivery.objects.create(
            message=message, channel="email", address=f"-{key}@example.com", status="failed"
        )
    LoginLog.objects.create(username="=cmd|' /C calc'!A0", success=False, reason="password")
    LoginLog.objects.create(username="ent_a", success=True)
    return World(zone, a, b, policy, batch)


def fill(path: str, world: World) -> str:
    return path.format(policy=world.policy.pk, batch=world.batch.pk)


def _page_count(context: Any) -> int:
    return int(context["page"].paginator.count)


@dataclass(frozen=True)
class ListExport:
    name: str
    export: str  # the export URL, with the list's query string
    page: str  # the list page with the same filter
    count: Callable[[Any], int]  # the number of rows the page says it holds
    allowed: frozenset[str]
    title: str  # the Chinese file name's start
    headers: tuple[str, ...]  # some of the headers, with their units
    labels: dict[str, set[str]]  # column → every value it may hold (labels, never codes)
    names_shown_to: frozenset[str] = frozenset()  # roles whose page names enterprises out of
    # their registry scope (a provider, its customers), never their codes


def _counts(status: str | None) -> Callable[[Any], int]:
    def count(context: Any) -> int:
        counts = context["summary"]["counts"]
        return int(counts[status] if status else sum(counts.values()))

    return count


REGISTRY = frozenset({"staff", "staff_other", "leader", "zone_admin"})
POLICY_READERS = frozenset({"staff", "staff_other", "commissioner", "leader", "zone_admin"})
POLICY_RUNNERS = frozenset({"staff", "staff_other", "zone_admin"})
ORDER_READERS = frozenset({"staff", "staff_other", "commissioner", "leader", "zone_admin"})
REVIEWERS = frozenset({"staff", "staff_other", "zone_admin"})
ADMIN = frozenset({"zone_admin"})

LISTS = [
    ListExport(
        "enterprises",
        "/enterprises/export/?chain=display",
        "/enterprises/?chain=display",
        _page_count,
        REGISTRY,
        "企业库",
        (
            "统一社会信用代码",
            "企业名称",
            "产业链",
            "片区",
            f"营业收入_{LAST}（元）",
            "职工总数（人）",
        ),
        {"产业链": {"平板显示"}, "片区": {"火炬园"}, "产业链环节": {"面板", None}},
    ),
    ListExport(
        "policies",
        "/policies/export/?status=published",
        "/policies/?status=published",
        _page_count,
        POLICY_READERS,
        "政策库",
        ("编号", "名称", "发布单位", "类别", "兑现方式", "状态", "符合条件的企业（家）"),
        {"状态": {"已发布"}, "兑现方式": {"免申即享", "网上申报"}},
    ),
    ListExport(
        "matches",
        "/policies/{policy}/matches.xlsx",
        "/policies/{policy}/",
        _counts(None),
        POLICY_READERS,
        "政策匹配结果",
        ("企业名称", "结果", "预计金额（万元）", "缺少的数据"),
        {
            "结果": {"符合", "差一点", "数据不足", "待人工审核"},
            "产业链": {"平板显示", "计算机与通讯设备", "电力电器"},
        },
    ),
    ListExport(
        "eligible matches",
        "/policies/{policy}/matches.xlsx?status=eligible",
        "/policies/{policy}/",
        _counts("eligible"),
        POLICY_READERS,
        "政策匹配结果",
        ("企业名称", "预计金额（万元）"),
        {"结果": {"符合"}, "片区": {"火炬园"}},
    ),
    ListExport(
        "near misses",
        "/policies/{policy}/matches.xlsx?status=ineligible",
        "/policies/{policy}/",
        _counts("ineligible"),
        POLICY_READERS,
        "差一点符合的企业",
        ("企业名称", "差距", "差距比例"),
        {"产业链": {"计算机与通讯设备"}, "片区": {"软件园"}},
    ),
    ListExport(
        "payout batch",
        "/policies/{policy}/payouts/export/?batch={batch}",
        "/policies/{policy}/payouts/?batch={batch}",
        _page_count,
        POLICY_RUNNERS,
        "拨付清单",
        (
            "企业名称",
            "统一社会信用代码",
            "开户银行",
            "账户名称",
            "银行账号",
            "金额（元）",
            "政策",
            "批次号",
        ),
        {"状态": {"已核验"}},
    ),
    ListExport(
        "payouts",
        "/policies/{policy}/payouts/export/?state=pushed",
        "/policies/{policy}/payouts/?state=pushed",
        _page_count,
        POLICY_RUNNERS,
        "拨付清单",
        ("企业名称", "金额（元）"),
        {},
    ),
    ListExport(
        "applications",
        "/applications/export/",
        "/applications/",
        _page_count,
        REVIEWERS,
        "政策申报",
        ("企业名称", "政策", "测算金额（万元）", "状态", "提交时间"),
        {},
    ),
    ListExport(
        "voucher orders",
        "/vouchers/review/export/?state=placed",
        "/vouchers/review/?state=placed",
        _page_count,
        ORDER_READERS,
        "创新券订单",
        ("订单号", "企业名称", "服务机构", "合同金额（元）", "创新券抵扣（元）", "状态"),
        {"状态": {"待接单"}, "服务类别": {"检测认证"}},
    ),
    ListExport(
        "all voucher orders",
        "/vouchers/review/export/",
        "/vouchers/review/",
        _page_count,
        ORDER_READERS,
        "创新券订单",
        ("订单号", "企业自付（元）"),
        {},
    ),
    ListExport(
        "provider orders",
        "/vouchers/provider/export/?state=placed",
        "/vouchers/provider/?state=placed",
        _page_count,
        frozenset({"provider"}),
        "创新券订单",
        ("订单号", "企业名称", "服务项目", "合同金额（元）", "创新券抵扣（元）", "状态"),
        {"状态": {"待接单"}},
        names_shown_to=frozenset({"provider"}),
    ),
    ListExport(
        "redemptions",
        "/vouchers/review/redemptions/export/",
        "/vouchers/review/",
        lambda context: int(context["queue_count"]),
        REVIEWERS,
        "待审核的兑付",
        ("订单号", "实际结算金额（元）", "创新券抵扣（元）", "申请兑付时间"),
        {"阶段": {"待审核", "待复审"}},
    ),
    ListExport(
        "settlements",
        "/vouchers/settlements/export/",
        "/vouchers/settlements/",
        _page_count,
        frozenset({"provider", "leader", "zone_admin"}),
        "创新券结算单",
        ("结算单号", "服务机构", "结算期", "订单数", "金额（元）"),
        {},
    ),
    ListExport(
        "providers",
        "/supermarket/review/providers/export/",
        "/supermarket/review/",
        lambda context: len(context["pending"]) + len(context["others"]),
        REVIEWERS,
        "服务机构",
        ("服务机构", "统一社会信用代码", "服务类别", "联系电话", "状态"),
        {"服务类别": {"检测认证"}},
    ),
    ListExport(
        "audit log",
        "/system/audit/export/?action=payout_confirmed",
        "/system/audit/?action=payout_confirmed",
        _page_count,
        ADMIN,
        "操作日志",
        ("时间", "操作人", "操作", "对象", "变更内容"),
        {"操作": {"兑现：企业已确认"}},
    ),
    ListExport(
        "login log",
        "/system/logins/export/?q=cmd",
        "/system/logins/?q=cmd",
        _page_count,
        ADMIN,
        "登录日志",
        ("时间", "用户名", "IP 地址", "结果"),
        {"结果": {"密码错误"}},
    ),
    ListExport(
        "delivery log",
        "/notifications/deliveries/?channel=email&format=xlsx",
        "/notifications/deliveries/?channel=email",
        _page_count,
        frozenset({"staff", "staff_other", "zone_admin"}),
        "推送记录",
        ("创建时间", "企业", "标题", "渠道", "接收人", "状态"),
        {"渠道": {"邮件"}},
    ),
]


def workbook_rows(response: Any) -> tuple[Any, list[str], list[list[Any]]]:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    return sheet, [str(h) for h in values[0]], values[1:]


def assert_safe_sheet(sheet: Any) -> None:
    """A frozen header row, an autofilter over every row, no formula, hostile text as text."""
    assert sheet.freeze_panes in ("A2", "C2")
    last = openpyxl.utils.get_column_letter(sheet.max_column)
    assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate


@pytest.mark.parametrize("case", LISTS, ids=[c.name for c in LISTS])
def test_each_list_exports_what_its_page_shows(world: World, case: ListExport) -> None:
    role = "zone_admin" if "zone_admin" in case.allowed else sorted(case.allowed)[0]
    client = client_for(world.zone, role)
    response = client.get(fill(case.export, world))
    assert response.status_code == 200, response.content[:300]
    today = timezone.localdate().isoformat()
    disposition = response["Content-Disposition"]
    assert f"filename*=UTF-8''{quote(case.title)}" in disposition and quote(today) in disposition
    sheet, headers, rows = workbook_rows(response)
    assert_safe_sheet(sheet)
    assert set(case.headers) <= set(headers), headers
    page = client.get(fill(case.page, world))
    assert len(rows) == case.count(page.context) > 0
    for column, allowed in case.labels.items():
        index = headers.index(column)
        assert {row[index] for row in rows} <= allowed, (column, {row[index] for row in rows})


def test_hostile_names_and_negative_figures_in_the_registry_export(world: World) -> None:
    client = client_for(world.zone, "zone_admin")
    sheet, headers, rows = workbook_rows(client.get("/enterprises/export/"))
    names = {row[headers.index("企业名称")] for row in rows}
    assert {NAME_A, NAME_B, NAME_C, NAME_D} <= names  # shown exactly, never run
    profit = sheet.cell(
        [r[1] for r in rows].index(NAME_A) + 2, headers.index(f"利润总额_{LAST}（元）") + 1
    )
    assert (profit.value, profit.data_type, profit.number_format) == (-5_000_000, "n", "#,##0.00")
    csv = client.get("/enterprises/export/?format=csv")
    text = csv.content.decode("utf-8-sig")
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff".encode())
    assert '"\'=HYPERLINK(""http://evil.example/""' in text and "'+1+1 厦门丙" in text
    assert ",-5000000.00," in text  # a negative number stays a number
    assert "display" not in text and "平板显示" in text


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_the_registry_export_imports_back_unchanged(
    world: World, tmp_path: Any, suffix: str
) -> None:
    """The guard does not cost the round trip: hostile names read back exactly."""
    from gaoxin.enterprises.importing import Mode, commit_import, read_import

    url = "/enterprises/export/" + ("?format=csv" if suffix == "csv" else "")
    body = client_for(world.zone, "zone_admin").get(url).content
    path = tmp_path / f"企业库.{suffix}"
    path.write_bytes(body)
    preview = read_import(path, path.name, mode=Mode.UPSERT)
    assert preview.ok and preview.to_update == Enterprise.objects.count()
    done = commit_import(preview, actor=STAFF, source=DataSource.VERIFIED, mode=Mode.UPSERT)
    assert done.updated == 0  # nothing differs
    assert Enterprise.objects.filter(name__in=[NAME_A, NAME_B, NAME_C, NAME_D]).count() == 4


def test_payout_list_is_what_a_finance_bureau_pays_from(world: World) -> None:
    client = client_for(world.zone, "zone_admin")
    sheet, headers, rows = workbook_rows(
        client.get(fill("/policies/{policy}/payouts/export/?batch={batch}", world))
    )
    row = dict(zip(headers, rows[0], strict=True))
    assert row["企业名称"] == NAME_A and row["账户名称"] == NAME_A
    assert row["统一社会信用代码"] == world.a.uscc
    assert (row["开户银行"], row["银行账号"]) == ("建设银行厦门分行", "35150198010100001234")
    assert row["金额（元）"] == 300_000 and row["批次号"] == world.batch.number
    account = sheet.cell(2, headers.index("银行账号") + 1)
    assert account.data_type == "s"  # never 3.5150198E+19


HIDDEN = {  # whose data each role must never receive
    "enterprise_a": ["b"],
    "enterprise_b": ["a"],
    "provider": ["a", "b"],
    "bank": ["a", "b"],
    "anonymous": ["a", "b"],
    "staff": ["b"],  # 企业服务中心 serves A only
    "commissioner": ["b"],
    "staff_other": ["a"],  # 招商局 serves B only
}


@pytest.mark.parametrize("case", LISTS, ids=[c.name for c in LISTS])
def test_export_role_matrix(world: World, case: ListExport) -> None:
    """Every role (one world for all, to keep the suite fast): the page's answer, the page's
    rows, nothing of an enterprise out of scope, nothing written."""
    for role in ROLES:
        client = client_for(world.zone, role)
        before = AuditEntry.objects.count()
        response = client.get(fill(case.export, world))
        page = client.get(fill(case.page, world))
        assert AuditEntry.objects.count() == before, "a download must not write"
        if role in case.allowed:
            assert response.status_code == 200, (case.name, role, response.status_code)
            assert page.status_code == 200, (case.name, role)  # the same roles as the page
            _sheet, _headers, rows = workbook_rows(response)
            assert len(rows) == case.count(page.context), (case.name, role)  # scoped alike
        elif role == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
        else:
            assert response.status_code in (403, 404), (case.name, role, response.status_code)
        body = readable(response)
        for key in HIDDEN.get(role, []):
            enterprise = world.a if key == "a" else world.b
            assert enterprise.uscc not in body, (case.name, role)
            if role not in case.names_shown_to:
                assert enterprise.name not in body, (case.name, role)


def test_every_list_page_links_to_its_export_with_its_query(world: World) -> None:
    client: Client = client_for(world.zone, "zone_admin")
    for page, link in (
        ("/enterprises/?chain=display", "/enterprises/export/?chain=display"),
        ("/policies/?status=published", "/policies/export/?status=published"),
        ("/applications/?state=submitted", "/applications/export/?state=submitted"),
        ("/vouchers/review/?state=placed&q=x", "/vouchers/review/export/?state=placed&amp;q=x"),
        ("/system/audit/?action=x", "/system/audit/export/?action=x"),
        ("/system/logins/?q=x", "/system/logins/export/?q=x"),
        ("/vouchers/settlements/", "/vouchers/settlements/export/"),
        ("/supermarket/review/", "/supermarket/review/providers/export/"),
        ("/vouchers/review/", "/vouchers/review/redemptions/export/"),
        (fill("/policies/{policy}/payouts/?state=pushed", world), "payouts/export/?state=pushed"),
        (fill("/policies/{policy}/", world), "matches.xlsx?status=ineligible"),
    ):
        html = client.get(page).content.decode()
        assert link in html, (page, link)
    html = client_for(world.zone, "provider").get("/vouchers/provider/?state=placed")
    assert "/vouchers/provider/export/?state=placed" in html.content.decode()


def test_filtering_the_registry_in_place_updates_its_export_link(world: World) -> None:
    """The filter bar swaps only the results (HTMX); the export link comes along out of band,
    so that it exports what the page now shows."""
    client = client_for(world.zone, "zone_admin")
    html = client.get("/enterprises/?area=torch_park", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="export-link"' in html and 'hx-swap-oob="true"' in html
    assert "/enterprises/export/?area=torch_park" in html
    assert 'hx-swap-oob="true"' not in client.get("/enterprises/").content.decode()


def test_the_settlement_statement_runs_no_formula(world: World) -> None:
    """The 结算单 is built cell by cell, not as a list; its hostile names are text too."""
    from gaoxin.vouchers.models import VoucherSettlement

    statement = VoucherSettlement.objects.get()
    response = client_for(world.zone, "zone_admin").get(
        f"/vouchers/settlements/{statement.pk}/statement.xlsx"
    )
    assert quote("创新券结算单") in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    hostile = [c for c in cells if c.value in (NAME_A, PROVIDER)]
    assert {c.value for c in hostile} == {NAME_A, PROVIDER}
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile)


@pytest.mark.parametrize("role,eligible", [("zone_admin", 2), ("staff", 1), ("staff_other", 0)])
def test_the_policy_library_counts_eligible_enterprises_in_scope(
    world: World, role: str, eligible: int
) -> None:
    _sheet, headers, rows = workbook_rows(client_for(world.zone, role).get("/policies/export/"))
    row = next(r for r in rows if r[headers.index("编号")] == world.policy.slug)
    assert row[headers.index("符合条件的企业（家）")] == eligible  # A and 丙; staff sees A only
