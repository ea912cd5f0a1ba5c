"""The demo zone's synthetic enterprises: deterministic, valid, in the flat layout, calibrated.

Pure Python and polars: no database, no Django.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from gaoxin import catalogue
from gaoxin.core import uscc
from gaoxin.enterprises import synthetic, taxonomy
from gaoxin.enterprises.synthetic import generate_contacts, generate_enterprises

AS_OF = synthetic.DEFAULT_AS_OF
YEARS = synthetic.DEFAULT_YEARS
N = 12_000  # more than one chunk, so chunk boundaries are exercised


@pytest.fixture(scope="module")
def zone() -> pl.DataFrame:
    return generate_enterprises(N)


def _valid_on(frame: pl.DataFrame, qualification: str, day: dt.date) -> pl.Series:
    granted = pl.col(qualification)
    until = pl.col(qualification + catalogue.UNTIL_SUFFIX)
    held = (granted <= day) & (until.is_null() | (until >= day))
    return frame.select(held.fill_null(False)).to_series()


def _float(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64)


# --- determinism


def test_same_seed_gives_the_same_frame(zone: pl.DataFrame) -> None:
    assert generate_enterprises(N).equals(zone)


def test_a_smaller_frame_is_the_prefix_of_a_bigger_one(zone: pl.DataFrame) -> None:
    for k in (1, 777, 10_000, 10_001):
        assert generate_enterprises(k).equals(zone.head(k))


def test_another_seed_gives_another_frame(zone: pl.DataFrame) -> None:
    other = generate_enterprises(100, seed=1)
    assert not other.equals(zone.head(100))


def test_zero_rows_has_the_schema() -> None:
    empty = generate_enterprises(0)
    assert empty.height == 0
    assert dict(empty.schema) == synthetic.flat_schema(YEARS)


# --- layout


def test_columns_are_the_catalogues_flat_layout_with_their_dtypes(zone: pl.DataFrame) -> None:
    expected = [c.header for c in catalogue.flat_columns(list(YEARS))]
    assert zone.columns == expected
    for column in catalogue.flat_columns(list(YEARS)):
        assert zone.schema[column.header] == synthetic.column_dtype(column), column.header


def test_money_is_decimal_to_the_fen(zone: pl.DataFrame) -> None:
    assert zone.schema["revenue_2024"] == pl.Decimal(18, 2)


def test_other_years_give_other_columns() -> None:
    frame = generate_enterprises(50, years=(2021, 2022, 2023, 2024))
    assert "revenue_2021" in frame.columns and "revenue_2024" in frame.columns
    assert frame["revenue_2021"].null_count() < 50


def test_required_and_identity_fields_are_filled(zone: pl.DataFrame) -> None:
    for name in (
        "uscc",
        "name",
        "legal_representative",
        "registered_at",
        "registered_capital",
        "industry",
        "area",
        "chain",
        "segment",
        "in_zone",
        "employees",
    ):
        assert zone[name].null_count() == 0, name


# --- identity


def test_every_uscc_is_valid_and_unique(zone: pl.DataFrame) -> None:
    codes = zone["uscc"].to_list()
    assert all(uscc.is_valid(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert all(code.startswith("9135") for code in codes)
    assert {code[:8] for code in codes} >= {"91350200", "91350203", "91350211"}


def test_codes_issued_after_the_2015_reform_start_with_ma(zone: pl.DataFrame) -> None:
    recent = zone.filter(pl.col("registered_at") >= dt.date(2016, 1, 1))["uscc"]
    assert recent.str.slice(8, 2).eq("MA").all()


def test_names_are_unique_chinese_company_names(zone: pl.DataFrame) -> None:
    names = zone["name"]
    assert names.n_unique() == zone.height
    assert names.str.ends_with("有限公司").all()
    assert (names.str.contains("厦门") | names.str.starts_with("福建")).all()
    for real in ("天马", "联芯", "厦门时代", "中创新航", "海辰", "三安", "美图"):
        assert not names.str.contains(real).any(), real


def test_name_material_has_room_for_a_million() -> None:
    assert synthetic.NAME_CAPACITY >= 1_000_000


def test_legal_representatives_are_chinese_names(zone: pl.DataFrame) -> None:
    lengths = zone["legal_representative"].str.len_chars()
    assert lengths.min() >= 2 and lengths.max() <= 4


def test_chains_segments_areas_and_industries_are_known(zone: pl.DataFrame) -> None:
    assert set(zone["chain"]) == set(taxonomy.CHAIN_BY_CODE)
    assert set(zone["area"]) == set(taxonomy.AREA_BY_CODE)
    assert set(zone["segment"]) <= set(taxonomy.SEGMENT_BY_CODE)
    for chain, segment, industry in zone.select("chain", "segment", "industry").unique().rows():
        assert taxonomy.chain_of(segment).code == chain
        assert industry in taxonomy.segment(segment).industries
        assert industry in taxonomy.INDUSTRY_BY_CODE


def test_registered_before_the_evaluation_date(zone: pl.DataFrame) -> None:
    assert zone["registered_at"].max() <= AS_OF
    assert zone["registered_at"].min() >= dt.date(1990, 1, 1)


# --- consistency


def test_non_negative_where_the_catalogue_says_so(zone: pl.DataFrame) -> None:
    for column in catalogue.flat_columns(list(YEARS)):
        field = column.field
        if field.is_number and field.non_negative:
            assert zone.select((_float(column.header) < 0).any()).item() is False, column.header


def test_profit_is_sometimes_negative(zone: pl.DataFrame) -> None:
    assert zone.select((_float("profit_2024") < 0).any()).item()


def test_staff_nest(zone: pl.DataFrame) -> None:
    assert zone.select((pl.col("employees") >= 1).all()).item()
    assert zone.select((pl.col("tech_staff") <= pl.col("employees")).all()).item()
    assert zone.select((pl.col("rd_staff") <= pl.col("tech_staff")).all()).item()
    assert zone.select((pl.col("postgrad_staff") <= pl.col("employees")).all()).item()
    assert zone.select((pl.col("class1_ip") >= pl.col("invention_patents")).all()).item()


@pytest.mark.parametrize("year", YEARS)
def test_amounts_nest(zone: pl.DataFrame, year: int) -> None:
    def at_most(part: str, whole: str) -> bool:
        return zone.select((pl.col(f"{part}_{year}") <= pl.col(f"{whole}_{year}")).all()).item()

    assert at_most("rd_expense_domestic", "rd_expense")
    assert at_most("high_tech_revenue", "revenue")
    assert at_most("main_business_revenue", "revenue")
    assert at_most("total_liabilities", "total_assets")
    assert at_most("exports", "revenue")
    assert at_most("net_profit", "profit")


def test_no_accounts_before_registration(zone: pl.DataFrame) -> None:
    for year in YEARS:
        later = zone.filter(pl.col("registered_at") > dt.date(year, 12, 31))
        assert later[f"revenue_{year}"].null_count() == later.height


def test_certificates_expire_after_they_are_granted(zone: pl.DataFrame) -> None:
    for q in catalogue.QUALIFICATIONS:
        granted, until = pl.col(q.name), pl.col(q.name + catalogue.UNTIL_SUFFIX)
        assert zone.select((until > granted).all()).item(), q.name
        assert zone.select((granted <= AS_OF).all()).item(), q.name
        assert zone.select((granted >= pl.col("registered_at")).all()).item(), q.name
        if catalogue.QUALIFICATION_YEARS[q.name] is None:  # a listing does not expire
            assert zone[q.name + catalogue.UNTIL_SUFFIX].null_count() == zone.height
        else:
            assert zone.select((until.is_null() == granted.is_null()).all()).item(), q.name


def test_certificates_run_for_the_catalogues_years(zone: pl.DataFrame) -> None:
    held = zone.filter(pl.col("high_tech_enterprise").is_not_null())
    days = (held["high_tech_enterprise_until"] - held["high_tech_enterprise"]).dt.total_days()
    assert days.min() >= 3 * 365 - 1 and days.max() <= 3 * 366


# --- calibration

SHARE_BANDS = {  # valid on the evaluation date, share of all enterprises
    "high_tech_enterprise": (0.18, 0.26),
    "tech_sme": (0.22, 0.36),
    "srdi_sme": (0.04, 0.09),
    "little_giant": (0.006, 0.02),
    "gazelle": (0.009, 0.025),
    "unicorn": (0.0, 0.002),
    "single_champion": (0.0003, 0.004),
    "listed": (0.008, 0.025),
}


@pytest.mark.parametrize("qualification", list(SHARE_BANDS))
def test_qualification_shares_are_calibrated(zone: pl.DataFrame, qualification: str) -> None:
    low, high = SHARE_BANDS[qualification]
    share = _valid_on(zone, qualification, AS_OF).mean()
    assert isinstance(share, float)
    assert low <= share <= high, f"{qualification}: {share:.4f}"


def test_some_certificates_have_lapsed(zone: pl.DataFrame) -> None:
    lapsed = zone.select(
        (pl.col("high_tech_enterprise_until") < AS_OF).fill_null(False).mean()
    ).item()
    assert 0.02 <= lapsed <= 0.1


def test_little_giants_are_srdi_smes(zone: pl.DataFrame) -> None:
    giants = _valid_on(zone, "little_giant", AS_OF)
    srdi = _valid_on(zone, "srdi_sme", AS_OF)
    assert (giants & ~srdi).sum() <= giants.sum() * 0.1


def _hte_criteria(zone: pl.DataFrame) -> pl.DataFrame:
    revenue = pl.sum_horizontal([_float(f"revenue_{y}") for y in YEARS])
    rd = pl.sum_horizontal([_float(f"rd_expense_{y}") for y in YEARS])
    last = _float(f"revenue_{YEARS[-1]}")
    threshold = pl.when(last <= 5e7).then(0.05).when(last <= 2e8).then(0.04).otherwise(0.03)
    complete = pl.all_horizontal(
        [pl.col(f"{f}_{y}").is_not_null() for f in ("revenue", "rd_expense") for y in YEARS]
    )
    meets = (
        (rd / revenue >= threshold)
        & (pl.col("tech_staff") / pl.col("employees") >= 0.1)
        & (_float(f"high_tech_revenue_{YEARS[-1]}") / last >= 0.6)
    )
    return zone.with_columns(
        hte=_valid_on(zone, "high_tech_enterprise", AS_OF),
        meets=pl.when(complete).then(meets),
    )


def test_certified_high_tech_enterprises_mostly_meet_the_criteria(zone: pl.DataFrame) -> None:
    frame = _hte_criteria(zone)
    holders = frame.filter("hte")["meets"]
    others = frame.filter(~pl.col("hte"))["meets"]
    assert 0.7 <= holders.mean() <= 0.95  # type: ignore[operator]
    assert (holders == False).sum() > 0  # noqa: E712 — near misses exist
    assert 0.02 <= others.mean() <= 0.2  # uncertified but eligible
    assert holders.null_count() > 0  # and unknowns


def test_revenue_is_heavy_tailed(zone: pl.DataFrame) -> None:
    revenue = zone.select(_float("revenue_2024")).to_series().drop_nulls()
    median = revenue.median()
    assert isinstance(median, float)
    assert 5e6 <= median <= 3e7
    assert revenue.quantile(0.99) > 30 * median  # type: ignore[operator]


def test_a_handful_of_ten_billion_enterprises_at_three_thousand(zone: pl.DataFrame) -> None:
    big = zone.head(3000).select((_float("revenue_2024") >= 1e10).sum()).item()
    assert 1 <= big <= 12
    per_3000 = zone.select((_float("revenue_2024") >= 1e10).sum()).item() * 3000 / N
    assert 2 <= per_3000 <= 8


def test_rd_intensity_is_highest_in_ic_software_ai_and_biomedicine(zone: pl.DataFrame) -> None:
    by_chain = dict(
        zone.group_by("chain")
        .agg((_float("rd_expense_2024") / _float("revenue_2024")).median().alias("intensity"))
        .rows()
    )
    knowledge = min(by_chain[c] for c in ("ic", "software", "ai", "biomed"))
    hardware = max(by_chain[c] for c in ("display", "computing", "power", "new_energy"))
    assert knowledge > hardware


def test_revenue_grows_on_average(zone: pl.DataFrame) -> None:
    old = zone.filter(pl.col("registered_at") < dt.date(YEARS[0], 1, 1))
    growth = old.select((_float("revenue_2024") / _float("revenue_2023")).median()).item()
    assert 1.0 < growth < 1.3


def test_gazelles_grow_fast(zone: pl.DataFrame) -> None:
    gazelles = zone.filter(_valid_on(zone, "gazelle", AS_OF))
    growth = gazelles.select((_float("revenue_2024") / _float("revenue_2022")).median()).item()
    assert growth > 1.4


def test_postgraduate_share_near_the_zone_target(zone: pl.DataFrame) -> None:
    share = zone["postgrad_staff"].sum() / zone["employees"].sum()
    assert 0.03 <= share <= 0.12


def test_some_yearly_values_are_missing_more_for_small_young_firms(zone: pl.DataFrame) -> None:
    existing = zone.filter(pl.col("registered_at") < dt.date(YEARS[0], 1, 1))
    yearly = [f"{f.name}_{y}" for f in catalogue.YEARLY_FIELDS for y in YEARS]
    share = existing.select(yearly).null_count().sum_horizontal().item() / (
        existing.height * len(yearly)
    )
    assert 0.01 <= share <= 0.06

    def missing(frame: pl.DataFrame) -> float:
        return frame["revenue_2024"].null_count() / frame.height

    young_small = zone.filter(
        (pl.col("registered_at") > dt.date(2022, 7, 1)) & (pl.col("employees") < 20)
    )
    old_big = zone.filter(
        (pl.col("registered_at") < dt.date(2015, 1, 1)) & (pl.col("employees") > 50)
    )
    assert missing(young_small) > missing(old_big)


# --- contacts


def test_contacts(zone: pl.DataFrame) -> None:
    enterprises = zone.head(500)
    contacts = generate_contacts(enterprises, seed=7)
    assert contacts.height == 3 * 500
    assert contacts.columns == ["uscc", "role", "name", "phone", "email"]
    assert set(contacts["role"]) == {"legal_rep", "finance_head", "contact"}
    legal = contacts.filter(pl.col("role") == "legal_rep")
    assert legal["uscc"].to_list() == enterprises["uscc"].to_list()
    assert legal["name"].to_list() == enterprises["legal_representative"].to_list()
    assert contacts["phone"].str.contains(r"^1\d{2}-\d{4}-\d{4}$").all()
    assert contacts["email"].str.contains(r"^[a-z0-9.]+@[a-z0-9]+\.example\.cn$").all()
    assert contacts.null_count().sum_horizontal().item() == 0


def test_contacts_are_deterministic_and_prefix_stable(zone: pl.DataFrame) -> None:
    whole = generate_contacts(zone, seed=7)
    assert generate_contacts(zone, seed=7).equals(whole)
    assert generate_contacts(zone.head(10), seed=7).equals(whole.head(30))


# --- files


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".xlsx"])
def test_write_flat_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"zone{suffix}"
    synthetic.write_flat_file(40, path, seed=3)
    if suffix == ".parquet":
        back = pl.read_parquet(path)
        assert back.equals(generate_enterprises(40, seed=3))
    elif suffix == ".csv":
        back = pl.read_csv(path, infer_schema=False)
        assert back.columns == generate_enterprises(1).columns and back.height == 40
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 41 and rows[0][0] == "uscc"
        assert uscc.is_valid(str(rows[1][0]))


def test_write_flat_file_refuses_big_xlsx_and_unknown_suffixes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="XLSX"):
        synthetic.write_flat_file(100_001, tmp_path / "big.xlsx")
    with pytest.raises(ValueError, match="unsupported"):
        synthetic.write_flat_file(10, tmp_path / "zone.json")


# --- taxonomy


def test_taxonomy_lookups_and_choices() -> None:
    assert taxonomy.chain("display").name_zh == "平板显示"
    assert [s.name_zh for s in taxonomy.chain("display").segments] == [
        "材料",
        "面板",
        "模组",
        "整机",
    ]
    assert taxonomy.segment("ic.design").name_zh == "设计"
    assert taxonomy.chain_of("new_energy.storage").code == "new_energy"
    assert set(taxonomy.chain("new_energy").leaders) == {"厦门时代", "中创新航", "海辰"}
    assert ("ai", "人工智能", "Artificial intelligence") in taxonomy.chain_choices()
    assert len(taxonomy.segment_choices()) == len(taxonomy.SEGMENT_BY_CODE)
    assert all(code.startswith("ic.") for code, *_ in taxonomy.segment_choices("ic"))
    assert {code for code, *_ in taxonomy.area_choices()} == set(taxonomy.AREA_BY_CODE)
    assert all(i.code[0].isalpha() and len(i.code) == 5 for i in taxonomy.INDUSTRIES)
    with pytest.raises(KeyError, match="unknown chain"):
        taxonomy.chain("steel")
