"""Every page of the tour fits a 390 px phone: no sideways scroll of the page itself (a wide
table scrolls inside its own box).

The pages are found, not listed by hand: a small demo zone is built, then for each role the
test follows every link from the home page with Django's test client, keeping one address per
route of the URL conf, and opens each in Chromium at 390×844. Every route of the URL conf must
be reached by some role, answer GET with 405 (an action, not a page), or be named in NOT_PAGES
with what it is instead, so that a new page can't escape the check."""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from gaoxin.accounts.models import User
from gaoxin.core.audit import Actor
from gaoxin.demo import build_demo_zone
from gaoxin.enterprises.models import Enterprise
from gaoxin.notifications.models import WebhookEndpoint
from gaoxin.policies import applications, services, versions
from gaoxin.policies.models import Policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# Who the tour logs in as: every kind of home and navigation the demo has.
ROLES = ("admin", "staff2", "commissioner", "ent1", "provider", "bank")
PUBLIC = ("/accounts/login/", "/notices/", "/no-such-page/")
SKIP_PREFIXES = ("/static/", "/media/", "/api/", "/i18n/", "/jsi18n/", "/accounts/logout/")
INSTANCES = 4  # addresses of one route followed for links (policies differ in what they link)
# Routes that are not pages a person reads, and what they are instead.
NOT_PAGES = {
    "favicon.ico": "redirect to the static icon",
    "jsi18n/": "JavaScript catalogue",
    "i18n/setlang/": "the language switch (a form posts to it)",
    "enterprises/segments/": "HTMX fragment: the segment options of a chain",
    "attachments/<int:pk>/": "file download",
    "vouchers/orders/<int:pk>/contract/": "file download",
    "policies/<int:pk>/publish/": "redirect to the approved version's publish confirmation",
}
# Every list's Excel export (…/export/) and every workbook (….xlsx) is a download, not a page.
DOWNLOAD = re.compile(r"(^|/)export/$|\.xlsx$")
APPLY_POLICY = """id: phone-layout-apply
title: 创新券抵扣（手机版面测试）
issuer: 园区管委会
source: 测试文件
category: voucher
effective: {from: 2020-01-01}
delivery: apply
inputs:
  service_fee: {type: money, label: 服务合同金额}
conditions:
  - label: 服务合同金额不低于 1 万元
    when: service_fee >= 1万
benefit:
  amount: min(service_fee * 35%, 60万)
"""


def routes() -> set[str]:
    def walk(patterns: list[Any], prefix: str = "") -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return {r for r in walk(get_resolver().url_patterns) if not r.startswith("api/")}


def route_of(path: str) -> str | None:
    try:
        return str(resolve(path).route)
    except Resolver404:
        return None


def discover(client: Client, start: tuple[str, ...] = ("/",)) -> dict[str, str]:
    """route → the first address of it this user reaches by following links."""
    found: dict[str, str] = {}
    followed: dict[str, int] = {}
    queue = deque(start)
    seen = set(start)
    while queue:
        response = client.get(queue.popleft(), follow=True)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        path = response.request["PATH_INFO"]
        route = route_of(path)
        if response.status_code != 200 or route is None:
            found.setdefault(path, path)  # the error page is a page too
            continue
        found.setdefault(route, path)
        followed[route] = followed.get(route, 0) + 1
        for href in re.findall(r'href="([^"#]+)', response.content.decode()):
            target = urlsplit(urljoin(path, href.replace("&amp;", "&")))
            if target.netloc or target.path.startswith(SKIP_PREFIXES) or target.path in seen:
                continue
            if followed.get(route_of(target.path) or "", 0) >= INSTANCES:
                continue
            seen.add(target.path)
            queue.append(target.path)
    return found


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def demo_zone_with_everything() -> None:
    """The demo zone, small, plus what it doesn't make: a draft policy (its publish
    confirmation), an application under review, a webhook, an import waiting for its preview
    to be confirmed."""
    build_demo_zone(enterprises=20)
    staff = Actor.system("test:phone-layout")
    policy = services.save_policy(actor=staff, text=APPLY_POLICY)
    services.publish(actor=staff, policy=policy, match=False)
    # A change awaiting publication: written and submitted by staff, approved by the admin
    # (its version page and its publish confirmation).
    writer = Actor.for_user(User.objects.get(username="staff2"))
    edited = APPLY_POLICY.replace("title:", "notes: 修订版\ntitle:", 1)
    services.save_policy(actor=writer, text=edited, policy=policy)
    change = versions.pending(Policy.objects.get(pk=policy.pk))
    assert change is not None
    services.move_version(actor=writer, version=change, move="submit")
    services.move_version(
        actor=Actor.for_user(User.objects.get(username="admin")), version=change, move="approve"
    )
    services.save_policy(actor=staff, text=APPLY_POLICY.replace("-apply", "-draft"))
    ent1 = User.objects.get(username="ent1")
    applications.submit(
        actor=Actor.for_user(ent1),
        enterprise=Enterprise.objects.get(organisation=ent1.organisation),
        policy=policy,
        inputs={"service_fee": "12万"},
        attachments=[SimpleUploadedFile("服务合同.pdf", b"%PDF-1.4 x", "application/pdf")],
    )
    WebhookEndpoint.objects.create(
        name="企业服务群机器人（演示）",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + "0" * 36,
    )
    year = dt.date.today().year - 1
    upload = SimpleUploadedFile(
        "企业名单.csv",
        (
            f"统一社会信用代码,企业名称,职工总数,营业收入_{year}\n"
            "91350200MA2YXXXX1A,厦门一家名称很长很长的新材料科技股份有限公司,12,1200万\n"
            "123,厦门错码有限公司,-3,很多\n"
        ).encode(),
        "text/csv",
    )
    preview = signed_in("admin").post(
        "/imports/", {"file": upload, "mode": "upsert", "source": "verified"}
    )
    assert preview.status_code == 302 and route_of(preview["Location"]) == "imports/<int:pk>/"


def tour() -> dict[str, dict[str, str]]:
    """role → route → address; and the completeness check over the URL conf."""
    pages = {username: discover(signed_in(username)) for username in ROLES}
    pages["anonymous"] = {route_of(p) or p: p for p in PUBLIC}
    reached = {route for found in pages.values() for route in found}
    unreached = {r for r in routes() - reached - set(NOT_PAGES) if not DOWNLOAD.search(r)}
    admin = signed_in("admin")
    actions = set()
    for route in unreached:
        path = "/" + re.sub(r"<int:\w+>", "1", re.sub(r"<str:\w+>", "x", route))
        if admin.get(path).status_code == 405:
            actions.add(route)  # POST only: an action behind a button, not a page
    assert sorted(unreached - actions) == [], "pages no role reached: link them or list them"
    return pages


OVERFLOW = """() => {
  const limit = window.innerWidth + 1;
  const boxes = ['auto', 'scroll', 'hidden', 'clip'];
  const scrolls = (e) => boxes.includes(getComputedStyle(e).overflowX);
  const culprits = [];
  for (const e of document.body.querySelectorAll('*')) {
    if (e.getBoundingClientRect().right <= limit) continue;
    let boxed = false;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a)) { boxed = true; break; }
    }
    if (!boxed && getComputedStyle(e).position !== 'fixed') {
      const classes = typeof e.className === 'string' ? e.className.trim() : '';
      culprits.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
        (classes ? '.' + classes.split(/\\s+/).join('.') : '') +
        ' right=' + Math.round(e.getBoundingClientRect().right));
    }
  }
  return {width: document.documentElement.scrollWidth, culprits: culprits.slice(0, 4)};
}"""


def test_every_tour_page_fits_a_390px_phone(live_server: Any, browser: Any) -> None:
    """In Chinese and in English (longer words, longer table headers)."""
    demo_zone_with_everything()
    pages = tour()
    assert sum(len(found) for found in pages.values()) > 80
    problems = []
    for language in ("zh-hans", "en"):
        for username, found in pages.items():
            context = browser.new_context(viewport=PHONE, locale="zh-CN")
            cookies = [{"name": "django_language", "value": language, "url": live_server.url}]
            if username != "anonymous":
                session = signed_in(username).cookies["sessionid"].value
                cookies.append({"name": "sessionid", "value": session, "url": live_server.url})
            context.add_cookies(cookies)
            page = context.new_page()
            for path in sorted(found.values()):
                page.goto(live_server.url + path, wait_until="load")
                measured = page.evaluate(OVERFLOW)
                if measured["width"] > PHONE["width"] + 1:
                    problems.append(
                        f"{language} {username} {path}: {measured['width']} px "
                        f"{measured['culprits']}"
                    )
            context.close()
    assert problems == [], "\n".join(problems)
