"""No client chooses a ledger key (issue 10, part 2).

Every ledger key is derived by the server from what the posting is; a client's retry key
(`Idempotency-Key` header, or the hidden `idempotency_key` field of a rendered form) lives in
its own table, scoped to the user and the endpoint. The attack tests send, on every form and
endpoint that posts to the ledger, a `key` and an `idempotency_key` equal to a key the server
derives for a later posting, and prove the later posting still happens under that key, as the
right kind of entry.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

import gaoxin
from gaoxin.core.models import IdempotentRequest
from gaoxin.ledger.models import JournalEntry
from gaoxin.ledger.selectors import pool_balances
from gaoxin.policies import payouts
from gaoxin.policies.models import Payout, PayoutBatch
from gaoxin.vouchers import orders, services, settlements
from gaoxin.vouchers.choices import OrderState
from gaoxin.vouchers.models import VoucherOrder, VoucherSettlement
from tests.clients import client_for, post_json
from tests.policies.test_payouts import STAFF, YEAR, confirm_as, published
from tests.vouchers.conftest import VoucherYear, as_, contract, open_year, place

PACKAGE = Path(gaoxin.__file__).parent
LEDGER_SERVICES = {"fund_budget", "reserve", "release", "settle", "pay", "post_entry"}
# The forms every key a server derives for a ledger entry takes (docs/ledger.md).
SERVER_KEY = re.compile(
    r"^(fund:\d+:\d+|payout:\d+|approve:\d+|pay:\d+|voucher-order:\d+|voucher-approve:\d+"
    r"|voucher-pay:\d+|release:(payout|voucher-order):\d+)$"
)


def attack(key: str) -> dict[str, str]:
    """Form fields a client might use to choose a ledger key."""
    return {"key": key, "idempotency_key": key, "ledger_key": key}


def header(key: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": key}


def api_post(client: Client, url: str, payload: dict[str, Any], chosen: str) -> Any:
    """Post `payload` to an API write: first with key fields added, which its schema refuses
    (422, nothing written), then as it is, with `chosen` as the Idempotency-Key header."""
    entries = JournalEntry.objects.count()
    refused = client.post(url, payload | attack(chosen), content_type="application/json")
    assert refused.status_code == 422, refused.content
    assert "key" in refused.json()["message"]
    assert JournalEntry.objects.count() == entries
    return client.post(url, payload, content_type="application/json", **header(chosen))


def assert_entry(key: str, kind: str) -> JournalEntry:
    entry = JournalEntry.objects.get(idempotency_key=key)
    assert entry.kind == kind, (key, entry.kind)
    return entry


def assert_every_key_is_the_servers() -> None:
    keys = list(JournalEntry.objects.values_list("idempotency_key", flat=True))
    assert keys and all(SERVER_KEY.match(k) for k in keys), keys


# -- the code: every key is derived, every ledger-posting view is idempotent ------------------


def _modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts and p.parent.name != "ledger"
    )


def _ledger_aliases(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to `gaoxin.ledger.services` and names imported from it."""
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "gaoxin.ledger":
            modules |= {a.asname or a.name for a in node.names if a.name == "services"}
        if isinstance(node, ast.ImportFrom) and node.module == "gaoxin.ledger.services":
            functions |= {a.asname or a.name for a in node.names if a.name in LEDGER_SERVICES}
    return modules, functions


def _ledger_calls(tree: ast.Module) -> list[tuple[ast.FunctionDef | None, ast.Call, str]]:
    modules, functions = _ledger_aliases(tree)
    found = []
    owners: dict[int, ast.FunctionDef] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            for child in ast.walk(fn):
                owners.setdefault(id(child), fn)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if (
            isinstance(f, ast.Attribute)
            and isinstance(f.value, ast.Name)
            and f.value.id in modules
            and f.attr in LEDGER_SERVICES
        ):
            found.append((owners.get(id(node)), node, f.attr))
        elif isinstance(f, ast.Name) and f.id in functions:
            found.append((owners.get(id(node)), node, f.id))
    return found


def _derived(value: ast.expr, fn: ast.FunctionDef | None) -> bool:
    """An f-string with a literal prefix naming the posting, a stored reservation key, or a
    local variable assigned only from such an f-string."""
    if isinstance(value, ast.JoinedStr):
        first = value.values[0] if value.values else None
        return isinstance(first, ast.Constant) and str(first.value).endswith(":")
    if isinstance(value, ast.Attribute):
        return value.attr == "reservation_key"
    if isinstance(value, ast.Name) and fn is not None:
        sources = [
            node.value
            for node in ast.walk(fn)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets)
        ]
        return bool(sources) and all(_derived(s, None) for s in sources)
    return False


def test_every_ledger_key_outside_the_ledger_is_derived_by_the_server() -> None:
    calls = []
    offending = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn, call, service in _ledger_calls(tree):
            calls.append(service)
            where = f"{path.relative_to(PACKAGE)}:{call.lineno} {service}"
            for kw in call.keywords:
                if kw.arg is None:
                    offending.append(f"{where} passes **kwargs")
                if kw.arg == "key" and (service == "fund_budget" or not _derived(kw.value, fn)):
                    offending.append(f"{where} key={ast.unparse(kw.value)}")
    assert {"fund_budget", "reserve", "release", "settle", "pay"} <= set(calls)
    assert not offending, offending


def _posting_functions() -> set[str]:
    """`module.function` of every function outside views and the API that posts to the
    ledger, directly or through another such function."""
    trees = {
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts): ast.parse(
            p.read_text(encoding="utf-8")
        )
        for p in _modules()
    }
    posting: set[str] = set()
    for name, tree in trees.items():
        posting |= {f"{name}.{fn.name}" for fn, _c, _s in _ledger_calls(tree) if fn is not None}
    while True:
        more = {
            f"{name}.{fn}"
            for name, tree in trees.items()
            for fn, callees in _callees(tree, name).items()
            if callees & posting
        } - posting
        if not more:
            return posting
        posting |= more


def _imports(tree: ast.Module) -> dict[str, str]:
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gaoxin"):
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _callees(tree: ast.Module, module: str) -> dict[str, set[str]]:
    """For each top-level function: the module-qualified functions it names."""
    imports = _imports(tree)
    here = {fn.name for fn in tree.body if isinstance(fn, ast.FunctionDef)}
    out: dict[str, set[str]] = {}
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        named = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in imports:
                    named.add(f"{imports[node.value.id]}.{node.attr}")
            elif isinstance(node, ast.Name):
                if node.id in imports:
                    named.add(imports[node.id])
                elif node.id in here:
                    named.add(f"{module}.{node.id}")
        out[fn.name] = named
    return out


def test_every_view_and_endpoint_that_posts_to_the_ledger_takes_an_idempotency_key() -> None:
    posting = _posting_functions()
    assert {
        "gaoxin.policies.payouts.fund",
        "gaoxin.policies.payouts.pay_batch",
        "gaoxin.vouchers.orders.place",
        "gaoxin.vouchers.orders.cancel",
        "gaoxin.vouchers.settlements.pay",
    } <= posting
    views = [
        p for p in _modules() if p.name in ("api.py", "views.py") or p.name.endswith("_views.py")
    ]
    missing, wrapped = [], 0
    for path in views:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                continue
            name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
            names = _callees(tree, name)[fn.name]
            if not names & posting:
                continue
            decorators = [ast.unparse(d) for d in fn.decorator_list]
            if any(d in ("idempotent", "decorate_view(idempotent)") for d in decorators):
                wrapped += 1
            else:
                missing.append(f"{path.relative_to(PACKAGE)} {fn.name}")
    assert wrapped >= 13
    assert not missing, missing


# -- the attack, on every form and endpoint that posts to the ledger --------------------------


@pytest.fixture
def year(zone: Any) -> VoucherYear:
    return open_year(zone)


def _deliver(year: VoucherYear, order: VoucherOrder) -> None:
    orders.accept(actor=as_(year.zone, "provider"), order=order)
    orders.confirm_delivery(actor=as_(year.zone, "enterprise_a"), order=order)


def test_voucher_forms_cannot_choose_a_ledger_key(year: VoucherYear) -> None:
    zone = year.zone
    enterprise = client_for(zone, "enterprise_a")
    provider = client_for(zone, "provider")
    admin = client_for(zone, "zone_admin")
    first = place(year)  # its later keys: voucher-approve:<pk>, voucher-pay:<pk>
    approve_key, pay_key = f"voucher-approve:{first.pk}", f"voucher-pay:{first.pk}"
    pool = services.pool_of(year.scheme)

    # the fund form: the funding is named by the server, the chosen key is nowhere
    response = admin.post(
        f"/vouchers/manage/{year.scheme.pk}/fund/", {"amount": "1000"} | attack(approve_key)
    )
    assert response.status_code == 302
    assert_entry(f"fund:{pool.pk}:2", "fund")
    assert not JournalEntry.objects.filter(idempotency_key=approve_key).exists()

    # the order form
    response = enterprise.post(
        f"/vouchers/order/{year.listing.pk}/",
        {"contract_fee": "5000", "contract_file": contract()} | attack(pay_key),
    )
    assert response.status_code == 302, response.content.decode()
    second = VoucherOrder.objects.exclude(pk=first.pk).get()
    assert second.reservation_key == f"voucher-order:{second.pk}"
    assert_entry(second.reservation_key, "reserve")

    # cancel (release) of the second order, choosing the first order's approval key
    response = enterprise.post(
        f"/vouchers/orders/{second.pk}/cancel/", {"reason": "不需要了"} | attack(approve_key)
    )
    assert response.status_code == 302
    assert_entry(f"release:{second.reservation_key}", "release")

    # redeem and review of the first order, choosing its own later keys
    _deliver(year, first)
    provider.post(
        f"/vouchers/orders/{first.pk}/redeem/", {"invoice_fee": "10000"} | attack(pay_key)
    )
    staff = client_for(zone, "staff")
    response = staff.post(
        f"/vouchers/orders/{first.pk}/review/",
        {"decision": "approve", "comment": "材料齐全"} | attack(pay_key),
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == OrderState.APPROVED
    assert_entry(approve_key, "settle")

    # settlement issue and pay, choosing the payment's own key
    period = settlements.quarter_of(timezone.localdate())
    admin.post("/vouchers/settlements/issue/", {"period": period} | attack(pay_key))
    statement = VoucherSettlement.objects.get()
    response = admin.post(f"/vouchers/settlements/{statement.pk}/pay/", attack(pay_key))
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.state == "paid"
    assert_entry(pay_key, "pay")
    assert_every_key_is_the_servers()
    balances = pool_balances(pool)
    assert balances.paid_fen == first.deduction_fen and balances.reserved_fen == 0


def test_voucher_endpoints_cannot_choose_a_ledger_key(year: VoucherYear) -> None:
    zone = year.zone
    enterprise = client_for(zone, "enterprise_a")
    provider = client_for(zone, "provider")
    admin = client_for(zone, "zone_admin")
    first = place(year)
    approve_key, pay_key = f"voucher-approve:{first.pk}", f"voucher-pay:{first.pk}"

    placed = enterprise.post(
        "/api/vouchers/orders",
        {"listing_id": year.listing.pk, "contract_fee_fen": 500_000, "contract_file": contract()}
        | attack(approve_key),
        **header(approve_key),
    )
    assert placed.status_code == 201, placed.content
    second = VoucherOrder.objects.get(pk=placed.json()["id"])
    assert_entry(f"voucher-order:{second.pk}", "reserve")

    declined = api_post(
        provider, f"/api/vouchers/orders/{second.pk}/decline", {"reason": "排期已满"}, pay_key
    )
    assert declined.status_code == 200, declined.content
    assert_entry(f"release:voucher-order:{second.pk}", "release")

    _deliver(year, first)
    redeemed = api_post(
        provider,
        f"/api/vouchers/orders/{first.pk}/redeem",
        {"invoice_fee_fen": 1_000_000},
        approve_key,
    )
    assert redeemed.status_code == 200, redeemed.content
    reviewed = api_post(
        client_for(zone, "staff"),
        f"/api/vouchers/orders/{first.pk}/review",
        {"decision": "approve"},
        pay_key,
    )
    assert reviewed.status_code == 200, reviewed.content
    assert_entry(approve_key, "settle")

    period = settlements.quarter_of(timezone.localdate())
    issue = {"scheme_id": year.scheme.pk, "provider_id": year.provider.pk, "period": period}
    issued = api_post(admin, "/api/vouchers/settlements", issue, pay_key)
    assert issued.status_code == 201, issued.content
    paid = admin.post(
        f"/api/vouchers/settlements/{issued.json()['id']}/pay",
        attack(pay_key),
        content_type="application/json",
        **header(pay_key),
    )
    assert paid.status_code == 200, paid.content
    assert paid.json()["state"] == "paid"
    assert_entry(pay_key, "pay")
    assert_every_key_is_the_servers()


START_FEN = 50_000_000  # the first funding (fund:<pool>:1): identification needs a budget


def _verified_payouts(zone: Any) -> tuple[Any, Payout, Payout]:
    policy = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "200万"})
    payouts.fund(actor=STAFF, policy=policy, year=YEAR, amount_fen=START_FEN)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    a = Payout.objects.get(enterprise=zone.enterprise_a)
    b = Payout.objects.get(enterprise=zone.enterprise_b)
    for role, payout in (("enterprise_a", a), ("enterprise_b", b)):
        payouts.push_payout(actor=STAFF, payout=payout)
        confirm_as(zone, role, payout)
        payouts.verify(actor=STAFF, payout=payout, accept=True)
    return policy, a, b


@pytest.mark.django_db
def test_payout_forms_and_endpoints_cannot_choose_a_ledger_key(zone: Any) -> None:
    policy, a, b = _verified_payouts(zone)
    staff = client_for(zone, "staff")
    admin = client_for(zone, "zone_admin")
    # the fund form, twice, each time choosing a key the batch will need
    for chosen in (f"payout:{a.pk}", f"approve:{b.pk}"):
        response = staff.post(
            f"/policies/{policy.pk}/payouts/fund/", {"amount": "500000"} | attack(chosen)
        )
        assert response.status_code == 302
    pool = payouts.pool_of(policy, YEAR)
    assert pool is not None and pool.total_fen == START_FEN + 2 * 50_000_000
    assert_entry(f"fund:{pool.pk}:2", "fund")
    assert_entry(f"fund:{pool.pk}:3", "fund")

    # the batch form (reserve), choosing an approval key; staff see A, staff_other B
    for role, payout, chosen in (
        ("staff", a, f"approve:{a.pk}"),
        ("staff_other", b, f"pay:{b.pk}"),
    ):
        response = client_for(zone, role).post(
            f"/policies/{policy.pk}/payouts/batch/", {"payout": [payout.pk]} | attack(chosen)
        )
        assert response.status_code == 302
        assert_entry(f"payout:{payout.pk}", "reserve")
    batch_a = PayoutBatch.objects.get(payouts=a)
    batch_b = PayoutBatch.objects.get(payouts=b)

    # approve A through the page and B through the API, choosing payment keys
    response = admin.post(
        f"/policies/{policy.pk}/batches/{batch_a.pk}/approve/", attack(f"pay:{a.pk}")
    )
    assert response.status_code == 302
    approved = admin.post(
        f"/api/policies/{policy.pk}/batches/{batch_b.pk}/approve",
        attack(f"pay:{b.pk}"),
        content_type="application/json",
        **header(f"pay:{b.pk}"),
    )
    assert approved.status_code == 200, approved.content
    assert_entry(f"approve:{a.pk}", "settle")
    assert_entry(f"approve:{b.pk}", "settle")

    # pay A through the API and B through the page, choosing the other's keys
    paid = admin.post(
        f"/api/policies/{policy.pk}/batches/{batch_a.pk}/pay",
        attack(f"pay:{b.pk}"),
        content_type="application/json",
        **header(f"pay:{b.pk}"),
    )
    assert paid.status_code == 200, paid.content
    response = admin.post(f"/policies/{policy.pk}/batches/{batch_b.pk}/pay/", attack(f"pay:{a.pk}"))
    assert response.status_code == 302
    assert_entry(f"pay:{a.pk}", "pay")
    assert_entry(f"pay:{b.pk}", "pay")
    assert_every_key_is_the_servers()
    assert pool_balances(pool).paid_fen == a.amount_fen + b.amount_fen


# -- replays of the Idempotency-Key ------------------------------------------------------------


@pytest.mark.django_db
def test_a_retried_fund_form_funds_once_and_a_new_form_funds_again(zone: Any) -> None:
    policy, _a, _b = _verified_payouts(zone)
    staff = client_for(zone, "staff")
    form = {"amount": "1000", "idempotency_key": "form-render-1"}
    first = staff.post(f"/policies/{policy.pk}/payouts/fund/", form)
    again = staff.post(f"/policies/{policy.pk}/payouts/fund/", form)
    assert (first.status_code, again.status_code) == (302, 302)
    assert again["Location"] == first["Location"] and again["Idempotent-Replayed"] == "true"
    pool = payouts.pool_of(policy, YEAR)
    assert pool is not None and pool.total_fen == START_FEN + 100_000
    # the page renders a new key each time: the next form funds again
    page = staff.get(f"/policies/{policy.pk}/payouts/").content.decode()
    rendered = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert len(rendered) >= 2 and len(set(rendered)) == len(rendered)
    staff.post(
        f"/policies/{policy.pk}/payouts/fund/", {"amount": "1000", "idempotency_key": rendered[0]}
    )
    pool.refresh_from_db()
    assert pool.total_fen == START_FEN + 200_000


@pytest.mark.django_db
def test_a_reused_key_with_another_request_is_refused(zone: Any) -> None:
    policy, _a, _b = _verified_payouts(zone)
    staff = client_for(zone, "staff")
    url = f"/policies/{policy.pk}/payouts/fund/"
    staff.post(url, {"amount": "1000"}, **header("k-1"))
    refused = staff.post(url, {"amount": "2000"}, **header("k-1"))
    assert refused.status_code == 422
    assert "已用于另一个不同的请求" in refused.content.decode()
    pool = payouts.pool_of(policy, YEAR)
    assert pool is not None and pool.total_fen == START_FEN + 100_000
    # over-long or invisible keys are refused, nothing posted
    for bad in ("k" * 201, "a\tb"):
        assert staff.post(url, {"amount": "1"}, **header(bad)).status_code == 422
    pool.refresh_from_db()
    assert pool.total_fen == START_FEN + 100_000


@pytest.mark.django_db
def test_keys_are_scoped_to_the_user_and_the_endpoint(zone: Any) -> None:
    policy, _a, _b = _verified_payouts(zone)
    url = f"/policies/{policy.pk}/payouts/fund/"
    client_for(zone, "staff").post(url, {"amount": "1000"}, **header("same"))
    # another user, same key and body: a request of its own
    other = client_for(zone, "zone_admin").post(url, {"amount": "1000"}, **header("same"))
    assert "Idempotent-Replayed" not in other
    pool = payouts.pool_of(policy, YEAR)
    assert pool is not None and pool.total_fen == START_FEN + 200_000
    assert IdempotentRequest.objects.filter(key="same").count() == 2
    assert set(IdempotentRequest.objects.values_list("scope", flat=True)) == {f"POST {url}"}


def test_an_api_write_replays_its_first_answer(year: VoucherYear) -> None:
    zone = year.zone
    order = place(year)
    _deliver(year, order)
    provider = client_for(zone, "provider")
    provider.post(
        f"/api/vouchers/orders/{order.pk}/redeem",
        {"invoice_fee_fen": 1_000_000},
        content_type="application/json",
    )
    staff = client_for(zone, "staff")
    url = f"/api/vouchers/orders/{order.pk}/review"
    first = staff.post(
        url, {"decision": "approve"}, content_type="application/json", **header("r1")
    )
    entries = JournalEntry.objects.count()
    again = staff.post(
        url, {"decision": "approve"}, content_type="application/json", **header("r1")
    )
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert JournalEntry.objects.count() == entries
    other = staff.post(url, {"decision": "reject"}, content_type="application/json", **header("r1"))
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_a_token_client_is_scoped_by_its_user(year: VoucherYear) -> None:
    from gaoxin.accounts.services import issue_token

    zone = year.zone
    order = place(year)
    _token, token = issue_token(
        actor=as_(zone, "enterprise_a"), user=zone.users["enterprise_a"], name="t"
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/vouchers/orders/{order.pk}/cancel"
    first = client.post(url, {"reason": "改期"}, content_type="application/json", **header("c1"))
    again = client.post(url, {"reason": "改期"}, content_type="application/json", **header("c1"))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    stored = IdempotentRequest.objects.get(key="c1")
    assert stored.user == zone.users["enterprise_a"]


def test_a_failed_request_leaves_no_record_and_may_be_retried(year: VoucherYear) -> None:
    admin = client_for(year.zone, "zone_admin")
    url = f"/api/vouchers/settlements/{10**6}/pay"
    assert post_json(admin, url).status_code == 404
    # a 4xx answer is the answer: stored and replayed like any other
    response = admin.post(url, content_type="application/json", **header("p1"))
    again = admin.post(url, content_type="application/json", **header("p1"))
    assert (response.status_code, again.status_code) == (404, 404)
    assert again["Idempotent-Replayed"] == "true"


def test_the_hidden_field_is_on_every_ledger_form(year: VoucherYear) -> None:
    zone = year.zone
    order = place(year)
    pages = {
        "zone_admin": ["/vouchers/manage/", "/vouchers/settlements/"],
        "enterprise_a": [f"/vouchers/order/{year.listing.pk}/", f"/vouchers/orders/{order.pk}/"],
    }
    for role, urls in pages.items():
        client = client_for(zone, role)
        for url in urls:
            body = client.get(url).content.decode()
            forms = re.findall(r"<form[^>]*>.*?</form>", body, flags=re.S)
            posting = [
                f
                for f in forms
                if re.search(r"/(fund|cancel|issue|pay|redeem|review)/|order-form", f)
            ]
            assert posting or url.endswith("/settlements/"), url
            for form in posting:
                assert 'name="idempotency_key"' in form, (url, form[:200])


def test_funding_keys_are_numbered_under_the_pools_lock(zone: Any) -> None:
    year = open_year(zone, budget_fen=1_000)
    admin = as_(zone, "zone_admin")
    for _ in range(3):
        services.fund(actor=admin, scheme=year.scheme, amount_fen=500)
    pool = services.pool_of(year.scheme)
    keys = list(
        JournalEntry.objects.filter(pool=pool, kind="fund")
        .order_by("pk")
        .values_list("idempotency_key", flat=True)
    )
    assert keys == [f"fund:{pool.pk}:{n}" for n in (1, 2, 3, 4)]
    pool.refresh_from_db()
    assert pool.total_fen == 2_500 == pool_balances(pool).total_fen


@pytest.mark.django_db(transaction=True)
def test_concurrent_sendings_of_one_form_fund_once(zone: Any) -> None:
    """Ten sendings of one rendered fund form at once (threads, each its own connection): the
    first runs, the others wait on the key's unique index and get its answer."""
    import time

    from django.contrib.sessions.backends.base import UpdateError
    from django.db import connection

    from tests.ledger.test_concurrency import in_threads

    year = open_year(zone)
    pool = services.pool_of(year.scheme)
    url = f"/vouchers/manage/{year.scheme.pk}/fund/"
    form = {"amount": "100", "idempotency_key": "rendered-once"}

    clients = [client_for(zone, "zone_admin") for _ in range(10)]

    def send(i: int) -> int:
        # SQLite refuses a second writer at once ("locked"), also when the session is saved
        # after the view (UpdateError): the client sends again, as a browser retry would.
        for _attempt in range(200):
            try:
                return int(clients[i].post(url, form).status_code)
            except UpdateError:
                time.sleep(0.01)
        raise AssertionError("never answered")

    assert set(in_threads(10, send)) == {302}
    pool.refresh_from_db()
    assert pool.total_fen == 100_000_000 + 10_000
    assert JournalEntry.objects.filter(pool=pool, kind="fund").count() == 2
    assert IdempotentRequest.objects.filter(key="rendered-once").count() == 1
    connection.close()
