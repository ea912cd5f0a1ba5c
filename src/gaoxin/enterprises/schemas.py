"""API schemas, generated from the field catalogue so that the API names fields as the
registry, the import and the rules do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field, create_model

from gaoxin import catalogue
from gaoxin.catalogue import FieldType

_TYPES: dict[FieldType, Any] = {
    FieldType.TEXT: str,
    FieldType.MONEY: Decimal,
    FieldType.INTEGER: int,
    FieldType.BOOLEAN: bool,
    FieldType.DATE: dt.date,
}
# Input also takes text, so that "500万" or "2024/6/30" work as in Excel.
_INPUT_TYPES: dict[FieldType, Any] = {
    t: (py | str if py is not str else str) for t, py in _TYPES.items()
}


def _fields(fields: tuple[catalogue.Field, ...], types: dict[FieldType, Any]) -> dict:
    return {
        f.name: (
            types[f.type] | None,
            Field(
                None, description=f"{f.alias} — {f.label_en}" + (f" ({f.unit})" if f.unit else "")
            ),
        )
        for f in fields
    }


class StrictSchema(Schema):
    """Input that names a field the catalogue does not have is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


_STATIC = tuple(f for f in catalogue.STATIC_FIELDS)
_STATIC_WITHOUT_USCC = tuple(f for f in _STATIC if f.name != "uscc")

StaticValuesOut = create_model("StaticValuesOut", __base__=Schema, **_fields(_STATIC, _TYPES))
EnterpriseIn = create_model("EnterpriseIn", __base__=StrictSchema, **_fields(_STATIC, _INPUT_TYPES))
EnterprisePatch = create_model(
    "EnterprisePatch", __base__=StrictSchema, **_fields(_STATIC_WITHOUT_USCC, _INPUT_TYPES)
)
FiguresIn = create_model(
    "FiguresIn", __base__=StrictSchema, **_fields(catalogue.YEARLY_FIELDS, _INPUT_TYPES)
)
FiguresValues = create_model(
    "FiguresValues", __base__=Schema, **_fields(catalogue.YEARLY_FIELDS, _TYPES)
)


class EnterpriseSummary(Schema):
    id: int
    uscc: str
    name: str
    chain: str
    segment: str
    area: str
    size_band: str
    latest_year: int | None
    latest_revenue: Decimal | None
    qualifications: list[str] = []


class EnterprisePage(Schema):
    count: int
    page: int
    pages: int
    items: list[EnterpriseSummary]


class YearFiguresOut(FiguresValues):  # type: ignore[misc, valid-type]
    year: int
    sources: dict[str, str]


class QualificationOut(Schema):
    kind: str
    granted_on: dt.date
    valid_until: dt.date | None
    certificate_no: str
    source: str
    recognition: str  # first | renewal | "" (not stated)
    valid_today: bool


class ContactOut(Schema):
    role: str
    name: str
    phone: str
    email: str
    receives_push: bool


class EnterpriseDetail(StaticValuesOut):  # type: ignore[misc, valid-type]
    id: int
    size_band: str
    field_sources: dict[str, Any]
    years: list[YearFiguresOut]
    qualifications: list[QualificationOut]
    contacts: list[ContactOut]


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
