"""The delivery log as an Excel workbook."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from gaoxin.notifications.models import Delivery


def recipient_label(delivery: Delivery) -> str:
    if delivery.endpoint_id is not None and delivery.endpoint is not None:
        return delivery.endpoint.name
    if delivery.contact is not None:
        return str(delivery.contact)
    if delivery.user is not None:
        return str(delivery.user)
    return _("全体企业用户")


def _time(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""  # type: ignore[arg-type]


def write_xlsx(deliveries: QuerySet[Delivery]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("推送记录"))
    headers = [
        _("创建时间"),
        _("企业"),
        _("标题"),
        _("渠道"),
        _("接收人"),
        _("地址"),
        _("状态"),
        _("尝试次数"),
        _("错误信息"),
        _("发送时间"),
    ]
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    rows = deliveries.select_related("message__enterprise", "contact", "user", "endpoint")
    for d in rows.iterator(chunk_size=2000):
        sheet.append(
            [
                _time(d.created_at),
                d.message.enterprise.name,
                d.message.title,
                d.get_channel_display(),
                recipient_label(d),
                d.address,
                d.get_status_display(),
                d.attempts,
                d.last_error,
                _time(d.sent_at),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
