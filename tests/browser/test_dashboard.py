"""The staff home's charts open the registry filtered by what was clicked."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gaoxin.enterprises.models import Enterprise
from tests.factories import EnterpriseFactory

from .test_registry import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The middle of a horizontal bar, in pixels of its chart.
BAR_MIDDLE = """([el, label, value]) => {
  const chart = echarts.getInstanceByDom(document.querySelector(el));
  return chart.convertToPixel({seriesIndex: 0}, [value / 2, label]);
}"""


def click_each_bar(page: Any, selector: str, source: str, param: str) -> list[tuple[str, str]]:
    """Click the middle of every bar; return (the id the bar stands for, the filter opened)."""
    data = json.loads(page.inner_text(f"#{source}"))
    opened = []
    for label, value, wanted in zip(data["labels"], data["values"], data["ids"], strict=True):
        if not value:
            continue
        page.wait_for_selector(f"{selector} svg")
        x, y = page.evaluate(BAR_MIDDLE, [selector, label, value])
        box = page.locator(selector).bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_url(f"**/enterprises/?{param}=*")
        opened.append((wanted, parse_qs(urlsplit(page.url).query)[param][0]))
        page.go_back()
    return opened


def test_chain_chart_opens_the_chain_that_was_clicked(
    zone: Any, live_server: Any, browser: Any
) -> None:
    # Three chains of different sizes, so the chart's order differs from its reverse.
    Enterprise.objects.filter(pk=zone.enterprise_b.pk).update(chain="software")
    for _ in range(2):
        EnterpriseFactory(chain="ic", department=zone.section)
    EnterpriseFactory(chain="biomed", department=zone.section)
    EnterpriseFactory(chain="biomed", department=zone.section)
    EnterpriseFactory(chain="biomed", department=zone.section)
    EnterpriseFactory(chain="biomed", department=zone.section)
    page = sign_in(browser, live_server, "leader")
    data = json.loads(page.inner_text("#chart-chain"))
    assert data["ids"] == ["biomed", "ic", "software"]  # 4, 3, 1 enterprises
    opened = click_each_bar(page, "[data-source=chart-chain]", "chart-chain", "chain")
    assert opened == [("biomed", "biomed"), ("ic", "ic"), ("software", "software")]
    page.close()
