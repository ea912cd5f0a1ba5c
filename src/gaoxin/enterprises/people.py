"""Records linked to enterprises, as the rules engine reads them: persons (a policy with
`beneficiary: person` is evaluated for each) and the item tables `sum_over` sums (patents,
equipment, tenants). The engine stays free of Django; this module builds its frames.

- `persons_frame(on)`: one row per person — `person_id`, the employer's `uscc` and flat
  columns (registry_frame), the person's fields and yearly fields (`annual_salary_2024`).
- `item_frames(first_id, last_id)`: per item table, one row per item with the enterprise's
  `uscc` (what `evaluate(…, items=)` and `Plan.with_staged(…, items)` read).
- `item_lists(ids)`: the same items as lists per enterprise, for the explanation's record
  (`flat_rows(…, items=True)`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import polars as pl

from gaoxin import catalogue
from gaoxin.enterprises.models import EquipmentPurchase, Patent, Person, PersonYear, Tenancy

PERSON_STATIC = (
    "degree",
    "professional_title",
    "talent_category",
    "birth_date",
    "settled_at",
    "joined_at",
    "contract_years",
    "social_insurance_months",
)
PERSON_YEARLY = ("annual_salary", "retained_income_tax")


def _person_values(person: Person) -> dict[str, Any]:
    row: dict[str, Any] = {"person_name": person.name}
    for name in PERSON_STATIC:
        value = getattr(person, name)
        if value not in (None, ""):
            row[name] = value
    return row


def person_rows(people: Iterable[Person]) -> dict[int, dict[str, Any]]:
    """{person id: the person's flat fields} (yearly as `annual_salary_2024`)."""
    people = list(people)
    out = {p.pk: _person_values(p) for p in people}
    years = PersonYear.objects.filter(person_id__in=list(out)).values_list(
        "person_id", "year", *PERSON_YEARLY
    )
    for person_id, year, *values in years:
        for name, value in zip(PERSON_YEARLY, values, strict=True):
            if value is not None:
                out[person_id][f"{name}_{year}"] = value
    return out


def person_record(person: Person, on: dt.date) -> dict[str, Any]:
    """One person with the employer's flat fields, as `explain` reads it."""
    from gaoxin.enterprises.flat import flat_rows

    employer = flat_rows([person.enterprise_id], on).get(person.enterprise_id, {})
    return {**employer, **person_rows([person])[person.pk]}


def persons_frame(on: dt.date, enterprise_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Every person (of the given enterprises), each with the employer's flat columns."""
    from gaoxin.enterprises.flat import registry_frame

    people = Person.objects.all()
    if enterprise_ids is not None:
        people = people.filter(enterprise_id__in=list(enterprise_ids))
    people_list = list(people.order_by("pk"))
    if not people_list:
        return pl.DataFrame(schema={"person_id": pl.Int64(), "enterprise_id": pl.Int64()})
    rows = person_rows(people_list)
    employers = {p.pk: p.enterprise_id for p in people_list}
    data = [{"person_id": pk, "enterprise_id": employers[pk], **row} for pk, row in rows.items()]
    persons = pl.DataFrame(data, infer_schema_length=None)
    ids = sorted(set(employers.values()))
    registry = registry_frame(on, ids[0], ids[-1])
    return persons.join(registry, on="enterprise_id", how="left", maintain_order="left")


# -- item tables -----------------------------------------------------------------------------

Which = tuple[str, Any]  # ("in", ids) or ("range", (first_id, last_id))


def _scoped(qs: Any, key: str, which: Which) -> Any:
    how, value = which
    if how == "in":
        return qs.filter(**{f"{key}__in": list(value)})
    first, last = value
    return qs.filter(**{f"{key}__gte": first, f"{key}__lte": last})


# Per item table (catalogue.ITEM_TABLES): its model, the column naming the enterprise it
# belongs to, and the model's column for a field named otherwise.
_SOURCES: dict[str, tuple[Any, str, dict[str, str]]] = {
    "patents": (Patent, "enterprise_id", {}),
    "equipment": (EquipmentPurchase, "enterprise_id", {}),
    "tenants": (Tenancy, "incubator_id", {"name": "tenant_name"}),
}


def _read(table: str, which: Which) -> list[dict[str, Any]]:
    """The table's items, each with its `enterprise_id` and the table's fields, in the
    enterprises' order then as recorded."""
    model, key, renamed = _SOURCES[table]
    names = [f.name for f in catalogue.ITEM_TABLE[table].fields]
    rows = (
        _scoped(model.objects, key, which)
        .order_by(key, "pk")
        .values_list(key, *(renamed.get(n, n) for n in names))
    )
    return [{"enterprise_id": e, **dict(zip(names, values, strict=True))} for e, *values in rows]


# Item tables by name → their reader. The policies app adds the payout history (`payouts`,
# policies/history.py) when it starts: the rules read it as an item table (received()), and
# the registry, below the policy service, doesn't reach up for it.
READERS: dict[str, Callable[[Which], list[dict[str, Any]]]] = {
    table: partial(_read, table) for table in _SOURCES
}


def item_lists(enterprise_ids: Sequence[int]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """{enterprise id: {table: [item, …]}} for the tables where it has items."""
    out: dict[int, dict[str, list[dict[str, Any]]]] = {}
    ids = list(enterprise_ids)
    if not ids:
        return out
    for table, read in READERS.items():
        for item in read(("in", ids)):
            pk = item.pop("enterprise_id")
            out.setdefault(pk, {}).setdefault(table, []).append(item)
    return out


_ITEM_SCHEMA: dict[str, dict[str, pl.DataType]] = {
    t.name: {
        f.name: {
            catalogue.FieldType.TEXT: pl.String(),
            catalogue.FieldType.MONEY: pl.Decimal(18, 2),
            catalogue.FieldType.INTEGER: pl.Int64(),
            catalogue.FieldType.BOOLEAN: pl.Boolean(),
            catalogue.FieldType.DATE: pl.Date(),
        }[f.type]
        for f in t.fields
    }
    for t in (*catalogue.ITEM_TABLES, catalogue.PAYOUT_HISTORY)
}


def item_frames(uscc_by_id: dict[int, str]) -> dict[str, pl.DataFrame]:
    """Per item table, the items of the enterprises in `uscc_by_id` (read by the range of
    their ids, as a partition is), each row with the enterprise's `uscc`."""
    out: dict[str, pl.DataFrame] = {}
    if not uscc_by_id:
        return out
    which: Which = ("range", (min(uscc_by_id), max(uscc_by_id)))
    for table, read in READERS.items():
        schema = {"uscc": pl.String(), **_ITEM_SCHEMA[table]}
        data = []
        for row in read(which):
            uscc = uscc_by_id.get(row.pop("enterprise_id"))
            if uscc is not None:
                data.append({"uscc": uscc, **row})
        out[table] = pl.DataFrame(data, schema=schema)
    return out


def registry_items(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The item frames of the enterprises of a registry frame (`enterprise_id`, `uscc`)."""
    if not frame.height:
        return {}
    uscc_by_id = dict(zip(frame["enterprise_id"].to_list(), frame["uscc"].to_list(), strict=True))
    return item_frames(uscc_by_id)
