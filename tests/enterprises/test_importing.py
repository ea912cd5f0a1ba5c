"""Importing the registry from Excel and CSV: every bad input answered by row and column,
and nothing written unless the whole file is right."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from gaoxin.core.audit import Actor
from gaoxin.core.errors import ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises import exporting
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.figures import source_of
from gaoxin.enterprises.importing import Mode, commit_import, read_import
from gaoxin.enterprises.models import Enterprise, Qualification, ReportedFigures, YearlyFigures
from tests.factories import make_uscc

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")
HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "职工总数",
    "科技人员",
    "营业收入_2024",
    "研发费用_2024",
    "高新技术企业",
    "高新技术企业_有效期至",
    "产业链",
    "国民经济行业代码",  # the size band's thresholds are the industry's
]


def row(n: int, **overrides: Any) -> list[Any]:
    values = {
        "统一社会信用代码": make_uscc(n),
        "企业名称": f"厦门导入{n}有限公司",
        "职工总数": 100,
        "科技人员": 20,
        "营业收入_2024": "5000万",
        "研发费用_2024": 2500000.5,
        "高新技术企业": dt.date(2023, 11, 1),
        "高新技术企业_有效期至": None,
        "产业链": "半导体和集成电路",
        "国民经济行业代码": "C3973",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def xlsx(tmp_path: Path, rows: list[list[Any]], headers: list[str] = HEADERS) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    path = tmp_path / "enterprises.xlsx"
    workbook.save(path)
    return path


def csv_file(tmp_path: Path, text: str, encoding: str) -> Path:
    path = tmp_path / "enterprises.csv"
    path.write_bytes(text.encode(encoding))
    return path


def errors_of(preview: Any) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in preview.errors]


def nothing_written() -> None:
    assert Enterprise.objects.count() == 0
    assert ReportedFigures.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_good_file_imports_everything(tmp_path: Path) -> None:
    path = xlsx(tmp_path, [row(1), row(2, 营业收入_2024="1.5亿")])
    preview = read_import(path, "enterprises.xlsx")
    assert preview.ok and preview.to_create == 2 and preview.errors == []
    result = commit_import(preview, actor=ACTOR, source=DataSource.GOVERNMENT)
    assert (result.created, result.updated) == (2, 0)
    first = Enterprise.objects.get(uscc=make_uscc(1))
    assert first.employees == 100 and first.chain == "ic"
    assert source_of(first.field_sources, "employees") == "government"
    figures = YearlyFigures.objects.get(enterprise=first, year=2024)
    assert figures.revenue == Decimal("50000000.00")
    assert figures.rd_expense == Decimal("2500000.50")
    assert figures.sources["revenue"] == "government"
    assert first.latest_revenue == Decimal("50000000.00") and first.size_band == "small"
    second = Enterprise.objects.get(uscc=make_uscc(2))
    assert second.latest_revenue == Decimal("150000000.00")
    # the certificate's expiry is derived: three years less a day
    q = Qualification.objects.get(enterprise=first, kind="high_tech_enterprise")
    assert (q.granted_on, q.valid_until) == (dt.date(2023, 11, 1), dt.date(2026, 10, 31))
    assert AuditEntry.objects.filter(action="import_create").count() == 2


def test_wrong_check_character_is_reported_at_its_cell(tmp_path: Path) -> None:
    good = make_uscc(1)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    preview = read_import(xlsx(tmp_path, [row(2), row(1, 统一社会信用代码=wrong)]), "f.xlsx")
    assert not preview.ok
    assert errors_of(preview) == [
        (3, "A", f"统一社会信用代码校验位错误：末位应为“{good[-1]}”，实为“{wrong[-1]}”")
    ]
    with pytest.raises(ValidationFailed):
        commit_import(preview, actor=ACTOR, source=DataSource.VERIFIED)
    nothing_written()


def test_duplicate_uscc_in_one_file(tmp_path: Path) -> None:
    preview = read_import(xlsx(tmp_path, [row(1), row(2), row(1)]), "f.xlsx")
    assert errors_of(preview) == [(4, "A", "统一社会信用代码与第 2 行重复")]


def test_text_in_number_column_and_negative_staff(tmp_path: Path) -> None:
    preview = read_import(
        xlsx(tmp_path, [row(1, 营业收入_2024="五千万"), row(2, 职工总数=-3)]), "f.xlsx"
    )
    assert errors_of(preview) == [
        (2, "E", "应为金额（元），如 1234.56、500万、2亿；实为“五千万”"),
        (3, "C", "不能为负数"),
    ]
    nothing_written()


def test_cross_field_checks_name_the_cell(tmp_path: Path) -> None:
    preview = read_import(xlsx(tmp_path, [row(1, 科技人员=101)]), "f.xlsx")
    assert errors_of(preview) == [(2, "D", "不能多于职工总数")]


def test_unknown_and_duplicate_headers(tmp_path: Path) -> None:
    headers = [*HEADERS[:2], "营业收人_2024", "职工总数", "职工总数", "备注"]
    preview = read_import(xlsx(tmp_path, [[make_uscc(1), "甲", 1, 2, 3, 4]], headers), "f.xlsx")
    assert errors_of(preview) == [
        (1, "C", "未知表头“营业收人_2024”，是否应为“营业收入_2024”？"),
        (1, "E", "与第 D 列重复"),
        (1, "F", "未知表头“备注”"),
    ]
    assert preview.rows == []  # nothing is read past a header that cannot be mapped


def test_missing_required_column(tmp_path: Path) -> None:
    preview = read_import(xlsx(tmp_path, [["甲", 1]], ["企业名称", "职工总数"]), "f.xlsx")
    assert errors_of(preview) == [(1, "C", "缺少必需的列“统一社会信用代码”")]


def test_gbk_and_utf8_csv_read_alike(tmp_path: Path) -> None:
    text = (
        "统一社会信用代码,企业名称,营业收入_2024,园区注册\n"
        + f'{make_uscc(1)},厦门甲科技有限公司,"1,234.56",是\n'
    )
    for encoding in ("gbk", "gb18030", "utf-8", "utf-8-sig"):
        preview = read_import(csv_file(tmp_path, text, encoding), "f.csv")
        assert preview.ok, (encoding, errors_of(preview))
        (item,) = preview.rows
        assert item.static == {"name": "厦门甲科技有限公司", "in_zone": True}
        assert item.yearly == {2024: {"revenue": Decimal("1234.56")}}


def test_empty_files(tmp_path: Path) -> None:
    for name, content in (("f.csv", b""), ("g.csv", b"\n\n")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValidationFailed, match="文件是空的"):
            read_import(path, name)
    header_only = csv_file(tmp_path, "统一社会信用代码,企业名称\n", "utf-8")
    with pytest.raises(ValidationFailed, match="只有表头"):
        read_import(header_only, "h.csv")
    empty_workbook = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty_workbook)
    with pytest.raises(ValidationFailed, match="文件是空的"):
        read_import(empty_workbook, "empty.xlsx")


def test_truncated_and_fake_xlsx(tmp_path: Path) -> None:
    full = xlsx(tmp_path, [row(n) for n in range(1, 50)]).read_bytes()
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValidationFailed, match=r"不是有效的 \.xlsx 文件"):
        read_import(truncated, "cut.xlsx")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"不是有效的 \.xlsx 文件"):
        read_import(fake, "fake.xlsx")
    for name in ("old.xls", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
        with pytest.raises(ValidationFailed):
            read_import(tmp_path / name, name)
    nothing_written()


def test_create_mode_refuses_existing_and_upsert_updates(tmp_path: Path) -> None:
    path = xlsx(tmp_path, [row(1)])
    commit_import(read_import(path, "f.xlsx"), actor=ACTOR, source=DataSource.VERIFIED)
    again = read_import(xlsx(tmp_path, [row(1, 职工总数=150)]), "f.xlsx")
    assert errors_of(again) == [
        (2, "A", "该企业已在企业库中；如需更新，请选择“新增并更新已有企业”")
    ]
    upsert = read_import(xlsx(tmp_path, [row(1, 职工总数=150), row(2)]), "f.xlsx", mode=Mode.UPSERT)
    assert (upsert.to_create, upsert.to_update) == (1, 1)
    result = commit_import(upsert, actor=ACTOR, source=DataSource.VERIFIED, mode=Mode.UPSERT)
    assert (result.created, result.updated) == (1, 1)
    assert Enterprise.objects.get(uscc=make_uscc(1)).employees == 150
    entry = AuditEntry.objects.get(action="import_update")
    assert (entry.before, entry.after) == ({"employees": 100}, {"employees": 150})


def test_less_authoritative_source_cannot_overwrite(tmp_path: Path) -> None:
    commit_import(
        read_import(xlsx(tmp_path, [row(1)]), "f.xlsx"), actor=ACTOR, source=DataSource.GOVERNMENT
    )
    preview = read_import(
        xlsx(tmp_path, [row(1, 职工总数=90)]),
        "f.xlsx",
        mode=Mode.UPSERT,
        source=DataSource.VERIFIED,
    )
    assert errors_of(preview) == [(2, "C", "该值已由政府部门数据确认，不能以园区核实覆盖")]


def test_update_outside_data_scope_is_refused(tmp_path: Path) -> None:
    commit_import(
        read_import(xlsx(tmp_path, [row(1)]), "f.xlsx"), actor=ACTOR, source=DataSource.VERIFIED
    )
    preview = read_import(
        xlsx(tmp_path, [row(1, 职工总数=90)]),
        "f.xlsx",
        mode=Mode.UPSERT,
        updatable=Enterprise.objects.none(),
    )
    assert errors_of(preview) == [(2, "A", "该企业不在您的数据范围内，无权更新")]


def test_export_imports_back_unchanged(tmp_path: Path) -> None:
    commit_import(
        read_import(xlsx(tmp_path, [row(1), row(2, 营业收入_2024=None)]), "f.xlsx"),
        actor=ACTOR,
        source=DataSource.VERIFIED,
    )
    body = exporting.write_xlsx(Enterprise.objects.all(), [2022, 2023, 2024])
    path = tmp_path / "export.xlsx"
    path.write_bytes(body)
    preview = read_import(path, "export.xlsx", mode=Mode.UPSERT)
    assert preview.ok and preview.to_update == 2
    assert (
        commit_import(preview, actor=ACTOR, source=DataSource.VERIFIED, mode=Mode.UPSERT).updated
        == 0
    )  # nothing differs
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    headers = [c.value for c in workbook.active[1]]
    assert headers[:2] == ["统一社会信用代码", "企业名称"] and "营业收入_2024（元）" in headers


def test_template_lists_every_column_with_its_explanation() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(exporting.write_template([2024])))
    headers = [c.value for c in workbook["企业"][1]]
    guide = {r[0]: r for r in workbook["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert headers[0] == "统一社会信用代码" and set(headers) == set(guide)
    assert guide["营业收入_2024（元）"][3] == "元"


def test_large_file_refused_on_upload_with_a_clear_message(
    client: Any, zone: Any, settings: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IMPORT_MAX_BYTES = 40 * 1024 * 1024
    client.force_login(zone.users["zone_admin"])
    big = SimpleUploadedFile("big.csv", b"a" * (50 * 1024 * 1024), content_type="text/csv")
    response = client.post("/imports/", {"file": big, "mode": "create", "source": "verified"})
    assert response.status_code == 200
    assert "文件过大（50.0 MB），网页导入上限为 40 MB" in response.content.decode()
    assert Enterprise.objects.count() == 2  # the zone's two, nothing more


def test_update_import_refreshes_latest_revenue_and_size(tmp_path: Path) -> None:
    commit_import(
        read_import(xlsx(tmp_path, [row(1), row(2)]), "f.xlsx"),
        actor=ACTOR,
        source=DataSource.VERIFIED,
    )
    headers = ["统一社会信用代码", "营业收入_2023", "营业收入_2024"]
    newer = xlsx(tmp_path, [[make_uscc(1), "1亿", "6亿"], [make_uscc(2), "1000万", None]], headers)
    preview = read_import(newer, "f.xlsx", mode=Mode.UPSERT, source=DataSource.GOVERNMENT)
    commit_import(preview, actor=ACTOR, source=DataSource.GOVERNMENT, mode=Mode.UPSERT)
    first, second = (Enterprise.objects.get(uscc=make_uscc(n)) for n in (1, 2))
    assert (first.latest_year, first.latest_revenue) == (2024, Decimal("600000000.00"))
    assert first.size_band == "small"  # 100 staff: revenue alone does not make it large
    assert (second.latest_year, second.latest_revenue) == (2024, Decimal("50000000.00"))
    assert YearlyFigures.objects.get(enterprise=first, year=2024).sources["revenue"] == "government"
