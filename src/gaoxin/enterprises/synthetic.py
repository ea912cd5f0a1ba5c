"""Deterministic synthetic enterprises for the demo zone, in the registry's flat layout.

    frame = generate_enterprises(3000)                  # polars.DataFrame, one row per enterprise
    people = generate_contacts(frame, seed=1)           # three contacts per enterprise
    write_flat_file(1_000_000, Path("zone.parquet"))    # .parquet, .csv or .xlsx (≤ 100,000 rows)

Columns are `catalogue.flat_columns(years)`, in that order, named as the catalogue names them:

- text → `String`; dates and qualification columns → `Date`; booleans → `Boolean`;
  counts → `Int64`; money → `Decimal(18, 2)` (yuan, exact to the fen).
- Yearly fields are `field_YEAR`; a qualification is the date granted and `field_until` the
  last day it is valid (null for a listing, which does not expire); both null when never held.

Calibration (see the seeds on Xiamen Torch High-tech Zone): a zone of a few thousand enterprises
led by software, electronics and new energy; log-normal revenue with a Pareto tail, so that
n = 3,000 holds a handful of 百亿 (≥ 10 billion yuan) enterprises as the zone's 7 do; R&D
intensity highest in AI, IC, biomedicine and software; about a fifth holding a valid national
high-tech enterprise certificate (650+ of ~3,000 in 2018), ~1% little giants, ~1.5% gazelles.
Qualifications are drawn first and the fundamentals conditioned on them, so a certified
high-tech enterprise mostly meets the criteria (R&D ratio for its revenue band, S&T staff ≥ 10%,
high-tech revenue ≥ 60%) with some near misses, some lapsed certificates, and uncertified firms
that would qualify — what the rules engine's eligible, near-miss and unknown cases need.

Determinism: rows come in chunks of `CHUNK_ROWS`, each drawn in full from
`numpy.random.default_rng([seed, stream, chunk_index])` and cut only at the end, so a frame of n
rows is the first n rows of any bigger frame with the same seed. Across machines: numpy keeps
its Generator streams stable (NEP 19), and every value that passes through exp, log or pow —
which may differ in the last bit between CPUs — is snapped to a coarse grid before the exact
arithmetic that makes money and counts (`_snap`), so the output is the same but for a vanishing
chance.

Speed (2-core machine): 1,000,000 rows in ~8.5 s, ~1.1 GiB peak for `write_flat_file` to
parquet; 3,000 rows in ~0.1 s (one 10,000-row chunk).

Plain numpy and polars; no Django import.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gaoxin import catalogue
from gaoxin.catalogue import Column, FieldType
from gaoxin.core import uscc as uscc_codes
from gaoxin.enterprises import taxonomy

DEFAULT_SEED = 20251122
DEFAULT_AS_OF = dt.date(2025, 6, 30)
DEFAULT_YEARS: tuple[int, ...] = (2022, 2023, 2024)
CHUNK_ROWS = 10_000
XLSX_MAX_ROWS = 100_000

MONEY_DTYPE = pl.Decimal(18, 2)
POLARS_DTYPES: dict[FieldType, pl.DataType] = {
    FieldType.TEXT: pl.String(),
    FieldType.MONEY: MONEY_DTYPE,
    FieldType.INTEGER: pl.Int64(),
    FieldType.BOOLEAN: pl.Boolean(),
    FieldType.DATE: pl.Date(),
}

# Independent random streams, so adding draws to one part never shifts another.
_ENTERPRISE_STREAM = 1
_CONTACT_STREAM = 2

_EPOCH = np.datetime64("1970-01-01", "D")
_ZONE_FOUNDED = np.datetime64("1990-12-01", "D")  # the zone was set up in 1991


def column_dtype(column: Column) -> pl.DataType:
    """The polars dtype of one flat-layout column."""
    return POLARS_DTYPES[column.field.type]


def flat_schema(years: Sequence[int] = DEFAULT_YEARS) -> dict[str, pl.DataType]:
    """Header → dtype of every column `generate_enterprises` returns, in order."""
    return {c.header: column_dtype(c) for c in catalogue.flat_columns(list(years))}


# ---------------------------------------------------------------------------------------------
# Calibration by chain: what differs between a software house and a panel maker.


@dataclass(frozen=True, slots=True)
class _ChainProfile:
    weight: float  # share of the zone's enterprises
    revenue_shift: float  # log shift of the median revenue
    tail: float  # probability of a large (≥ 5亿 revenue) enterprise
    rd_intensity: float  # median R&D expense / revenue
    tech_share: float  # mean S&T staff share
    postgrad_share: float  # mean master's and PhD share
    revenue_per_employee: float  # yuan, median
    hte_logit: float  # shift of the odds of a high-tech enterprise certificate
    margin: float  # mean profit margin
    export_share: float  # share of enterprises that export
    manufacturing: bool
    home_areas: tuple[str, ...]


# fmt: off
_PROFILES: dict[str, _ChainProfile] = {
    #                         weight rev  tail   R&D    tech  pg    yuan/emp hte margin export mfg
    "display":    _ChainProfile(0.08,  0.5, 0.030, 0.040, 0.18, 0.04, 2.0e6,  0.0, 0.05, 0.50, True,
                                ("tongxiang", "torch_park", "xiangan")),
    "computing":  _ChainProfile(0.12,  0.3, 0.020, 0.045, 0.22, 0.04, 1.2e6,  0.0, 0.06, 0.50, True,
                                ("torch_park", "xiangan", "innovation_park")),
    "power":      _ChainProfile(0.10,  0.3, 0.015, 0.040, 0.18, 0.03, 1.0e6, -0.2, 0.07, 0.40, True,
                                ("xiangan", "torch_park", "haicang")),
    "ic":         _ChainProfile(0.07,  0.2, 0.015, 0.120, 0.45, 0.15, 1.5e6,  0.8, 0.04, 0.40, True,
                                ("haicang", "tongxiang", "software_park_3")),
    "software":   _ChainProfile(0.30, -0.3, 0.004, 0.090, 0.55, 0.09, 4.5e5, 0.2, 0.08, 0.15, False,
                                ("software_park", "software_park_3", "innovation_park")),
    "ai":         _ChainProfile(0.11, -0.4, 0.004, 0.150, 0.60, 0.16, 5.0e5, 0.6, 0.02, 0.15, False,
                                ("software_park_3", "software_park", "innovation_park")),
    "new_energy": _ChainProfile(0.11,  0.6, 0.030, 0.050, 0.20, 0.05, 2.5e6,  0.2, 0.05, 0.45, True,
                                ("tongxiang", "xiangan", "haicang")),
    "biomed":     _ChainProfile(0.11, -0.2, 0.006, 0.110, 0.40, 0.14, 8.0e5,  0.3, 0.06, 0.30, True,
                                ("biomed_port", "haicang", "innovation_park")),
}
# fmt: on

# Shares of enterprises holding a qualification valid on the evaluation date, as calibrated.
TARGET_SHARES: dict[str, float] = {
    "high_tech_enterprise": 0.22,
    "tech_sme": 0.28,
    "srdi_sme": 0.06,
    "little_giant": 0.012,
    "gazelle": 0.015,
    "unicorn": 0.0005,
    "single_champion": 0.0015,
    "listed": 0.015,
}

# ---------------------------------------------------------------------------------------------
# Name material. Names are made injective in the row number (see _name_cores), so every
# enterprise name is unique; brands of real enterprises the seeds name are left out.

_BRAND_CHARS = (
    "星辰华鑫瑞宏泰恒盛嘉信博远汇中新智金海云锐凯美特乾源德隆安泽万佳鸿元正明光升辉腾飞昊启晟睿"
    "弘盈欣宇航润禾创通联合兴卓越精英立东南翰墨青蓝紫银铭峰岳川洋澜涛帆舟翔鹏鹭榕鼎晶磐钧铂锦"
    "易同力和富顺祥瀚奥朗坤乐融诚实胜发旭阳春秋雅致睿众拓普研微芯源道成志永长久天宸恩益谷"
    "丰利群策恺迈迪克赛维斯泓沃尔菲纳优品亿全捷聚蓝图灵动态森林湖清宁曜烨煜焱垚鑫淼"
)
_EXTRA_BRAND_CHARS = "佑灏璟琪瑾璞珑琨瑄"  # a third brand character; no industry word starts so
# Brands of the seeds' enterprises and of well-known Chinese companies: never generated.
_REAL_BRAND_TEXT = (
    "天马 联芯 时代 中创 海辰 三安 乾照 美图 瑞为 宸鸿 友达 冠捷 美柚 嘉戎 "
    "罗普 渊亭 硕橙 国投 路维 科达 捷捷 福纳 宏发 亿联 美亚 网宿 吉比 易联 "
    "星网 盛屯 厦华 建发 国贸 象屿 金龙 万利 安妮 华为 中兴 联想 小米 京东 "
    "腾讯 阿里 百度 海尔 格力 美的 比亚 宁德 大华 海康 科大 中芯 长江 紫光 "
    "通富 华天 长电 天津 中国 华夏 中华 东方 南方 北方 西部 招商 平安 万科 "
    "恒大 碧桂 信达 中信 光大 华润 中粮 中航 中船 中电 中科 "
)
_REAL_BRANDS = frozenset(_REAL_BRAND_TEXT.split())
_FORMS = (  # (template, weight): most zone enterprises are plain limited companies
    ("厦门{}有限公司", 0.62),
    ("厦门市{}有限公司", 0.12),
    ("{}（厦门）有限公司", 0.08),
    ("厦门{}股份有限公司", 0.10),
    ("福建{}有限公司", 0.08),
)
_LISTED_FORM = "厦门{}股份有限公司"
# Per chain, every word distinct across all chains (a name's word then names its chain).
_WORDS: dict[str, tuple[str, ...]] = {
    chain: tuple(words.split())
    for chain, words in {
        "display": "光电科技 显示技术 光学科技 视讯科技 液晶材料 "
        "触控科技 微显示科技 光显电子 影像科技 新型显示",
        "computing": "电子科技 通讯科技 通信技术 计算机科技 网络设备 "
        "电子信息 数码科技 智能终端 精密电子 信息设备",
        "power": "电气 电力科技 电器 电气设备 能源电气 "
        "电工科技 智能电气 输配电设备 电力设备 电机科技",
        "ic": "微电子 半导体 芯片科技 集成电路 微电子科技 "
        "半导体科技 芯微电子 晶圆科技 封装测试 电子材料",
        "software": "软件 信息技术 网络科技 数字科技 软件科技 "
        "信息科技 数据科技 云计算 互联网科技 数码信息",
        "ai": "智能科技 人工智能 智能技术 视觉科技 机器人 "
        "智能信息 智慧科技 算法科技 智联科技 数智科技",
        "new_energy": "新能源 能源科技 储能科技 电池科技 新材料 "
        "锂电科技 动力科技 能源技术 电池材料 储能技术",
        "biomed": "生物科技 医药 生物医药 医疗器械 生物技术 "
        "医疗科技 药业 基因科技 健康科技 诊断技术",
    }.items()
}

# surname:pinyin:weight, Fujian's commonest first.
_SURNAME_TEXT = (
    "陈:chen:11 林:lin:10 黄:huang:6 王:wang:5 李:li:5 张:zhang:4.5 吴:wu:4 刘:liu:3.5 "
    "郑:zheng:3.5 蔡:cai:3 杨:yang:2.5 许:xu:2.5 洪:hong:2 谢:xie:2 曾:zeng:2 苏:su:1.8 "
    "周:zhou:1.8 庄:zhuang:1.5 叶:ye:1.5 徐:xu:1.5 赵:zhao:1.3 郭:guo:1.3 何:he:1.2 "
    "高:gao:1.2 罗:luo:1 朱:zhu:1 孙:sun:1 马:ma:1 胡:hu:1 方:fang:1 邱:qiu:0.9 傅:fu:0.8 "
    "卢:lu:0.8 江:jiang:0.8 游:you:0.6 颜:yan:0.6 魏:wei:0.6 沈:shen:0.6 韩:han:0.5 "
    "邓:deng:0.5 彭:peng:0.5 钟:zhong:0.5 詹:zhan:0.4 欧阳:ouyang:0.2"
)
# character + pinyin of given names.
_GIVEN_TEXT = (
    "伟wei 芳fang 娜na 敏min 静jing 丽li 强qiang 磊lei 军jun 洋yang 勇yong 艳yan 杰jie 涛tao "
    "明ming 超chao 霞xia 平ping 刚gang 鑫xin 辉hui 建jian 华hua 国guo 志zhi 文wen 斌bin "
    "婷ting 雪xue 琳lin 晨chen 宇yu 浩hao 凯kai 峰feng 锋feng 彬bin 晓xiao 燕yan 玲ling "
    "俊jun 鹏peng 思si 嘉jia 怡yi 子zi 一yi 泽ze 铭ming 昊hao 睿rui 欣xin 梓zi 阳yang "
    "荣rong 清qing 德de 海hai 金jin 永yong"
)
_SURNAMES: tuple[tuple[str, str, float], ...] = tuple(
    (zh, py, float(weight))
    for zh, py, weight in (item.split(":") for item in _SURNAME_TEXT.split())
)
_GIVEN: tuple[tuple[str, str], ...] = tuple((item[0], item[1:]) for item in _GIVEN_TEXT.split())


def _brand_pairs() -> list[str]:
    """Two-character brands that spell no real brand, alone or with an industry word's first
    character (联 + 芯片科技 would read 联芯)."""
    chars = list(dict.fromkeys(_BRAND_CHARS))
    word_starts = {w[0] for ws in _WORDS.values() for w in ws}
    return [
        a + b
        for a in chars
        for b in chars
        if a != b and a + b not in _REAL_BRANDS and not {b + w for w in word_starts} & _REAL_BRANDS
    ]


_BRANDS = _brand_pairs()
_WORDS_PER_CHAIN = len(next(iter(_WORDS.values())))


def _check_name_material() -> None:
    """Names are unique only if the words are distinct and none starts with an extra brand
    character; fail at import rather than produce duplicate names."""
    words = [w for ws in _WORDS.values() for w in ws]
    assert len(set(words)) == len(words), "industry words must be distinct across chains"
    assert all(len(ws) == _WORDS_PER_CHAIN for ws in _WORDS.values())
    assert set(_WORDS) == set(taxonomy.CHAIN_BY_CODE), "every chain needs its words"
    assert not {w[0] for w in words} & set(_EXTRA_BRAND_CHARS)
    assert not set(_EXTRA_BRAND_CHARS) & set(_BRAND_CHARS)
    starts = {w[0] for w in words}
    assert not {c + s for c in _EXTRA_BRAND_CHARS for s in starts} & _REAL_BRANDS


_check_name_material()

# Name cores come in blocks: block 0 uses two-character brands, block k ≥ 1 adds the k-th extra
# character; within a block an affine permutation spreads consecutive rows over brands.
_BLOCK = len(_BRANDS) * _WORDS_PER_CHAIN
NAME_CAPACITY = _BLOCK * (1 + len(_EXTRA_BRAND_CHARS))
_PERM_MULTIPLIER = next(a for a in range(104_729, 10**7) if math.gcd(a, _BLOCK) == 1)

# ---------------------------------------------------------------------------------------------
# Public API


def generate_enterprises(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    as_of: dt.date = DEFAULT_AS_OF,
    years: Sequence[int] = DEFAULT_YEARS,
) -> pl.DataFrame:
    """n synthetic enterprises of the demo zone in the flat layout (see the module doc).

    Deterministic in (n, seed, as_of, years); the first k rows do not depend on n.
    """
    if n < 0:
        raise ValueError("n must be ≥ 0")
    if n > NAME_CAPACITY:
        raise ValueError(f"at most {NAME_CAPACITY:,} enterprises have distinct names")
    years = tuple(sorted(set(years)))
    if not years:
        raise ValueError("years must name at least one year")
    schema = flat_schema(years)
    parts = list(_chunks(n, seed=seed, as_of=as_of, years=years))
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts, how="vertical")


def generate_contacts(enterprises: pl.DataFrame, *, seed: int = DEFAULT_SEED) -> pl.DataFrame:
    """Three contacts per enterprise — legal_rep, finance_head, contact — in that order.

    Columns: uscc, role, name, phone (`1xx-xxxx-xxxx`), email (at `<code>.example.cn`, a
    reserved-style domain: nothing is ever sent). The legal_rep's name is the enterprise's
    `legal_representative`. Deterministic; the contacts of the first k enterprises do not depend
    on how many follow. The phone numbers are random and fictional: demo data must never be
    used to send messages.
    """
    codes = enterprises["uscc"].to_numpy().astype(str)
    legal = enterprises["legal_representative"].to_numpy().astype(object)
    parts = []
    for k, start in enumerate(range(0, len(codes), CHUNK_ROWS)):
        rng = np.random.default_rng([seed, _CONTACT_STREAM, k])
        m = min(CHUNK_ROWS, len(codes) - start)
        finance, finance_py = _person_names(rng, CHUNK_ROWS)
        contact, contact_py = _person_names(rng, CHUNK_ROWS)
        phones = [_phones(rng, CHUNK_ROWS) for _ in range(3)]
        legal_py = _pinyin_of_names(legal[start : start + m])
        chunk_codes = codes[start : start + m]
        domain = np.char.add(np.char.lower(chunk_codes), ".example.cn")
        rows = {
            "uscc": np.repeat(chunk_codes, 3),
            "role": np.tile(np.array(["legal_rep", "finance_head", "contact"]), m),
            "name": np.stack([legal[start : start + m], finance[:m], contact[:m]], 1).ravel(),
            "phone": np.stack([p[:m] for p in phones], 1).ravel(),
            "email": np.stack(
                [
                    np.char.add(np.char.add(legal_py, "@"), domain),
                    np.char.add(np.char.add(finance_py[:m], "@"), domain),
                    np.char.add(np.char.add(contact_py[:m], "@"), domain),
                ],
                1,
            ).ravel(),
        }
        parts.append(pl.DataFrame({k2: pl.Series(v, dtype=pl.String) for k2, v in rows.items()}))
    if not parts:
        return pl.DataFrame(
            schema=dict.fromkeys(("uscc", "role", "name", "phone", "email"), pl.String)
        )
    return pl.concat(parts)


def write_flat_file(
    n: int,
    path: Path,
    *,
    seed: int = DEFAULT_SEED,
    as_of: dt.date = DEFAULT_AS_OF,
    years: Sequence[int] = DEFAULT_YEARS,
) -> None:
    """Write n synthetic enterprises to path: `.parquet` (zstd), `.csv` or `.xlsx` (n ≤ 100,000,
    openpyxl write-only), English headers. Used by `gaoxin demo --enterprises N --out FILE`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv", ".xlsx"):
        raise ValueError(f"unsupported file type {suffix!r}: use .parquet, .csv or .xlsx")
    if suffix == ".xlsx" and n > XLSX_MAX_ROWS:
        raise ValueError(f"XLSX is for at most {XLSX_MAX_ROWS:,} rows; use .parquet or .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = generate_enterprises(n, seed=seed, as_of=as_of, years=years)
    if suffix == ".parquet":
        frame.write_parquet(path, compression="zstd", statistics=True)
    elif suffix == ".csv":
        frame.write_csv(path)
    else:
        _write_xlsx(frame, path)


# ---------------------------------------------------------------------------------------------
# Generation


def _chunks(n: int, *, seed: int, as_of: dt.date, years: tuple[int, ...]) -> Iterator[pl.DataFrame]:
    for k, start in enumerate(range(0, n, CHUNK_ROWS)):
        frame = _chunk(k, seed=seed, as_of=as_of, years=years)
        yield frame.head(min(CHUNK_ROWS, n - start))


def _chunk(k: int, *, seed: int, as_of: dt.date, years: tuple[int, ...]) -> pl.DataFrame:
    """One full chunk of CHUNK_ROWS enterprises; rows k*CHUNK_ROWS … (k+1)*CHUNK_ROWS - 1."""
    rng = np.random.default_rng([seed, _ENTERPRISE_STREAM, k])
    m = CHUNK_ROWS
    row = np.arange(k * m, (k + 1) * m, dtype=np.int64)
    today = np.datetime64(as_of, "D")
    anchor = years[-1]  # the latest year: sizes are drawn for it, earlier years by growth

    chains = list(taxonomy.CHAINS)
    profiles = [_PROFILES[c.code] for c in chains]
    weights = np.array([p.weight for p in profiles])
    ci = rng.choice(len(chains), size=m, p=weights / weights.sum())

    def by_chain(attr: str) -> np.ndarray:
        return np.array([getattr(p, attr) for p in profiles], dtype=float)[ci]

    # chain segment, industry class, area
    seg_counts = np.array([len(c.segments) for c in chains])
    seg_local = (rng.random(m) * seg_counts[ci]).astype(np.int64)
    segments = [s for c in chains for s in c.segments]
    seg_offsets = np.concatenate([[0], np.cumsum(seg_counts)[:-1]])
    si = seg_offsets[ci] + seg_local
    ind_counts = np.array([len(s.industries) for s in segments])
    ind_local = (rng.random(m) * ind_counts[si]).astype(np.int64)
    industry_table = np.array([code for s in segments for code in s.industries])
    ind_offsets = np.concatenate([[0], np.cumsum(ind_counts)[:-1]])
    industry = industry_table[ind_offsets[si] + ind_local]
    areas = list(taxonomy.AREAS)
    area_index = {a.code: i for i, a in enumerate(areas)}
    home = np.array([[area_index[a] for a in p.home_areas] for p in profiles])
    at_home = rng.random(m) < 0.7
    area_i = np.where(
        at_home,
        home[ci, rng.integers(0, home.shape[1], m)],
        rng.integers(0, len(areas), m),
    )

    # age: gamma with mean ~10 years, so few enterprises lack the earlier years' accounts
    age_years = np.minimum(rng.gamma(2.5, 4.0, m), float((today - _ZONE_FOUNDED).astype(int)) / 365)
    registered = today - (age_years * 365.25).astype(np.int64)
    age_years = (today - registered).astype(np.int64) / 365.25

    # size: log-normal body plus a Pareto tail of large enterprises (the zone's 百亿 firms)
    innov = rng.standard_normal(m)  # how innovative: drives R&D, staff, certificates
    body = np.exp(
        np.log(4.0e6)
        + by_chain("revenue_shift")
        + 0.12 * np.minimum(age_years, 15.0)
        + 0.15 * innov
        + 1.35 * rng.standard_normal(m)
    )
    large = (rng.random(m) < 1.4 * by_chain("tail")) & (age_years >= 3)
    tail = np.minimum(5e8 * (1.0 - rng.random(m)) ** (-1.0 / 0.75), 1.5e11)
    revenue_full = _snap(np.where(large, tail, np.minimum(body, 3e9)), -2)  # to 100 yuan
    log_rev = np.log10(revenue_full)

    # --- qualifications, drawn from fundamentals-to-be, then fundamentals conditioned on them
    sme = revenue_full < 4e8
    hte_score = (
        -2.25
        + by_chain("hte_logit")
        + 1.1 * innov
        + 0.35 * np.clip(log_rev - 7.0, -2.0, 2.0)
        + 0.4 * (age_years >= 3)
    )
    p_hte = _sigmoid(hte_score) * (age_years >= 1.2)
    u = rng.random(m)
    hte_valid = u < p_hte
    hte_lapsed = ~hte_valid & (u < p_hte * 1.25) & (age_years >= 4.5)
    near_miss = hte_valid & (rng.random(m) < 0.14)
    near_kind = rng.integers(0, 3, m)  # which criterion the near miss falls short of

    gazelle_pool = (
        (age_years >= 3) & (age_years <= 15) & (revenue_full > 2e7) & (revenue_full < 5e9)
    )
    gazelle = gazelle_pool & (rng.random(m) < _sigmoid(-2.0 + 1.2 * innov) * 0.36)
    gazelle_lapsed = ~gazelle & gazelle_pool & (rng.random(m) < 0.01)
    growth_mean = np.where(gazelle, 0.32, np.where(age_years < 5, 0.14, 0.06))

    tech_sme_pool = (revenue_full < 2e8) & (age_years >= 0.3) & ~large
    tech_sme = tech_sme_pool & (rng.random(m) < _sigmoid(-1.5 + 1.6 * innov + 1.5 * hte_valid))
    tech_sme_lapsed = tech_sme_pool & ~tech_sme & (rng.random(m) < 0.12)
    srdi_score = -3.8 + 1.0 * innov + 1.3 * hte_valid + 0.5 * np.clip(log_rev - 7.0, -2, 2)
    srdi = sme & (age_years >= 2) & (rng.random(m) < _sigmoid(srdi_score))
    little_giant = srdi & (revenue_full > 1e7) & (rng.random(m) < 0.22 + 0.1 * hte_valid)
    srdi_lapsed = sme & ~srdi & (age_years >= 5) & (rng.random(m) < 0.01)
    champion = (
        by_chain("manufacturing").astype(bool) & (revenue_full > 8e8) & (rng.random(m) < 0.22)
    )
    listed = (revenue_full > 3e8) & (age_years >= 5) & (rng.random(m) < 0.5)
    listed |= (revenue_full > 2e7) & (age_years >= 4) & (rng.random(m) < 0.012 * (innov > 0.5))
    unicorn_pool = (age_years >= 2) & (age_years <= 10) & (innov > 1.2) & ~listed
    unicorn = (
        unicorn_pool
        & (rng.random(m) < 0.0085)
        & np.isin(ci, _codes_index(chains, "ai", "ic", "new_energy", "biomed", "software"))
    )

    # --- R&D intensity, staff shares and high-tech revenue share
    threshold = np.where(revenue_full <= 5e7, 0.05, np.where(revenue_full <= 2e8, 0.04, 0.03))
    rd_ratio = by_chain("rd_intensity") * np.exp(
        0.35 * innov + 0.5 * rng.standard_normal(m) - 0.15 * np.clip(log_rev - 8.0, 0.0, 3.0)
    )
    certified = hte_valid & ~near_miss
    rd_ratio = np.where(
        certified & (rd_ratio < threshold * 1.03), threshold * rng.uniform(1.03, 1.8, m), rd_ratio
    )
    short_rd = near_miss & (near_kind == 0)
    rd_ratio = np.where(short_rd, threshold * rng.uniform(0.82, 0.985, m), rd_ratio)
    rd_ratio = _snap(np.clip(rd_ratio, 0.001, 0.6))

    tech_mean = by_chain("tech_share")
    tech_share = rng.beta(6.0 * tech_mean, 6.0 * (1.0 - tech_mean))
    tech_share = np.where(certified & (tech_share < 0.12), rng.uniform(0.12, 0.4, m), tech_share)
    short_tech = near_miss & (near_kind == 1)
    tech_share = _snap(np.where(short_tech, rng.uniform(0.07, 0.095, m), tech_share))

    ht_share = np.where(innov > 0, rng.beta(2.0, 2.5, m), rng.beta(1.0, 4.0, m))
    ht_share = np.where(hte_valid, rng.uniform(0.63, 0.97, m), ht_share)
    short_ht = near_miss & (near_kind == 2)
    ht_share = _snap(np.where(short_ht, rng.uniform(0.5, 0.59, m), ht_share))

    # --- staff
    per_employee = _snap(by_chain("revenue_per_employee") * np.exp(0.45 * rng.standard_normal(m)))
    employees = np.clip(np.rint(revenue_full / per_employee), 1, 60_000).astype(np.int64)
    startup = registered > np.datetime64(f"{anchor}-12-31")
    employees = np.where(startup, 1 + rng.poisson(6, m), employees)
    tech_sme &= employees <= 500  # the evaluation is for SMEs: ≤ 500 staff, ≤ 2亿 revenue
    tech_staff = np.minimum(np.rint(employees * tech_share), employees).astype(np.int64)
    tech_staff = np.where(certified, np.maximum(tech_staff, np.ceil(employees * 0.1)), tech_staff)
    tech_staff = np.minimum(tech_staff, employees).astype(np.int64)
    rd_share = _snap(rng.beta(6.0, 3.0, m))
    rd_staff = np.minimum(np.rint(tech_staff * rd_share), tech_staff).astype(np.int64)
    pg_mean = np.clip(by_chain("postgrad_share") * np.exp(0.25 * innov), 0.005, 0.6)
    pg_share = _snap(rng.beta(8.0 * pg_mean, 8.0 * (1.0 - pg_mean)))
    postgrad = np.rint(employees * pg_share).astype(np.int64)

    # --- intellectual property
    ip_rate = (0.12 * rd_staff**0.85 + 0.3) * np.exp(0.4 * innov) * rng.gamma(1.5, 1 / 1.5, m)
    invention = rng.poisson(ip_rate * (1.0 + hte_valid))
    invention = np.where(hte_valid & (invention == 0) & (rng.random(m) < 0.8), 1, invention)
    manufacturing = by_chain("manufacturing").astype(bool)
    utility = rng.poisson(ip_rate * np.where(manufacturing, 2.5, 0.4))
    software_ip = rng.poisson(
        (0.5 + 0.25 * tech_staff**0.8) * np.where(manufacturing, 0.3, 1.5) * np.exp(0.3 * innov)
    )
    layout = rng.poisson(np.where(ci == _codes_index(chains, "ic")[0], 1.5, 0.02))
    class1 = invention + layout

    # --- yearly accounts: the anchor year's full-year revenue, earlier years by growth
    n_years = len(years)
    growth = growth_mean[:, None] + 0.22 * rng.standard_normal((m, n_years))
    revenue = np.empty((m, n_years))
    revenue[:, -1] = revenue_full
    for j in range(n_years - 2, -1, -1):
        revenue[:, j] = revenue[:, j + 1] / _snap(np.exp(np.clip(growth[:, j + 1], -0.6, 1.2)))
    year_start = np.array([np.datetime64(f"{y}-01-01") for y in years])
    year_end = np.array([np.datetime64(f"{y}-12-31") for y in years])
    active_days = np.clip((year_end[None, :] - registered[:, None]).astype(np.int64) + 1, 0, None)
    days_in_year = (year_end - year_start).astype(np.int64) + 1
    revenue *= np.minimum(active_days, days_in_year) / days_in_year
    exists = active_days > 0  # no accounts before the enterprise was registered

    rd = revenue * _snap(
        np.clip(rd_ratio[:, None] * np.exp(0.1 * rng.standard_normal((m, n_years))), 0.0005, 0.9)
    )
    ht = revenue * _snap(
        np.clip(ht_share[:, None] + 0.03 * rng.standard_normal((m, n_years)), 0, 1)
    )
    main_share = _snap(np.where(rng.random(m) < 0.5, 1.0, rng.uniform(0.82, 1.0, m)))
    margin = _snap(
        np.clip(
            by_chain("margin")[:, None]
            + 0.02 * innov[:, None]
            - 0.15 * (age_years < 3)[:, None]
            + 0.1 * rng.standard_normal((m, n_years)),
            -0.9,
            0.45,
        )
    )
    profit = revenue * margin
    income_tax = np.where(hte_valid, 0.15, np.where(revenue_full < 3e7, 0.05, 0.25))
    net_profit = profit - np.maximum(profit, 0) * income_tax[:, None]
    tax = revenue * _snap(
        rng.uniform(0.01, 0.07, m)[:, None] * np.exp(0.1 * rng.standard_normal((m, n_years)))
    )
    turnover = _snap(np.exp(np.log(0.9) + 0.45 * rng.standard_normal(m)))
    trend = _snap((np.maximum(revenue, 1.0) / revenue_full[:, None]) ** 0.6)  # assets lag revenue
    assets = revenue_full[:, None] / turnover[:, None] * trend
    assets = np.maximum(assets, 1e5)
    liabilities = assets * _snap(rng.beta(3.0, 4.0, m))[:, None]
    exporter = rng.random(m) < by_chain("export_share")
    exports = revenue * _snap(exporter * rng.beta(2.0, 3.0, m))[:, None]
    raised = (
        rng.random((m, n_years)) < np.where((age_years < 8) & (innov > 0.3), 0.08, 0.005)[:, None]
    )
    equity = raised * _snap(np.exp(np.log(3e7) + 1.2 * rng.standard_normal((m, n_years))), -2)
    equity[:, -1] = np.where(unicorn, _snap(5e8 + 2e9 * rng.random(m), -2), equity[:, -1])

    # money in integer fen; derived amounts are floored so they never exceed what they share in
    revenue_fen = np.rint(revenue * 100)
    yearly: dict[str, np.ndarray] = {
        "revenue": revenue_fen,
        "main_business_revenue": np.floor(revenue_fen * main_share[:, None]),
        "high_tech_revenue": np.floor(np.minimum(np.rint(ht * 100), revenue_fen)),
        "rd_expense": np.rint(rd * 100),
        "profit": np.rint(profit * 100),
        "net_profit": np.rint(net_profit * 100),
        "tax": np.rint(tax * 100),
        "total_assets": np.rint(assets * 100),
        "total_liabilities": np.rint(liabilities * 100),
        "exports": np.floor(np.minimum(exports * 100, revenue_fen)),
        "equity_raised": np.rint(equity * 100),
    }
    domestic_share = _snap(np.clip(rng.beta(9.0, 1.2, m), 0.0, 1.0))
    domestic_share = np.where(rng.random(m) < 0.45, 1.0, domestic_share)
    yearly["rd_expense_domestic"] = np.floor(yearly["rd_expense"] * domestic_share[:, None])

    # missing values: whole unreported years and single blanks, more for small young firms
    young_small = (age_years < 3).astype(float) + (revenue_full < 5e6)
    p_year = 0.006 + 0.02 * young_small
    p_cell = 0.006 + 0.012 * young_small
    year_missing = rng.random((m, n_years)) < p_year[:, None]
    for name in list(yearly):
        blank = year_missing | (rng.random((m, n_years)) < p_cell[:, None]) | ~exists
        values = yearly[name] / 100.0
        values[blank] = np.nan
        yearly[name] = values

    # --- certificates
    reg_days = (registered - _EPOCH).astype(np.int64)
    today_days = int((today - _EPOCH).astype(np.int64))
    quals: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def certificate(name: str, valid: np.ndarray, lapsed: np.ndarray, min_age_days: int) -> None:
        granted, until = _certificates(
            rng,
            valid,
            lapsed,
            catalogue.QUALIFICATION_YEARS[name],
            today_days,
            reg_days + min_age_days,
        )
        quals[name] = (granted, until)

    certificate("high_tech_enterprise", hte_valid, hte_lapsed, 365)
    certificate("tech_sme", tech_sme, tech_sme_lapsed, 90)
    certificate("srdi_sme", srdi, srdi_lapsed, 2 * 365)
    certificate("little_giant", little_giant, np.zeros(m, bool), 3 * 365)
    certificate("gazelle", gazelle, gazelle_lapsed, 3 * 365)
    certificate("unicorn", unicorn, np.zeros(m, bool), 365)
    certificate("single_champion", champion, np.zeros(m, bool), 5 * 365)
    certificate("listed", listed, np.zeros(m, bool), 3 * 365)

    # --- identity
    cores, form_weights = _name_cores(row, ci)
    form_i = rng.choice(len(_FORMS), size=m, p=form_weights)
    templates = np.array([f for f, _ in _FORMS])[form_i]
    templates = np.where(listed, _LISTED_FORM, templates)
    prefix = np.char.partition(templates.astype(str), "{}")
    names = np.char.add(np.char.add(prefix[:, 0], cores), prefix[:, 2])
    legal, _ = _person_names(rng, m)
    division = np.array([a.division for a in areas])[area_i]
    city_level = rng.random(m) < 0.3  # registered with the city bureau, not the district's
    division = np.where(city_level, "350200", division)
    codes = _uscc(row, division, registered)
    capital = _registered_capital(rng, revenue_full)
    in_zone = rng.random(m) < 0.9
    incident = rng.random(m) < 0.003

    static_nulls = {  # a few staff and IP figures not reported: unknowns for the rules engine
        name: rng.random(m) < p
        for name, p in (
            ("tech_staff", 0.015),
            ("rd_staff", 0.02),
            ("postgrad_staff", 0.03),
            ("class1_ip", 0.01),
            ("invention_patents", 0.01),
            ("utility_models", 0.01),
            ("software_copyrights", 0.01),
        )
    }

    columns: dict[str, pl.Series] = {
        "uscc": pl.Series(codes, dtype=pl.String),
        "name": pl.Series(names, dtype=pl.String),
        "legal_representative": pl.Series(legal, dtype=pl.String),
        "registered_at": pl.Series(registered).cast(pl.Date),
        "registered_capital": _money(capital),
        "industry": pl.Series(industry, dtype=pl.String),
        "area": pl.Series(np.array([a.code for a in areas])[area_i], dtype=pl.String),
        "chain": pl.Series(np.array([c.code for c in chains])[ci], dtype=pl.String),
        "segment": pl.Series(np.array([s.code for s in segments])[si], dtype=pl.String),
        "in_zone": pl.Series(in_zone, dtype=pl.Boolean),
        "major_incident": pl.Series(incident, dtype=pl.Boolean),
    }
    counts = {
        "employees": employees,
        "tech_staff": tech_staff,
        "rd_staff": rd_staff,
        "postgrad_staff": postgrad,
        "class1_ip": class1,
        "invention_patents": invention,
        "utility_models": utility,
        "software_copyrights": software_ip,
    }
    for name, values in counts.items():
        series = pl.Series(values.astype(np.int64), dtype=pl.Int64)
        if name in static_nulls:
            series = series.scatter(np.flatnonzero(static_nulls[name]), None)
        columns[name] = series
    for name, values in yearly.items():
        for j, year in enumerate(years):
            columns[f"{name}_{year}"] = _money(values[:, j])
    for name, (granted, until) in quals.items():
        columns[name] = _dates(granted)
        columns[name + catalogue.UNTIL_SUFFIX] = _dates(until)

    schema = flat_schema(years)
    return pl.DataFrame(
        [
            columns[h].alias(h) if h in columns else pl.Series(h, [None] * m, dtype=dtype)
            for h, dtype in schema.items()
        ]
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def _snap(x: np.ndarray, decimals: int = 6) -> np.ndarray:
    """x on a coarse grid. exp, log and pow may differ in the last bit between CPUs (numpy
    picks SIMD code at run time); snapping their results before the exact arithmetic that makes
    money keeps such differences out of the output but for a vanishing chance."""
    return np.round(x, decimals)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _codes_index(chains: list[taxonomy.Chain], *codes: str) -> np.ndarray:
    return np.array([i for i, c in enumerate(chains) if c.code in codes])


def _money(yuan: np.ndarray) -> pl.Series:
    """Yuan as Decimal(18, 2); NaN → null. Values are whole fen already, so the cast is exact."""
    return pl.Series(np.round(yuan, 2), nan_to_null=True).cast(MONEY_DTYPE)


def _dates(days: np.ndarray) -> pl.Series:
    """Days since 1970-01-01 (−1 = null) as a Date series."""
    series = pl.Series(days.astype(np.int32)).cast(pl.Date)
    return series.scatter(np.flatnonzero(days < 0), None) if (days < 0).any() else series


def _add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day `years` later, minus one day: a certificate's last valid day."""
    date = days.astype("datetime64[D]")
    month = date.astype("datetime64[M]")
    day_of_month = (date - month.astype("datetime64[D]")).astype(np.int64)
    later = (month + 12 * years).astype("datetime64[D]") + day_of_month
    return (later - np.timedelta64(1, "D") - _EPOCH).astype(np.int64)


def _certificates(
    rng: np.random.Generator,
    valid: np.ndarray,
    lapsed: np.ndarray,
    validity_years: int | None,
    today: int,
    earliest: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Grant and expiry days (−1 where not held). Valid ones were granted within the last
    validity period, lapsed ones up to three periods before it; none before `earliest` (the
    enterprise must be old enough to apply) and none after the evaluation date."""
    m = valid.shape[0]
    period = 365 * (validity_years or 3)
    granted = np.where(
        valid,
        today - rng.integers(0, period - 1, m),
        today - period - 2 - rng.integers(0, 3 * period, m),
    )
    if validity_years is None:  # a listing: any time after the enterprise was old enough
        granted = np.where(valid, today - rng.integers(0, 12 * 365, m), granted)
    granted = np.maximum(granted, earliest)
    held = (valid | lapsed) & (granted <= today)
    until = _add_years(granted, validity_years) if validity_years else np.full(m, -1)
    return np.where(held, granted, -1), np.where(held, until, -1)


def _name_cores(row: np.ndarray, chain_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brand + industry word of each row, distinct for distinct rows (an injective code), and
    the weights of the company forms."""
    block, within = np.divmod(row, _BLOCK)
    code = (within * _PERM_MULTIPLIER + 7_919 * block + 12_345) % _BLOCK
    brand_i, word_i = np.divmod(code, _WORDS_PER_CHAIN)
    chain_words = np.array([_WORDS[c.code] for c in taxonomy.CHAINS])
    extra = np.array(["", *_EXTRA_BRAND_CHARS])[block]
    brands = np.char.add(np.array(_BRANDS)[brand_i], extra)
    cores = np.char.add(brands, chain_words[chain_index, word_i])
    weights = np.array([w for _, w in _FORMS])
    return cores, weights / weights.sum()


def _person_names(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Chinese person names and a pinyin e-mail local part for each (`xiaoming.lin`)."""
    weights = np.array([w for *_, w in _SURNAMES])
    si = rng.choice(len(_SURNAMES), size=m, p=weights / weights.sum())
    g1 = rng.integers(0, len(_GIVEN), m)
    g2 = rng.integers(0, len(_GIVEN), m)
    two = rng.random(m) < 0.7
    zh = np.array([g for g, _ in _GIVEN])
    py = np.array([p for _, p in _GIVEN])
    given = np.char.add(zh[g1], np.where(two, zh[g2], ""))
    given_py = np.char.add(py[g1], np.where(two, py[g2], ""))
    surname = np.array([s for s, *_ in _SURNAMES])[si]
    surname_py = np.array([p for _, p, _ in _SURNAMES])[si]
    digits = np.char.zfill(rng.integers(0, 100, m).astype(str), 2)
    local = np.char.add(np.char.add(np.char.add(given_py, "."), surname_py), digits)
    return np.char.add(surname, given), local


_PINYIN = {s: p for s, p, _ in _SURNAMES} | dict(_GIVEN)


def _pinyin_of_names(names: np.ndarray) -> np.ndarray:
    """The e-mail local part for names made by _person_names (given.surname)."""
    out = []
    for full in names:
        surname = full[:2] if full[:2] in _PINYIN and len(full) > 2 else full[:1]
        given = "".join(_PINYIN.get(c, "x") for c in full[len(surname) :])
        out.append(f"{given}.{_PINYIN.get(surname, 'x')}")
    return np.array(out, dtype=str)


def _phones(rng: np.random.Generator, m: int) -> np.ndarray:
    prefixes = np.array(
        [
            "135",
            "136",
            "137",
            "138",
            "139",
            "150",
            "151",
            "158",
            "159",
            "177",
            "180",
            "186",
            "188",
            "189",
            "199",
        ]
    )
    p = prefixes[rng.integers(0, len(prefixes), m)]
    mid = np.char.zfill(rng.integers(0, 10_000, m).astype(str), 4)
    end = np.char.zfill(rng.integers(0, 10_000, m).astype(str), 4)
    return np.char.add(np.char.add(np.char.add(np.char.add(p, "-"), mid), "-"), end)


_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
_ALPHABET = np.frombuffer(uscc_codes.ALPHABET.encode(), dtype=np.uint8)
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])  # GB 32100: 3^i mod 31
_MA_DATE = np.datetime64("2015-10-01", "D")  # codes issued after the reform start with "MA"


def _uscc(row: np.ndarray, division: np.ndarray, registered: np.ndarray) -> np.ndarray:
    """GB 32100 codes: 9 (industry and commerce) 1 (enterprise), the division, the organisation
    code (old nine-digit codes with their GB 11714 check digit for enterprises registered before
    the reform, `MA…` after it) and the check character. Distinct rows get distinct codes."""
    m = row.shape[0]
    value = {c: i for i, c in enumerate(uscc_codes.ALPHABET)}
    # old organisation codes: eight digits from an affine permutation of the row, plus a check
    old = (row * 7_654_321 + 13_579_246) % 90_000_000 + 10_000_000
    old_digits = (old[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    check = (11 - (old_digits * _ORG_WEIGHTS).sum(1) % 11) % 11
    old_chars = np.concatenate(
        [old_digits + ord("0"), np.where(check == 10, ord("X"), check + ord("0"))[:, None]], 1
    )
    # new codes: "MA" and seven characters of the alphabet from another permutation
    new = (row * 1_000_003 + 2_718_281) % 31**7
    new_idx = (new[:, None] // 31 ** np.arange(6, -1, -1)) % 31
    new_chars = np.concatenate(
        [np.tile(np.frombuffer(b"MA", np.uint8), (m, 1)), _ALPHABET[new_idx]], 1
    )
    org = np.where((registered >= _MA_DATE)[:, None], new_chars, old_chars).astype(np.uint8)
    head = np.char.add("91", division.astype(str)).astype("S8")
    first17 = np.concatenate([np.frombuffer(head.tobytes(), np.uint8).reshape(m, 8), org], 1)
    to_value = np.zeros(256, dtype=np.int64)
    for c, i in value.items():
        to_value[ord(c)] = i
    total = (to_value[first17] * _USCC_WEIGHTS).sum(1)
    last = _ALPHABET[(31 - total % 31) % 31]
    codes = np.concatenate([first17, last[:, None]], 1).astype(np.uint8)
    return codes.view("S18").ravel().astype(str)


def _registered_capital(rng: np.random.Generator, revenue: np.ndarray) -> np.ndarray:
    """Registered capital in yuan, on the round figures people register (100万, 500万…)."""
    raw = np.clip(revenue * np.exp(-0.8 + 0.9 * rng.standard_normal(revenue.shape[0])), 1e5, 5e10)
    exponent = np.floor(np.log10(raw))
    mantissa = raw / 10**exponent
    nice = np.array([1.0, 2.0, 3.0, 5.0, 10.0])
    snapped = nice[np.abs(np.log(mantissa[:, None] / nice)).argmin(1)]
    return snapped * 10**exponent


def _write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    from openpyxl import Workbook  # imported here: only the XLSX export needs it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("enterprises")
    sheet.append(frame.columns)
    for record in frame.iter_rows():
        sheet.append(list(record))
    book.save(path)
