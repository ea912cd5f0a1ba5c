"""Importing persons and item tables from a spreadsheet: Chinese or English headers, yearly
person columns, all rows or none with each error named by row and column, audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from gaoxin.core.audit import Actor
from gaoxin.core.errors import ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.linked_import import import_linked
from gaoxin.enterprises.models import EquipmentPurchase, Patent, Person, Tenancy

STAFF = Actor.system("staff")


@pytest.mark.django_db
def test_persons_with_yearly_columns(zone: Any) -> None:
    a = zone.enterprise_a
    headers = [
        "统一社会信用代码",
        "姓名",
        "学位",
        "个人落户日期",
        "年薪_2025",
        "retained_income_tax_2025",
    ]
    rows = [
        {
            "统一社会信用代码": a.uscc,
            "姓名": "王博",
            "学位": "博士",
            "个人落户日期": "2024-03-01",
            "年薪_2025": "30万",
            "retained_income_tax_2025": 12345.67,
        },
    ]
    assert import_linked(actor=STAFF, table="persons", headers=headers, rows=rows) == 1
    person = Person.objects.get(enterprise=a)
    assert (person.name, person.degree, str(person.settled_at)) == ("王博", "博士", "2024-03-01")
    year = person.years.get(year=2025)
    assert (year.annual_salary, year.retained_income_tax) == (
        Decimal("300000.00"),
        Decimal("12345.67"),
    )
    assert AuditEntry.objects.filter(action="import_persons").count() == 1


@pytest.mark.django_db
def test_items_and_tenants(zone: Any) -> None:
    a, b = zone.enterprise_a, zone.enterprise_b
    import_linked(
        actor=STAFF,
        table="patents",
        headers=["uscc", "专利号", "专利类型", "授权范围", "授权日"],
        rows=[
            {
                "uscc": a.uscc,
                "专利号": "ZL1",
                "专利类型": "发明",
                "授权范围": "PCT",
                "授权日": "2025-01-02",
            }
        ],
    )
    import_linked(  # the same number again: updated, not doubled
        actor=STAFF,
        table="patents",
        headers=["uscc", "number", "kind"],
        rows=[{"uscc": a.uscc, "number": "ZL1", "kind": "实用新型"}],
    )
    assert list(Patent.objects.values_list("number", "kind", "scope")) == [
        ("ZL1", "实用新型", "PCT")
    ]
    import_linked(
        actor=STAFF,
        table="equipment",
        headers=["uscc", "设备名称", "购置金额", "工业机器人"],
        rows=[{"uscc": a.uscc, "设备名称": "机械手臂", "购置金额": "1.5万", "工业机器人": "是"}],
    )
    assert EquipmentPurchase.objects.get().amount == Decimal("15000.00")
    import_linked(
        actor=STAFF,
        table="tenants",
        headers=["uscc", "入驻企业统一社会信用代码", "入驻企业名称", "租用面积"],
        rows=[
            {
                "uscc": a.uscc,
                "入驻企业统一社会信用代码": b.uscc,
                "入驻企业名称": "乙",
                "租用面积": 120,
            }
        ],
    )
    tenancy = Tenancy.objects.get()
    assert (tenancy.incubator_id, tenancy.tenant_id, tenancy.leased_area) == (a.pk, b.pk, 120)


@pytest.mark.django_db
def test_a_file_with_errors_writes_nothing_and_names_them(zone: Any) -> None:
    a = zone.enterprise_a
    rows = [
        {"uscc": a.uscc, "设备名称": "机床", "购置金额": "12万"},
        {"uscc": "NOSUCH", "设备名称": "车床", "购置金额": "1万"},
        {"uscc": a.uscc, "设备名称": "铣床", "购置金额": "很多"},
    ]
    with pytest.raises(ValidationFailed) as info:
        import_linked(
            actor=STAFF,
            table="equipment",
            headers=["uscc", "设备名称", "购置金额", "颜色"],
            rows=rows,
        )
    text = str(info.value.message)
    assert "第 1 行 D 列“颜色”：未知表头" in text
    assert "第 3 行 A 列“uscc”：企业库中没有这个统一社会信用代码" in text
    assert "第 4 行 C 列“购置金额”：应为金额（元），如 1234.56、500万、2亿；实为“很多”" in text
    assert not EquipmentPurchase.objects.exists()


@pytest.mark.django_db
def test_the_command_imports_a_csv(zone: Any, tmp_path: Any) -> None:
    path = tmp_path / "patents.csv"
    path.write_text(
        f"uscc,专利号,专利类型,授权日\n{zone.enterprise_a.uscc},ZL9,发明,2025-05-05\n",
        encoding="utf-8",
    )
    call_command("import_linked", "patents", str(path))
    assert Patent.objects.get().number == "ZL9"
    bad = tmp_path / "bad.csv"
    bad.write_text("uscc,专利号\nX,ZL1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="未导入"):
        call_command("import_linked", "patents", str(bad))


@pytest.mark.django_db
def test_every_bad_cell_of_a_patent_file_is_named_with_its_column(zone: Any, tmp_path: Any) -> None:
    """Each wrong cell by row, column letter and header — also on a row whose enterprise is
    unknown — and nothing written."""
    a = zone.enterprise_a
    path = tmp_path / "patents.csv"
    path.write_text(
        "统一社会信用代码,专利号,专利类型,授权范围,授权日\n"
        f"{a.uscc},0012,发明,PCT国际,2026-13-40\n"
        "NOSUCH,ZL2,魔法,火星,2025-03-01\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as info:
        call_command("import_linked", "patents", str(path))
    text = str(info.value)
    assert "第 2 行 E 列“授权日”：应为日期，如 2024-06-30；实为“2026-13-40”" in text
    assert "第 3 行 A 列“统一社会信用代码”：企业库中没有这个统一社会信用代码" in text
    assert "第 3 行 C 列“专利类型”：须为：发明、实用新型、外观设计" in text
    assert "第 3 行 D 列“授权范围”：须为：国内、PCT" in text
    assert not Patent.objects.exists()


@pytest.mark.django_db
def test_a_patent_number_of_digits_stays_as_written(zone: Any, tmp_path: Any) -> None:
    path = tmp_path / "patents.csv"
    path.write_text(f"uscc,专利号,专利类型\n{zone.enterprise_a.uscc},0012,发明\n", encoding="utf-8")
    call_command("import_linked", "patents", str(path))
    assert Patent.objects.get().number == "0012"


@pytest.mark.django_db
def test_money_with_more_than_two_places_is_refused_not_rounded(zone: Any) -> None:
    """As the registry import: an amount is to the fen, or it is an error at its cell."""
    rows = [{"uscc": zone.enterprise_a.uscc, "设备名称": "机床", "购置金额": "12.345"}]
    with pytest.raises(ValidationFailed, match="金额最多保留两位小数"):
        import_linked(actor=STAFF, table="equipment", headers=list(rows[0]), rows=rows)
    assert not EquipmentPurchase.objects.exists()
