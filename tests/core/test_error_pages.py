"""404 and 500 pages with DEBUG off (as the demo and production run): in the frame, in the
reader's language, with a way home; a 500 still renders when the frame itself can't be drawn."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import path

import gaoxin.urls
from tests.clients import client_for


def boom(request: Any) -> Any:
    raise RuntimeError("secret internals")


urlpatterns = [path("boom/", boom), *gaoxin.urls.urlpatterns]
handler404 = "gaoxin.core.views.page_not_found"
handler500 = "gaoxin.core.views.server_error"


@pytest.mark.django_db
def test_404_in_the_frame_in_chinese_and_english(zone: Any) -> None:
    client = client_for(zone, "staff")
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert [t.name for t in page.templates][:2] == ["404.html", "error.html"]
    html = page.content.decode()
    assert "没有找到" in html and "页面不存在，或您无权查看" in html
    assert 'class="gx-sidebar"' in html  # the signed-in user keeps the navigation
    assert "gaoxin/favicon" in html
    english = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Not found" in english.content.decode()
    anonymous = Client().get("/no-such-page/")
    assert anonymous.status_code == 404 and "gx-sidebar" not in anonymous.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_500_page_and_its_fallback(zone: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(zone, "staff")
    client.raise_request_exception = False
    page = client.get("/boom/")
    assert page.status_code == 500
    html = page.content.decode()
    assert "系统出错了，已记录。" in html and "gx-sidebar" in html
    assert "secret internals" not in html
    english = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Something went wrong" in english.content.decode()

    def broken_frame(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database is down")  # what drawing the frame would meet

    monkeypatch.setattr("gaoxin.core.views.render", broken_frame)
    bare = client.get("/boom/")
    assert bare.status_code == 500
    html = bare.content.decode()
    assert "系统出错了，已记录。" in html and "gx-sidebar" not in html and "返回首页" in html
