from typing import Any

import pytest
from django.test import Client

from gaoxin.accounts.services import issue_token, revoke_token
from gaoxin.core.audit import Actor

pytestmark = pytest.mark.django_db


def test_token_authentication(zone: Any) -> None:
    token, key = issue_token(actor=Actor.system("test"), user=zone.users["staff"], name="ERP")
    client = Client()
    assert client.get("/api/enterprises").status_code == 401
    response = client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [zone.enterprise_a.pk]
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION="Bearer gx_wrong").status_code == 401
    revoke_token(actor=Actor.system("test"), token=token)
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_typed_errors(zone: Any) -> None:
    client = Client()
    client.force_login(zone.users["zone_admin"])
    bad = client.post(
        "/api/enterprises",
        {"uscc": "91350200MA2Y4GWL8P", "name": "甲"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "uscc" and "校验位错误" in bad.json()["message"]
    duplicate = client.post(
        "/api/enterprises",
        {"uscc": zone.enterprise_a.uscc, "name": "甲"},
        content_type="application/json",
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "conflict"
    unknown = client.patch(
        f"/api/enterprises/{zone.enterprise_a.pk}", {"emploees": 3}, content_type="application/json"
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "emploees"
    wrong_type = client.patch(
        f"/api/enterprises/{zone.enterprise_a.pk}",
        {"employees": "many"},
        content_type="application/json",
    )
    assert wrong_type.status_code == 422
    missing = client.get("/api/enterprises/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    figures = client.put(
        f"/api/enterprises/{zone.enterprise_a.pk}/figures/2024",
        {"revenue": "2亿", "rd_expense": "900万"},
        content_type="application/json",
    )
    assert figures.status_code == 200
    assert figures.json()["revenue"] == "200000000.00"
    assert figures.json()["sources"] == {"revenue": "verified", "rd_expense": "verified"}


def test_openapi_schema() -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "/api/enterprises" in schema["paths"]
    props = schema["components"]["schemas"]["EnterpriseIn"]["properties"]
    assert "营业收入" not in props and "registered_capital" in props


def test_api_docs_load_nothing_from_the_internet(zone: Any) -> None:
    import re

    client = Client()
    client.force_login(zone.users["zone_admin"])
    response = client.get("/api/docs")
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"#]+)"', response.content.decode())
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert all(client.get(a).status_code == 200 for a in assets)
