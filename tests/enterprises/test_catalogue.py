"""The field catalogue and the registry's models say the same thing."""

from gaoxin import catalogue
from gaoxin.catalogue import FieldType
from gaoxin.enterprises.models import Enterprise, YearlyFigures

DJANGO_TYPES = {
    FieldType.TEXT: {"CharField"},
    FieldType.MONEY: {"DecimalField"},
    FieldType.INTEGER: {"PositiveIntegerField"},
    FieldType.BOOLEAN: {"BooleanField"},
    FieldType.DATE: {"DateField"},
}


def test_every_static_field_is_an_enterprise_column_of_its_type() -> None:
    for field in catalogue.STATIC_FIELDS:
        column = Enterprise._meta.get_field(field.name)
        assert column.get_internal_type() in DJANGO_TYPES[field.type], field.name
        assert str(column.verbose_name) == field.alias, field.name


def test_every_yearly_field_is_a_figures_column() -> None:
    names = {f.name for f in YearlyFigures._meta.get_fields() if f.concrete} - {
        "id",
        "enterprise",
        "year",
        "sources",
    }
    assert names == {f.name for f in catalogue.YEARLY_FIELDS}


def test_headers_round_trip() -> None:
    for column in catalogue.flat_columns([2023, 2024]):
        assert catalogue.parse_header(column.header) == column
        assert catalogue.parse_header(column.header_zh) == column
    assert catalogue.parse_header("营业收入2024年").year == 2024  # type: ignore[union-attr]
    assert catalogue.parse_header("营业收入_2024（元）").field.name == "revenue"  # type: ignore
    assert catalogue.parse_header("营业收入") is None  # a yearly field needs its year
