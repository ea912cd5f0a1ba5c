"""The demo's linked records: deterministic, in proportion to the zone, each tied to one of
its enterprises, with values the rules compare (学位, 发明/PCT, robots)."""

from __future__ import annotations

import datetime as dt

from gaoxin.enterprises import synthetic
from gaoxin.enterprises import synthetic_linked as linked

AS_OF = dt.date(2026, 6, 30)


def test_proportionate_deterministic_and_tied_to_the_zone() -> None:
    zone = synthetic.generate_enterprises(3000, as_of=AS_OF, years=(2023, 2024, 2025))
    codes = set(zone["uscc"].to_list())
    people = linked.generate_people(zone, as_of=AS_OF)
    patents = linked.generate_patents(zone, as_of=AS_OF)
    equipment = linked.generate_equipment(zone, as_of=AS_OF)
    tenants = linked.generate_tenancies(zone, as_of=AS_OF)
    assert 2_500 <= people.height <= 3_500 and 2_500 <= patents.height <= 3_500
    assert 1_800 <= equipment.height <= 2_800 and 100 <= tenants.height <= 600
    for frame in (people, patents, equipment):
        assert set(frame["uscc"].to_list()) <= codes
    assert set(tenants["incubator"].to_list()) <= codes and set(tenants["tenant"]) <= codes
    assert set(people["degree"].unique()) == {"学士", "硕士", "博士", "其他"}
    assert set(patents.filter(patents["scope"] == "PCT")["kind"].unique()) == {"发明"}
    assert equipment["robot"].any() and not equipment["robot"].all()
    assert linked.generate_people(zone, as_of=AS_OF).equals(people)
    assert (patents["granted_on"] <= AS_OF).all()
