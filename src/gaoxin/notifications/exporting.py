"""The delivery log as the shared export mechanism writes it (`gaoxin.core.exporting`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaoxin.core.exporting import Column, Export, Kind
from gaoxin.notifications.models import Delivery


def recipient_label(delivery: Delivery) -> str:
    if delivery.endpoint_id is not None and delivery.endpoint is not None:
        return delivery.endpoint.name
    if delivery.contact is not None:
        return str(delivery.contact)
    if delivery.user is not None:
        return str(delivery.user)
    return _("全体企业用户")


DELIVERIES = Export(
    gettext_lazy("推送记录"),
    "deliveries",
    [
        Column(gettext_lazy("创建时间"), lambda d: d.created_at, Kind.TIMESTAMP),
        Column(gettext_lazy("企业"), lambda d: d.message.enterprise.name, width=36),
        Column(gettext_lazy("标题"), lambda d: d.message.title, width=40),
        Column(gettext_lazy("渠道"), lambda d: d.get_channel_display()),
        Column(gettext_lazy("接收人"), recipient_label),
        Column(gettext_lazy("地址"), lambda d: d.address, width=28),
        Column(gettext_lazy("状态"), lambda d: d.get_status_display()),
        Column(gettext_lazy("尝试次数"), lambda d: d.attempts, Kind.INTEGER),
        Column(gettext_lazy("错误信息"), lambda d: d.last_error, width=40),
        Column(gettext_lazy("发送时间"), lambda d: d.sent_at, Kind.TIMESTAMP),
    ],
)
