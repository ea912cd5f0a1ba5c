"""The audit log as its page filters it, and as it exports."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gaoxin.core.audit_display import action_label, changes, model_label
from gaoxin.core.exporting import Column, Export, Kind
from gaoxin.core.models import AuditEntry


def audit_entries(params: Any) -> tuple[QuerySet[AuditEntry], str, str]:
    """The entries matching `q` (actor or object) and `action`, newest first."""
    entries = AuditEntry.objects.select_related("actor")
    q = (params.get("q") or "").strip()[:100]
    if q:
        entries = entries.filter(Q(actor_label__icontains=q) | Q(object_repr__icontains=q))
    action = (params.get("action") or "")[:40]
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-at", "-id"), q, action


def _changes(entry: AuditEntry) -> str:
    """Field labels with readable values, as the audit page shows them."""
    return "；".join(f"{c.label}：{c.before} → {c.after}" for c in changes(entry))


AUDIT = Export(
    _("操作日志"),
    "audit-log",
    [
        Column(_("时间"), lambda e: e.at, Kind.TIMESTAMP),
        Column(_("操作人"), lambda e: e.actor_label),
        Column(_("IP 地址"), lambda e: e.ip),
        Column(_("操作"), lambda e: action_label(e.action, e.model), width=20),
        Column(_("对象类型"), lambda e: model_label(e.model), width=20),
        Column(_("对象编号"), lambda e: e.object_id),
        Column(_("对象"), lambda e: e.object_repr, width=36),
        Column(_("变更内容"), _changes, width=60),
        Column(_("说明"), lambda e: e.note, width=30),
    ],
)
