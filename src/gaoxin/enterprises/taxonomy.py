"""The demo zone's industry chains, their segments and the zone's areas, as plain data.

The registry offers these as filter choices and the demo generator draws from them. Codes are
stable (they are stored in the registry and written in policies: `chain in ["ic", "ai"]`); the
Chinese label is what users read, the English one is for the API and the docs.

The chains are the leading and emerging industries that the seeds name for Xiamen Torch
High-tech Zone (平板显示, 计算机与通讯设备, 电力电器, 半导体和集成电路, 软件和信息服务, 人工智能,
新能源, 生物医药); the chain leaders (链主) are the ones the seeds name, kept as names only — they
are not rows of the synthetic registry. Industry codes are GB/T 4754-2017 classes. Qualification
codes are the catalogue's (`gaoxin.catalogue.QUALIFICATIONS`), not repeated here.

Plain Python, no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass

Choice = tuple[str, str, str]  # (code, Chinese label, English label)


@dataclass(frozen=True, slots=True)
class Segment:
    code: str  # "<chain>.<segment>", unique over all chains
    name_zh: str
    name_en: str
    stage: str  # upstream | midstream | downstream: where it sits on the chain
    industries: tuple[str, ...]  # GB/T 4754-2017 classes typical of the segment


@dataclass(frozen=True, slots=True)
class Chain:
    code: str
    name_zh: str
    name_en: str
    segments: tuple[Segment, ...]
    leaders: tuple[str, ...] = ()  # 链主, names as the seeds give them

    @property
    def industries(self) -> tuple[str, ...]:
        """Every industry class of the chain's segments, in segment order, each once."""
        return tuple(dict.fromkeys(code for s in self.segments for code in s.industries))


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    name_zh: str
    name_en: str
    division: str  # six-digit administrative division (GB/T 2260) of the district it lies in


@dataclass(frozen=True, slots=True)
class Industry:
    code: str  # GB/T 4754-2017: section letter and four digits
    name_zh: str


_UP, _MID, _DOWN = "upstream", "midstream", "downstream"


def _segment(chain: str, code: str, zh: str, en: str, stage: str, *industries: str) -> Segment:
    return Segment(f"{chain}.{code}", zh, en, stage, industries)


CHAINS: tuple[Chain, ...] = (
    Chain(
        "display",
        "平板显示",
        "Flat-panel display",
        (
            _segment("display", "materials", "材料", "Materials", _UP, "C3985", "C2669"),
            _segment("display", "panels", "面板", "Panels", _MID, "C3974"),
            _segment("display", "modules", "模组", "Modules", _MID, "C3974", "C3976"),
            _segment("display", "devices", "整机", "Finished devices", _DOWN, "C3951", "C3919"),
        ),
        leaders=("天马",),
    ),
    Chain(
        "computing",
        "计算机与通讯设备",
        "Computers and communication equipment",
        (
            _segment(
                "computing",
                "components",
                "电子元件",
                "Electronic components",
                _UP,
                "C3981",
                "C3982",
            ),
            _segment("computing", "computers", "计算机整机", "Computers", _MID, "C3911", "C3912"),
            _segment("computing", "peripherals", "外围设备", "Peripherals", _MID, "C3913", "C3919"),
            _segment(
                "computing",
                "telecom",
                "通信设备",
                "Communication equipment",
                _DOWN,
                "C3921",
                "C3922",
            ),
        ),
    ),
    Chain(
        "power",
        "电力电器",
        "Power equipment",
        (
            _segment(
                "power", "components", "电工器材", "Electrical components", _UP, "C3824", "C3831"
            ),
            _segment(
                "power",
                "switchgear",
                "输配电及控制设备",
                "Switchgear and controls",
                _MID,
                "C3823",
                "C3821",
            ),
            _segment("power", "machines", "电机", "Electric machines", _MID, "C3811", "C3812"),
            _segment("power", "smart_grid", "智能电网", "Smart grid", _DOWN, "C4011", "I6531"),
        ),
    ),
    Chain(
        "ic",
        "半导体和集成电路",
        "Semiconductors and integrated circuits",
        (
            _segment("ic", "design", "设计", "Design", _UP, "I6520"),
            _segment("ic", "fabrication", "制造", "Fabrication", _MID, "C3973"),
            _segment("ic", "packaging", "封测", "Packaging and testing", _MID, "C3973", "C3972"),
            _segment(
                "ic", "equipment", "设备材料", "Equipment and materials", _UP, "C3562", "C3985"
            ),
        ),
        leaders=("联芯",),
    ),
    Chain(
        "software",
        "软件和信息服务",
        "Software and information services",
        (
            _segment("software", "basic", "基础软件", "Basic software", _UP, "I6511"),
            _segment("software", "application", "应用软件", "Application software", _MID, "I6513"),
            _segment(
                "software", "it_services", "信息技术服务", "IT services", _DOWN, "I6531", "I6560"
            ),
            _segment(
                "software", "internet", "互联网平台", "Internet platforms", _DOWN, "I6432", "I6450"
            ),
        ),
    ),
    Chain(
        "ai",
        "人工智能",
        "Artificial intelligence",
        (
            _segment("ai", "compute", "算力与芯片", "Compute and chips", _UP, "I6520", "I6450"),
            _segment("ai", "models", "算法与大模型", "Algorithms and models", _MID, "I6513"),
            _segment("ai", "vision", "计算机视觉", "Computer vision", _MID, "I6513", "C3919"),
            _segment(
                "ai", "applications", "行业应用", "Industry applications", _DOWN, "I6531", "I6550"
            ),
        ),
    ),
    Chain(
        "new_energy",
        "新能源",
        "New energy",
        (
            _segment(
                "new_energy",
                "electrodes",
                "正负极材料",
                "Cathode and anode materials",
                _UP,
                "C3985",
                "C2613",
            ),
            _segment("new_energy", "separators", "隔膜", "Separators", _UP, "C2921"),
            _segment("new_energy", "cells", "电芯", "Cells", _MID, "C3841"),
            _segment("new_energy", "batteries", "电池", "Battery packs", _MID, "C3841", "C3849"),
            _segment("new_energy", "storage", "储能", "Energy storage", _DOWN, "C3849", "C3824"),
            _segment(
                "new_energy",
                "consumer",
                "消费电子",
                "Consumer electronics",
                _DOWN,
                "C3961",
                "C3963",
            ),
        ),
        leaders=("厦门时代", "中创新航", "海辰"),
    ),
    Chain(
        "biomed",
        "生物医药",
        "Biomedicine",
        (
            _segment("biomed", "drugs", "创新药", "Innovative drugs", _MID, "C2720", "C2710"),
            _segment("biomed", "biologics", "生物制品", "Biologics", _MID, "C2761"),
            _segment("biomed", "devices", "医疗器械", "Medical devices", _DOWN, "C3581", "C3584"),
            _segment(
                "biomed", "diagnostics", "体外诊断", "In-vitro diagnostics", _DOWN, "C2770", "C3589"
            ),
            _segment("biomed", "services", "研发外包", "R&D outsourcing (CRO)", _UP, "M7340"),
        ),
    ),
)

AREAS: tuple[Area, ...] = (
    Area("torch_park", "火炬园", "Torch Park", "350206"),
    Area("software_park", "软件园", "Software Park", "350203"),
    Area("software_park_3", "软件园三期", "Software Park Phase III", "350211"),
    Area("tongxiang", "同翔高新城", "Tongxiang High-tech City", "350213"),
    Area("xiangan", "火炬(翔安)产业区", "Torch (Xiang'an) Industrial Zone", "350213"),
    Area("haicang", "海沧片区", "Haicang Area", "350205"),
    Area("innovation_park", "创新创业园", "Innovation and Entrepreneurship Park", "350206"),
    Area("biomed_port", "生物医药港", "Biomedicine Port", "350205"),
)

# GB/T 4754-2017 classes used above, with their Chinese names: the registry shows these.
INDUSTRIES: tuple[Industry, ...] = (
    Industry("C2613", "无机盐制造"),
    Industry("C2669", "其他专用化学产品制造"),
    Industry("C2710", "化学药品原料药制造"),
    Industry("C2720", "化学药品制剂制造"),
    Industry("C2761", "生物药品制造"),
    Industry("C2770", "卫生材料及医药用品制造"),
    Industry("C2921", "塑料薄膜制造"),
    Industry("C3562", "半导体器件专用设备制造"),
    Industry("C3581", "医疗诊断、监护及治疗设备制造"),
    Industry("C3584", "医疗、外科及兽医用器械制造"),
    Industry("C3589", "其他医疗设备及器械制造"),
    Industry("C3811", "发电机及发电机组制造"),
    Industry("C3812", "电动机制造"),
    Industry("C3821", "变压器、整流器和电感器制造"),
    Industry("C3823", "配电开关控制设备制造"),
    Industry("C3824", "电力电子元器件制造"),
    Industry("C3831", "电线、电缆制造"),
    Industry("C3841", "锂离子电池制造"),
    Industry("C3849", "其他电池制造"),
    Industry("C3911", "计算机整机制造"),
    Industry("C3912", "计算机零部件制造"),
    Industry("C3913", "计算机外围设备制造"),
    Industry("C3919", "其他计算机制造"),
    Industry("C3921", "通信系统设备制造"),
    Industry("C3922", "通信终端设备制造"),
    Industry("C3951", "电视机制造"),
    Industry("C3961", "可穿戴智能设备制造"),
    Industry("C3963", "智能车载设备制造"),
    Industry("C3972", "半导体分立器件制造"),
    Industry("C3973", "集成电路制造"),
    Industry("C3974", "显示器件制造"),
    Industry("C3976", "光电子器件制造"),
    Industry("C3981", "电阻电容电感元件制造"),
    Industry("C3982", "电子电路制造"),
    Industry("C3985", "电子专用材料制造"),
    Industry("C4011", "工业自动控制系统装置制造"),
    Industry("I6432", "互联网生活服务平台"),
    Industry("I6450", "互联网数据服务"),
    Industry("I6511", "基础软件开发"),
    Industry("I6513", "应用软件开发"),
    Industry("I6520", "集成电路设计"),
    Industry("I6531", "信息系统集成服务"),
    Industry("I6550", "信息处理和存储支持服务"),
    Industry("I6560", "信息技术咨询服务"),
    Industry("M7340", "医学研究和试验发展"),
)

CHAIN_BY_CODE: dict[str, Chain] = {c.code: c for c in CHAINS}
SEGMENT_BY_CODE: dict[str, Segment] = {s.code: s for c in CHAINS for s in c.segments}
CHAIN_OF_SEGMENT: dict[str, Chain] = {s.code: c for c in CHAINS for s in c.segments}
AREA_BY_CODE: dict[str, Area] = {a.code: a for a in AREAS}
INDUSTRY_BY_CODE: dict[str, Industry] = {i.code: i for i in INDUSTRIES}


def chain(code: str) -> Chain:
    """The chain with this code; KeyError names the known codes."""
    try:
        return CHAIN_BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown chain {code!r}; known: {', '.join(CHAIN_BY_CODE)}") from None


def segment(code: str) -> Segment:
    try:
        return SEGMENT_BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown chain segment {code!r}") from None


def chain_of(segment_code: str) -> Chain:
    """The chain a segment belongs to."""
    return CHAIN_OF_SEGMENT[segment(segment_code).code]


def area(code: str) -> Area:
    try:
        return AREA_BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown area {code!r}; known: {', '.join(AREA_BY_CODE)}") from None


def chain_choices() -> list[Choice]:
    return [(c.code, c.name_zh, c.name_en) for c in CHAINS]


def segment_choices(chain_code: str | None = None) -> list[Choice]:
    """Segments of one chain, or of all chains (labelled `chain / segment`) when None."""
    if chain_code is not None:
        return [(s.code, s.name_zh, s.name_en) for s in chain(chain_code).segments]
    return [
        (s.code, f"{c.name_zh} / {s.name_zh}", f"{c.name_en} / {s.name_en}")
        for c in CHAINS
        for s in c.segments
    ]


def area_choices() -> list[Choice]:
    return [(a.code, a.name_zh, a.name_en) for a in AREAS]


def industry_choices(chain_code: str | None = None) -> list[tuple[str, str]]:
    """(code, Chinese name) of the industry classes of a chain, or of every chain."""
    codes = chain(chain_code).industries if chain_code else tuple(INDUSTRY_BY_CODE)
    return [(code, INDUSTRY_BY_CODE[code].name_zh) for code in codes]
