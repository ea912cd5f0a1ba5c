"""The settlement statement (结算单) as an Excel file: one row per order, totals, and the
ledger's figure beside them so anyone can check the two agree."""

from __future__ import annotations

from io import BytesIO

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from gaoxin.core.exporting import XLSX, defuse, file_response
from gaoxin.ledger.money import to_yuan
from gaoxin.vouchers.models import VoucherSettlement
from gaoxin.vouchers.selectors import paid_on_ledger

MONEY = "#,##0.00"


def _when(value: object) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


def build_statement(settlement: VoucherSettlement) -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("结算单")
    provider = settlement.provider
    sheet.append([_("火炬创新券结算单")])
    sheet["A1"].font = Font(size=14, bold=True)
    facts = [
        (_("结算单号"), settlement.number),
        (_("服务机构"), provider.organisation.name),
        (_("统一社会信用代码"), provider.uscc),
        (_("方案"), settlement.scheme.name),
        (_("结算期"), f"{settlement.period}（{_('截至')} {settlement.period_end.isoformat()}）"),
        (_("状态"), settlement.get_state_display()),
        (_("生成"), f"{settlement.issued_by} {_when(settlement.issued_at)}"),
        (_("付款确认"), f"{settlement.paid_by} {_when(settlement.paid_at)}".strip()),
    ]
    for label, value in facts:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    header = [
        _("序号"),
        _("订单号"),
        _("企业名称"),
        _("统一社会信用代码"),
        _("服务项目"),
        _("服务类别"),
        _("合同金额（元）"),
        _("实际结算金额（元）"),
        _("抵扣比例"),
        _("创新券抵扣（元）"),
        _("企业自付（元）"),
        _("审核通过"),
    ]
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        cell.border = Border(bottom=Side(style="thin"))
    orders = settlement.orders.select_related("enterprise", "listing__category").order_by("pk")
    totals = [0, 0, 0, 0]
    for n, order in enumerate(orders, start=1):
        invoice = order.invoice_fee_fen or order.contract_fee_fen
        sheet.append(
            [
                n,
                order.number,
                order.enterprise.name,
                order.enterprise.uscc,
                order.listing.title,
                _(order.listing.category.name),
                to_yuan(order.contract_fee_fen),
                to_yuan(invoice),
                float(order.scheme.ratio),
                to_yuan(order.deduction_fen),
                to_yuan(order.self_pay_fen),
                _when(order.approved_at),
            ]
        )
        row = sheet.max_row
        for column in (7, 8, 10, 11):
            sheet.cell(row, column).number_format = MONEY
        sheet.cell(row, 9).number_format = "0.00%"
        for i, fen in enumerate(
            (order.contract_fee_fen, invoice, order.deduction_fen, order.self_pay_fen)
        ):
            totals[i] += fen
    sheet.append(
        [
            _("合计"),
            _("%(n)s 笔") % {"n": settlement.order_count},
            "",
            "",
            "",
            "",
            to_yuan(totals[0]),
            to_yuan(totals[1]),
            "",
            to_yuan(totals[2]),
            to_yuan(totals[3]),
            "",
        ]
    )
    total_row = sheet.max_row
    for cell in sheet[total_row]:
        cell.font = Font(bold=True)
        cell.border = Border(top=Side(style="thin"))
    for column in (7, 8, 10, 11):
        sheet.cell(total_row, column).number_format = MONEY
    sheet.append([])
    ledger_paid = paid_on_ledger(settlement)
    sheet.append([_("结算单金额（元）"), to_yuan(settlement.total_fen)])
    sheet.append([_("账簿已支付（元）"), to_yuan(ledger_paid)])
    sheet.append(
        [
            _("核对"),
            _("一致")
            if ledger_paid == settlement.total_fen == totals[2]
            else _("待付款")
            if ledger_paid == 0
            else _("不一致，请核查"),
        ]
    )
    for row in range(sheet.max_row - 2, sheet.max_row):
        sheet.cell(row, 2).number_format = MONEY
    widths = (10, 16, 30, 22, 30, 12, 16, 18, 10, 18, 16, 18)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    defuse(sheet)
    return book


def statement_response(settlement: VoucherSettlement) -> HttpResponse:
    buffer = BytesIO()
    build_statement(settlement).save(buffer)
    name = f"{_('创新券结算单')}_{settlement.number}.xlsx"
    return file_response(buffer.getvalue(), XLSX, name, f"statement_{settlement.number}.xlsx")
