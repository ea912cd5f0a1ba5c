"""{% load audit_display %}: audit entries by their labels (see gaoxin.core.audit_display)."""

from __future__ import annotations

from typing import Any

from django import template

from gaoxin.core import audit_display

register = template.Library()


@register.filter
def audit_action(entry: Any) -> str:
    return audit_display.action_label(entry.action, entry.model)


@register.filter
def audit_model(entry: Any) -> str:
    return audit_display.model_label(entry.model)


@register.filter
def audit_changes(entry: Any, limit: int | None = None) -> list[audit_display.Change]:
    return audit_display.changes(entry, limit)
