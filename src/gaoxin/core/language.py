"""Showing catalogue data in the active language: the catalogue (plain data, shared with the
rules engine) holds a Chinese alias and an English label for every field."""

from __future__ import annotations

from django.utils.translation import get_language

from gaoxin.catalogue import Field

_UNITS_EN = {"元": "yuan", "人": "", "件": ""}


def english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


def field_label(field: Field) -> str:
    return field.label_en if english() else field.alias


def field_unit(field: Field) -> str:
    return _UNITS_EN.get(field.unit, field.unit) if english() else field.unit
