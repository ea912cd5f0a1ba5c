"""What the API answers to input it can't use: JSON, with a status and a message a person can
act on, for every kind of refusal; anonymous writes are asked to sign in; the OpenAPI spec
names each schema once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from ninja import Schema

from tests.clients import client_for

pytestmark = pytest.mark.django_db


def refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["message"] and "<class" not in body["message"]
    return body


def test_the_registry_list_takes_a_year(zone: Any) -> None:
    client = client_for(zone, "zone_admin")
    assert client.get("/api/enterprises?year=2024").status_code == 200
    assert client.get("/api/enterprises?year=２０２４").status_code == 200  # full-width digits
    for year in ("10²", "1e3", str(2**64), "abc", "1800"):
        body = refused(client.get(f"/api/enterprises?year={year}"), 422)
        assert body["field"] == "year"


def test_numbers_beyond_64_bits_and_nul_in_queries_are_422(zone: Any) -> None:
    client = client_for(zone, "zone_admin")
    assert refused(client.get("/api/supermarket/listings?min_fen=10²"), 422)["field"] == "min_fen"
    assert refused(client.get(f"/api/supermarket/listings?min_fen={10**20}"), 422)
    refused(client.get("/api/enterprises?q=%00"), 422)
    # a page beyond the last is the last page, however far beyond
    assert client.get(f"/api/enterprises?page={2**64}").json()["page"] == 1


def test_malformed_bodies_are_a_400_in_words(zone: Any) -> None:
    client = client_for(zone, "zone_admin")
    path = f"/api/enterprises/{zone.enterprise_a.pk}"
    for raw in (b"{", b"\xff\xfe", b"[" * 5000 + b"]" * 5000):
        body = refused(client.patch(path, raw, content_type="application/json"), 400)
        assert "JSON" in body["message"]
    nul = refused(client.patch(path, '{"name": "a\\u0000"}', content_type="application/json"), 422)
    assert nul["field"] == "name" and "NUL" in nul["message"]
    surrogate = client.patch(path, '{"name": "\\ud800"}', content_type="application/json")
    assert refused(surrogate, 422)["field"] == "name"


def test_a_multipart_body_without_boundary_is_a_400(zone: Any) -> None:
    client = client_for(zone, "enterprise_a")
    response = client.post("/api/vouchers/orders", b"--x\r\n", content_type="multipart/form-data")
    assert "boundary" in refused(response, 400)["message"]


def test_money_beyond_ten_trillion_yuan_is_a_field_error(zone: Any) -> None:
    client = client_for(zone, "zone_admin")
    path = f"/api/enterprises/{zone.enterprise_a.pk}/figures/2024"
    for amount in ("100000000000000000000", 1e308, "10²", "NaN", "1e5"):
        response = client.put(path, {"revenue": amount}, content_type="application/json")
        assert refused(response, 422)["field"] == "revenue"
    ok = client.put(path, {"revenue": "5,000万元"}, content_type="application/json")
    assert ok.json()["revenue"] == "50000000.00"


def test_validation_messages_are_in_chinese(zone: Any) -> None:
    client = client_for(zone, "provider")
    response = client.post(
        "/api/supermarket/listings", {"title": "x" * 500}, content_type="application/json"
    )
    body = refused(response, 422)
    assert all(d["message"] and d["message"].isascii() is False for d in body["details"])
    assert "Field required" not in response.content.decode()


def test_anonymous_writes_are_asked_to_sign_in_not_refused_for_csrf(zone: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    for path in ("/api/enterprises", "/api/supermarket/listings", "/api/vouchers/settlements"):
        body = refused(client.post(path, {}, content_type="application/json"), 401)
        assert body["code"] == "unauthenticated"
    # a signed-in browser session without the CSRF token is still refused
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(zone.users["zone_admin"])
    response = signed_in.post("/api/enterprises", {}, content_type="application/json")
    assert refused(response, 403)["code"] == "permission_denied"


def test_unknown_api_paths_are_a_json_404(zone: Any) -> None:
    client = client_for(zone, "zone_admin")
    for path in ("/api/enterprises/abc", "/api/enterprises/１２", "/api/nothing-here"):
        assert refused(client.get(path), 404)["code"] == "not_found"


def _schemas(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_schemas(sub)]
    return found


def test_no_two_api_schemas_share_a_name() -> None:
    """OpenAPI names a schema by its class name: two classes with one name means one of them
    is silently replaced in the spec (RatingOut was defined twice)."""
    import gaoxin.api  # noqa: F401  (every router and schema is imported)

    by_name: dict[str, set[str]] = {}
    for cls in _schemas(Schema):
        if cls.__module__.startswith("gaoxin."):
            by_name.setdefault(cls.__name__, set()).add(cls.__module__)
    assert {name: mods for name, mods in by_name.items() if len(mods) > 1} == {}
