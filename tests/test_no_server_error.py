"""No input produces a server error: every form of every page and every parameter of every API
endpoint, given each value of a corpus of bad input, is answered 2xx–4xx with words a person
can act on — never a 500, never a Python class name or a traceback.

The forms are found the way a person finds them: a crawl of the demo zone from the home page of
each role, following links (a few per URL pattern), reading each page's forms with the values
they would submit untouched. The endpoints are read from the OpenAPI spec. The demo zone is
built once for the module and rolled back after it."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, settings

from gaoxin.accounts.models import User
from tests.fuzz import CORPUS, JSON_CORPUS, RAW_BODIES, SHARP, FormParser, server_error, shown

pytestmark = pytest.mark.django_db
PER_PATTERN = 2  # pages crawled per URL pattern (e.g. two enterprise detail pages)
SKIP = {"accounts:logout", "set_language", "javascript-catalog"}  # ends or leaves the session


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    from gaoxin.demo import build_demo_zone

    with django_db_blocker.unblock(), transaction.atomic():
        build_demo_zone(enterprises=60)
        yield
        transaction.set_rollback(True)


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name or match.route


def _request(client: Client, method: str, path: str, **kwargs: Any) -> tuple[Any, str | None]:
    try:
        response = getattr(client, method)(path, **kwargs)
    except Exception as exc:  # the test client re-raises what the view raised
        return None, f"raised {type(exc).__name__}: {exc}"[:200]
    return response, server_error(response)


def _crawl(client: Client) -> Iterator[tuple[str, Any]]:
    """(path, parsed page) for each page reachable by GET, at most PER_PATTERN per pattern."""
    seen: set[str] = set()
    per_pattern: Counter[str] = Counter()
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        name = _name(path)
        if path in seen or name is None or name in SKIP or path.startswith("/api/"):
            continue
        seen.add(path)
        if per_pattern[name] >= PER_PATTERN:
            continue
        per_pattern[name] += 1
        response = client.get(path)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = FormParser(path)
        page.feed(response.content.decode())
        yield path, page
        for link in page.links:
            parts = urlsplit(link)
            if not parts.netloc and parts.path.startswith("/"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))


def _attempts(fields: dict[str, str], skip: set[str]) -> Iterator[tuple[str, dict[str, str]]]:
    """(what, data): each value of the corpus in every field at once, then each sharp value in
    one field at a time with the others as the page filled them."""
    names = [f for f in fields if f not in skip]
    for value in CORPUS:
        yield f"all={shown(value)}", {**fields, **dict.fromkeys(names, value)}
    for name in names:
        for value in SHARP:
            yield f"{name}={shown(value)}", {**fields, name: value}


@pytest.mark.parametrize("role", ("admin", "ent1", "provider"))
def test_every_form_field_refuses_bad_input_without_a_server_error(demo: None, role: str) -> None:
    client = _client(role)
    failures: list[str] = []
    forms_seen: set[tuple[str, str, tuple[str, ...]]] = set()
    fuzzed = 0
    for path, page in list(_crawl(client)):
        for form in page.forms:
            action = urlsplit(form.action).path or path
            name = _name(action)
            fields = {k: v for k, v in form.fields.items() if k != "csrfmiddlewaretoken"}
            key = (name or action, form.method, tuple(sorted(fields)))
            if name is None or name in SKIP or key in forms_seen:
                continue
            forms_seen.add(key)
            if form.method == "get":
                fields |= {"page": "1", "size": "20", "year": "2024"}  # what lists also read
            for what, data in _attempts(fields, skip=form.hidden):
                if form.method == "post":
                    files = {upload: io.BytesIO(b"%PDF-1.4 fuzz") for upload in form.files}
                    _response, why = _request(client, "post", action, data={**data, **files})
                else:
                    _response, why = _request(client, "get", f"{action}?{urlencode(data)}")
                fuzzed += 1
                if why:
                    failures.append(f"{form.method.upper()} {action} {what}: {why}")
    assert len(forms_seen) >= 5, f"{role}: the crawl found only {len(forms_seen)} forms"
    assert not failures, f"{len(failures)} of {fuzzed}:\n" + "\n".join(failures[:60])


# -- the API ----------------------------------------------------------------------------------


def _ids() -> dict[str, str]:
    """A real id for every path parameter of the spec, so the request reaches the schema."""
    from gaoxin.enterprises.models import Enterprise
    from gaoxin.policies.models import Application, Payout, PayoutBatch, Policy
    from gaoxin.supermarket.models import ProviderProfile, ServiceListing
    from gaoxin.vouchers.models import VoucherOrder, VoucherScheme, VoucherSettlement

    def first(model: Any) -> str:
        return str(model.objects.order_by("pk").values_list("pk", flat=True).first() or 1)

    return {
        "enterprise_id": first(Enterprise),
        "policy_id": first(Policy),
        "payout_id": first(Payout),
        "application_id": first(Application),
        "batch_id": first(PayoutBatch),
        "listing_id": first(ServiceListing),
        "provider_id": first(ProviderProfile),
        "order_id": first(VoucherOrder),
        "scheme_id": first(VoucherScheme),
        "settlement_id": first(VoucherSettlement),
        "year": str(dt.date.today().year - 1),
        "action": "approve",
    }


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    from gaoxin.api import api

    spec = api.get_openapi_schema()
    return [
        (method, path, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def _plain(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value of the right type for a JSON schema, to fill the fields not under test."""
    if "$ref" in schema:
        return _plain(spec["components"]["schemas"][schema["$ref"].split("/")[-1]], spec)
    if "anyOf" in schema:
        return _plain(schema["anyOf"][0], spec)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "object":
        return {}
    if kind == "array":
        return []
    return "1"


def _body_fields(operation: dict[str, Any], spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    content = operation.get("requestBody", {}).get("content", {})
    for media, body in content.items():
        schema = body["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
        props = schema.get("properties", {})
        return media, {name: _plain(prop, spec) for name, prop in props.items()}
    return "", {}


# Path parameters: numbers a route accepts as digits but no column holds, and what no route takes.
PATH_CORPUS = ("100000000000000000000", str(2**64), "0", "10²", "１２３", "x")


def _encodable(value: Any) -> bool:
    return isinstance(value, str) and (value.isascii() or "\ud800" not in value)


@pytest.mark.parametrize("role", ("admin", "ent1", "provider"))
def test_every_api_parameter_refuses_bad_input_without_a_server_error(
    demo: None, role: str
) -> None:
    from gaoxin.accounts.services import issue_token
    from gaoxin.api import api
    from gaoxin.core.audit import Actor

    user = User.objects.get(username=role)
    _token, key = issue_token(actor=Actor.system("test"), user=user, name="fuzz")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.raise_request_exception = True
    spec = api.get_openapi_schema()
    ids = _ids()
    failures: list[str] = []
    count = 0

    def check(method: str, path: str, what: str, **kwargs: Any) -> None:
        nonlocal count
        count += 1
        response, why = _request(client, method, path, **kwargs)
        if not why and response is not None and response.status_code >= 400:
            if "json" not in response.get("Content-Type", ""):
                why = f"{response.status_code} answered {response.get('Content-Type')}"
            elif not json.loads(response.content).get("message"):
                why = f"{response.status_code} without a message"
        if why:
            failures.append(f"{method.upper()} {path} {what}: {why}")

    for method, template, operation in _operations():
        params = operation.get("parameters", [])
        path_values = {p["name"]: ids[p["name"]] for p in params if p["in"] == "path"}
        query = {p["name"]: "1" for p in params if p["in"] == "query" and p.get("required")}
        media, body = _body_fields(operation, spec)

        def send(
            path_values: dict[str, str],
            query: dict[str, str],
            body: dict[str, Any],
            what: str,
            method: str = method,
            template: str = template,
            media: str = media,
        ) -> None:
            path = template.format(**path_values)
            path += f"?{urlencode(query)}" if query else ""
            if media == "application/json":
                check(method, path, what, data=json.dumps(body), content_type=media)
            elif media == "multipart/form-data":
                form = {k: v for k, v in body.items() if not isinstance(v, list | dict)}
                check(method, path, what, data={**form, "contract_file": io.BytesIO(b"%PDF")})
            else:
                check(method, path, what)

        for param in params:
            for value in CORPUS if param["in"] == "query" else PATH_CORPUS:
                what = f"{param['name']}={shown(value)}"
                if param["in"] == "path":
                    send({**path_values, param["name"]: value}, query, body, what)
                elif param["in"] == "query":
                    send(path_values, {**query, param["name"]: value}, body, what)
        for value in CORPUS:
            send(path_values, query, dict.fromkeys(body, value), f"all={shown(value)}")
        for name in body:
            for value in (*SHARP, *JSON_CORPUS):
                if media == "multipart/form-data" and not _encodable(value):
                    continue  # a form carries text only, and only text that UTF-8 can encode
                send(path_values, query, {**body, name: value}, f"{name}={shown(value)}")
        if media:
            path = template.format(**path_values)
            for raw in RAW_BODIES:
                check(method, path, f"body {shown(raw)}", data=raw, content_type=media)
            check(
                method,
                path,
                "multipart without boundary",
                data=b"--x\r\n",
                content_type="multipart/form-data",
            )
    assert count > 500
    assert not failures, f"{len(failures)} of {count}:\n" + "\n".join(failures[:80])


# -- schemathesis over the whole spec ---------------------------------------------------------


def _schemathesis_schema() -> Any:
    import schemathesis
    from django.core.handlers.wsgi import WSGIHandler

    from gaoxin.api import api

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema())
    loaded.app = WSGIHandler()
    return loaded


schema = _schemathesis_schema()


@pytest.fixture
def bearer(demo: None) -> Iterator[dict[str, str]]:
    """A zone admin's token. The requests go through Django's own WSGI handler, which closes
    the database connection after each one; the test's transaction needs it kept open (as
    Django's test client does)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from gaoxin.accounts.services import issue_token
    from gaoxin.core.audit import Actor

    user = User.objects.get(username="admin")
    _token, key = issue_token(actor=Actor.system("test"), user=user, name="schemathesis")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {key}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_schemathesis_finds_no_server_error(case: Any, bearer: dict[str, str]) -> None:
    from schemathesis.checks import not_a_server_error

    response = case.call(headers=bearer)
    case.validate_response(response, checks=[not_a_server_error])
