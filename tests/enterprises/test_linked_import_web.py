"""人员与项目导入 on the web: the template filled in and uploaded imports; a file with errors
lists each by row and column and writes nothing; staff import only for the enterprises they
see; an unreadable file is refused on its field."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gaoxin.enterprises.models import EquipmentPurchase, Patent, Person
from tests.clients import client_for
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db


def _filled(client: Any, table: str, rows: list[list[Any]]) -> SimpleUploadedFile:
    """The downloaded template with `rows` written under its header."""
    response = client.get(f"/imports/linked/{table}/template.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("records.xlsx", buffer.getvalue())


def test_the_filled_template_imports(zone: Any) -> None:
    client = client_for(zone, "staff")
    a = zone.enterprise_a
    upload = _filled(client, "equipment", [[a.uscc, "五轴机床", "120万", "2025-04-01", "是"]])
    response = client.post("/imports/linked/", {"table": "equipment", "file": upload})
    assert response.status_code == 302
    bought = EquipmentPurchase.objects.get(enterprise=a)
    assert (bought.name, bought.amount, bought.robot) == ("五轴机床", 1_200_000, True)
    page = client.get(response["Location"]).content.decode()
    assert "已导入 1 条设备购置记录" in page


def test_a_file_with_errors_lists_them_and_writes_nothing(zone: Any) -> None:
    client = client_for(zone, "staff")
    a = zone.enterprise_a
    upload = _filled(
        client,
        "patents",
        [
            [a.uscc, "ZL1", "发明", "国内", "2025-02-30"],
            [a.uscc, "ZL2", "魔法", "国内", "2025-03-01"],
        ],
    )
    response = client.post("/imports/linked/", {"table": "patents", "file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "文件有 2 处错误，未导入任何数据" in page
    table = page[page.index('id="import-errors"') :]
    assert '<td class="num">2</td><td>E</td><td>授权日</td>' in table
    assert '<td class="num">3</td><td>C</td><td>专利类型</td>' in table
    assert "须为：发明、实用新型、外观设计" in table
    assert not Patent.objects.exists()


def test_staff_import_only_for_the_enterprises_they_see(zone: Any) -> None:
    """staff_other (招商局) sees enterprise B, not A."""
    client = client_for(zone, "staff_other")
    upload = _filled(client, "persons", [[zone.enterprise_a.uscc, "王博", "博士"]])
    response = client.post("/imports/linked/", {"table": "persons", "file": upload})
    assert "企业库中没有这个统一社会信用代码" in response.content.decode()
    assert not Person.objects.exists()
    upload = _filled(client, "persons", [[zone.enterprise_b.uscc, "王博", "博士"]])
    assert client.post("/imports/linked/", {"table": "persons", "file": upload}).status_code == 302
    assert Person.objects.get().enterprise == zone.enterprise_b


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.xlsx", b"not a workbook", "不是有效的 .xlsx 文件"),
        ("x.pdf", b"%PDF-1.4", "请上传 .xlsx 或 .csv 文件"),
        ("x.csv", b",\n\n", "文件是空的"),
    ],
)
def test_an_unreadable_file_is_refused_on_its_field(
    zone: Any, name: str, content: bytes, message: str
) -> None:
    client = client_for(zone, "staff")
    upload = SimpleUploadedFile(name, content)
    response = client.post("/imports/linked/", {"table": "patents", "file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_template_of_no_table_is_not_found(zone: Any) -> None:
    client = client_for(zone, "staff")
    assert client.get("/imports/linked/rockets/template.xlsx").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_who_may_import_a_person_for_enterprise_a(zone: Any, role: str) -> None:
    """Staff with the import permission who see enterprise A (staff, zone_admin) import; staff
    who don't (staff_other) are told the enterprise is not theirs; everyone else is refused."""
    template = _filled(
        client_for(zone, "zone_admin"), "persons", [[zone.enterprise_a.uscc, "王博"]]
    )
    response = client_for(zone, role).post(
        "/imports/linked/", {"table": "persons", "file": template}
    )
    if role in ("staff", "zone_admin"):
        assert response.status_code == 302
        assert Person.objects.get().enterprise == zone.enterprise_a
        return
    if role == "staff_other":
        assert "企业库中没有这个统一社会信用代码" in response.content.decode()
    elif role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code in (403, 404)
    assert not Person.objects.exists()
