from typing import Any

import pytest
from django.test import Client

from gaoxin.accounts.models import LoginLog
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_logs_and_redirects(zone: Any) -> None:
    client = Client()
    response = login(client, "staff", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    log = LoginLog.objects.get()
    assert (log.username, log.success, log.user) == ("staff", True, zone.users["staff"])


def test_wrong_password_then_lockout(zone: Any, settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        response = login(client, "staff", "wrong")
        assert response.status_code == 422
        assert "用户名或密码不正确" in response.content.decode()
    response = login(client, "staff", PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert list(LoginLog.objects.order_by("id").values_list("reason", flat=True)) == [
        "bad_credentials"
    ] * 3 + ["locked"]
    assert "_auth_user_id" not in client.session


def test_success_resets_the_failure_count(zone: Any, settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    client = Client()
    login(client, "staff", "wrong")
    login(client, "staff", "wrong")
    assert login(client, "staff", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    login(client, "staff", "wrong")
    assert login(client, "staff", PASSWORD).status_code == 302


def test_inactive_organisation_cannot_sign_in(zone: Any) -> None:
    organisation = zone.users["bank"].organisation
    organisation.is_active = False
    organisation.save()
    assert login(Client(), "bank", PASSWORD).status_code == 422


def test_open_redirect_refused(zone: Any) -> None:
    response = Client().post(
        "/accounts/login/?next=https://evil.example/", {"username": "staff", "password": PASSWORD}
    )
    assert response["Location"] == "/"


def test_password_change(zone: Any) -> None:
    client = Client()
    client.force_login(zone.users["staff"])
    response = client.post(
        "/accounts/password/", {"old_password": "nope", "new_password": "x", "new_password2": "x"}
    )
    assert "原密码不正确" in response.content.decode() or "密码" in response.content.decode()
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": "Zone-new-2026!",
            "new_password2": "Zone-new-2026!",
        },
    )
    assert response.status_code == 302
    zone.users["staff"].refresh_from_db()
    assert zone.users["staff"].check_password("Zone-new-2026!")
    assert client.get("/").status_code == 200  # still signed in


def test_logout_needs_post(zone: Any) -> None:
    client = Client()
    client.force_login(zone.users["staff"])
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302
