# ruff: noqa: E501  (service descriptions are prose)
"""Demo providers and their services for `gaoxin demo`: deterministic, a dozen providers and a
few hundred listings, profiles through the services, listings in one bulk insert with their
audit entries."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.accounts.models import Organisation
from gaoxin.core import uscc
from gaoxin.core.audit import Actor, build_entry, snapshot
from gaoxin.core.models import AuditEntry
from gaoxin.supermarket import services
from gaoxin.supermarket.choices import ListingStatus
from gaoxin.supermarket.models import ProviderProfile, ServiceCategory, ServiceListing

DEMO_PROVIDER = "厦门测试认证技术服务有限公司（演示）"

# (category, title pattern, description, min yuan, max yuan, unit, delivery terms); "{x}" is
# filled with each of the provider's subjects
TESTING = (
    (
        "testing",
        "{x}电磁兼容（EMC）检测",
        "依据 GB/T 17626、CISPR 等标准开展辐射发射、传导骚扰、静电放电抗扰度等项目检测，出具 CMA/CNAS 标识报告。",
        3000,
        18000,
        "项",
        "样品送达后 7 个工作日内出具报告；不合格项目提供整改建议并可复测一次。",
    ),
    (
        "testing",
        "{x}环境可靠性试验",
        "高低温、湿热、温度冲击、振动、盐雾等环境试验，支持定制试验剖面。",
        2000,
        30000,
        "项",
        "试验周期按标准确定，完成后 3 个工作日出具报告。",
    ),
    (
        "testing",
        "{x}安规检测与 CCC 认证辅导",
        "电气安全检测、CCC/CQC 认证申请资料准备与工厂检查辅导。",
        8000,
        45000,
        "项",
        "签约后 30 日内完成检测；认证周期以认证机构为准。",
    ),
)
IP = (
    (
        "ip",
        "{x}领域发明专利申请代理",
        "技术交底、检索分析、撰写与答复审查意见，全流程代理至授权或驳回。",
        6000,
        12000,
        "件",
        "交底后 20 个工作日内提交初稿；官费另计。",
    ),
    (
        "ip",
        "{x}专利导航与布局分析",
        "围绕企业核心产品开展专利检索、技术路线与竞争对手分析，形成布局建议报告。",
        30000,
        150000,
        "项",
        "45 个工作日内交付分析报告并现场讲解一次。",
    ),
    (
        "ip",
        "{x}高价值专利培育",
        "从研发立项阶段介入，挖掘可专利技术点，提供专利组合方案。",
        50000,
        200000,
        "项",
        "服务期一年，按季度提交进展报告。",
    ),
)
SIMULATION = (
    (
        "simulation",
        "{x}结构强度仿真分析",
        "基于有限元方法开展静力、模态、疲劳与跌落分析，给出结构优化建议。",
        8000,
        60000,
        "项",
        "模型确认后 10–20 个工作日交付仿真报告及模型文件。",
    ),
    (
        "simulation",
        "{x}流体与热仿真分析",
        "CFD 流场、散热与热管理仿真，支持风冷、液冷方案比选。",
        10000,
        80000,
        "项",
        "边界条件确认后 15 个工作日内交付。",
    ),
    (
        "simulation",
        "{x}电磁场仿真分析",
        "天线、高速信号完整性、电磁兼容与电机电磁场仿真。",
        12000,
        90000,
        "项",
        "15–25 个工作日交付仿真报告。",
    ),
    (
        "simulation",
        "{x}仿真软件算力租用",
        "高性能计算集群与正版仿真软件按需租用，工程师远程支持。",
        300,
        1500,
        "千核时",
        "开通后即可使用，按月结算。",
    ),
)
SMART = (
    (
        "smart_manufacturing",
        "{x}智能工厂诊断",
        "对标智能制造能力成熟度模型（GB/T 39116），现场诊断并出具改造路线图。",
        20000,
        80000,
        "次",
        "现场调研 3–5 天，20 个工作日内交付诊断报告。",
    ),
    (
        "smart_manufacturing",
        "{x}MES 系统实施",
        "生产计划排程、工单报工、质量追溯与设备联网的 MES 实施与上线。",
        200000,
        1500000,
        "套",
        "按实施计划分阶段交付，上线后免费运维一年。",
    ),
    (
        "smart_manufacturing",
        "{x}工业机器人集成",
        "焊接、搬运、装配等工业机器人工作站设计、集成与调试。",
        150000,
        2000000,
        "套",
        "交付周期 60–120 天，含操作人员培训。",
    ),
    (
        "smart_manufacturing",
        "{x}设备数据采集与可视化",
        "PLC/CNC 数据采集、边缘网关部署与车间看板。",
        30000,
        300000,
        "项",
        "30 个工作日内部署完成并验收。",
    ),
)
TRAINING = (
    (
        "training",
        "{x}高级研修班",
        "面向园区企业高管与技术骨干的专题研修，邀请行业专家授课并组织企业间对接交流。",
        1500,
        6800,
        "人",
        "按开班计划授课，结业颁发证书。",
    ),
    (
        "training",
        "{x}企业内训",
        "根据企业需求定制课程，讲师上门授课。",
        8000,
        30000,
        "天",
        "需求确认后 15 日内安排授课。",
    ),
)
FINANCE = (
    (
        "finance",
        "{x}融资方案设计",
        "梳理企业财务与知识产权，设计银行贷款、知识产权质押、股权融资组合方案。",
        20000,
        100000,
        "项",
        "30 个工作日内交付方案并协助对接金融机构。",
    ),
    (
        "consulting",
        "{x}法律尽职调查",
        "投融资、并购前的法律尽职调查与风险提示报告。",
        30000,
        200000,
        "项",
        "资料齐备后 20 个工作日内交付报告。",
    ),
    (
        "consulting",
        "{x}合规体系建设",
        "数据合规、出口管制或劳动用工合规体系诊断与制度建设。",
        50000,
        300000,
        "项",
        "服务期 3–6 个月，分阶段交付。",
    ),
)
RD = (
    (
        "rd",
        "{x}产品联合研发",
        "与企业组建联合研发团队，完成样机设计、验证与技术文档。",
        100000,
        2000000,
        "项",
        "按合同约定里程碑交付。",
    ),
    (
        "rd",
        "{x}技术难题攻关",
        "针对企业提出的具体技术难题组织专家攻关，提供解决方案与验证数据。",
        50000,
        500000,
        "项",
        "需求评估后 10 个工作日内给出攻关方案。",
    ),
    (
        "consulting",
        "{x}高新技术企业认定辅导",
        "研发项目梳理、研发费用归集与申报材料编制辅导。",
        15000,
        50000,
        "次",
        "按当年申报时间节点完成材料。",
    ),
)

# name, categories, qualifications, description, contact, services, subjects
PROVIDERS = (
    (
        DEMO_PROVIDER,
        ("testing",),
        "CNAS 认可实验室（演示）\nCMA 资质认定证书",
        "面向电子信息、光电显示和新能源企业的第三方检测与认证服务。",
        "陈工",
        TESTING,
        (
            "LED 显示屏",
            "锂电池",
            "电源适配器",
            "车载电子",
            "智能家居",
            "医疗器械",
            "光模块",
            "光伏逆变器",
            "工业传感器",
        ),
    ),
    (
        "厦门华测电子产品检测有限公司（演示）",
        ("testing",),
        "CNAS 认可实验室\nCMA 资质认定证书",
        "覆盖电磁兼容、安规、可靠性与化学检测的综合实验室。",
        "林经理",
        TESTING,
        (
            "工业控制器",
            "储能系统",
            "充电桩",
            "无人机",
            "可穿戴设备",
            "服务器电源",
            "电动工具",
            "安防摄像机",
        ),
    ),
    (
        "厦门鹭知知识产权代理有限公司（演示）",
        ("ip",),
        "专利代理机构执业许可证\n知识产权贯标认证",
        "专注集成电路、软件与新能源领域的专利代理与布局。",
        "郑律师",
        IP,
        ("集成电路", "人工智能", "新能源", "生物医药", "光电显示", "软件", "储能", "医疗器械"),
    ),
    (
        "厦门海峡专利事务所（演示）",
        ("ip", "consulting"),
        "专利代理机构执业许可证",
        "提供专利、商标、版权代理及知识产权运营服务。",
        "黄代理人",
        IP,
        ("智能制造", "新材料", "物联网", "半导体封装", "海洋装备", "平板显示"),
    ),
    (
        "闽西南工业仿真协同创新中心（演示）",
        ("simulation",),
        "正版 ANSYS、COMSOL 授权\n高性能计算集群 2000 核",
        "位于厦门火炬物联网孵化基地，为企业提供结构、流体、电磁等仿真分析服务。",
        "吴工程师",
        SIMULATION,
        ("电子设备", "新能源汽车部件", "LED 灯具", "精密模具", "通信基站", "船舶部件", "光伏支架"),
    ),
    (
        "厦门数智仿真技术有限公司（演示）",
        ("simulation", "rd"),
        "ISO 9001 质量管理体系认证",
        "仿真驱动的正向研发服务商。",
        "许博士",
        SIMULATION,
        ("储能电池包", "电机", "5G 天线", "户外机柜", "散热模组", "毫米波雷达"),
    ),
    (
        "厦门火炬智造系统集成有限公司（演示）",
        ("smart_manufacturing",),
        "智能制造系统解决方案供应商（省级）\nISO 27001",
        "为电子、机械和食品企业提供智能工厂整体解决方案。",
        "蔡总监",
        SMART,
        ("电子组装", "注塑", "机加工", "食品包装", "显示模组", "钨钼材料", "卫浴五金"),
    ),
    (
        "厦门精工机器人科技有限公司（演示）",
        ("smart_manufacturing", "rd"),
        "高新技术企业\n工业机器人系统集成资质",
        "工业机器人集成与自动化产线改造。",
        "杨工",
        SMART,
        ("焊接", "码垛", "视觉检测", "锂电产线", "喷涂", "上下料"),
    ),
    (
        "厦门火炬大学堂培训中心（演示）",
        ("training",),
        "人力资源服务许可证",
        "厦门火炬大学堂产业赋能平台的运营机构，为园区企业高管和技术人才提供专业培训。",
        "周老师",
        TRAINING,
        (
            "企业高管",
            "研发管理",
            "集成电路设计",
            "精益生产",
            "财务总监",
            "知识产权管理",
            "出海合规",
            "数字化转型",
            "人工智能应用",
            "供应链管理",
        ),
    ),
    (
        "厦门鹭岛人才发展研究院（演示）",
        ("training", "consulting"),
        "人力资源服务许可证",
        "技术人才培养与组织发展咨询。",
        "苏老师",
        TRAINING,
        ("项目管理", "质量工程师", "嵌入式开发", "工业互联网"),
    ),
    (
        "福建理鑫律师事务所（演示）",
        ("consulting", "finance"),
        "律师事务所执业许可证",
        "服务科技企业的投融资、合规与知识产权诉讼。",
        "方律师",
        FINANCE,
        ("科技型中小企业", "拟上市企业", "跨境业务", "专精特新企业", "外资研发中心", "并购重组"),
    ),
    (
        "厦门科创金融服务有限公司（演示）",
        ("finance", "consulting"),
        "融资担保业务经营许可（合作）",
        "为科技企业提供融资方案设计与金融机构对接。",
        "洪经理",
        FINANCE,
        (
            "初创企业",
            "高新技术企业",
            "专精特新企业",
            "科技小巨人",
            "瞪羚企业",
            "知识产权密集型企业",
        ),
    ),
    (
        "厦门大学科技园技术转移中心（演示）",
        ("rd", "consulting"),
        "国家技术转移示范机构",
        "依托高校科研团队开展联合研发与技术攻关。",
        "谢教授",
        RD,
        ("新材料", "海洋生物", "化合物半导体", "人工智能算法", "储能", "柔性电子", "光电显示"),
    ),
)


def _profile_for(index: int, name: str, spec: tuple, actor: Actor) -> ProviderProfile:
    _, categories, qualifications, description, contact, *_rest = spec
    organisation, _created = Organisation.objects.get_or_create(
        kind=OrganisationKind.SERVICE_PROVIDER, name=name
    )
    profile = services.register_provider(
        actor=actor,
        organisation=organisation,
        data=services.ProfileData(
            uscc=uscc.make(f"91350200MA{index + 1:07d}"),
            contact_name=contact,
            contact_phone=f"0592-57{index + 10:02d}{index * 37 % 100:02d}88",
            contact_email=f"service{index + 1}@example.com",
            qualifications=qualifications,
            description=description,
            categories=list(categories),
        ),
    )
    return services.approve_provider(actor=actor, profile=profile)


def build(actor: Actor) -> int:
    """Providers with approved profiles and their listings; returns the number of listings."""
    if ProviderProfile.objects.exists():
        return ServiceListing.objects.count()
    rng = random.Random(5)
    categories = {c.code: c for c in ServiceCategory.objects.all()}
    now = timezone.now()
    listings: list[ServiceListing] = []
    with transaction.atomic():
        for index, spec in enumerate(PROVIDERS):
            profile = _profile_for(index, spec[0], spec, actor)
            templates, subjects = spec[5], spec[6]
            for subject in subjects:
                for code, title, text, low, high, unit, terms in templates:
                    scale = rng.choice((1, 1, 1, 2)) if high > 50000 else 1
                    min_yuan = round(low * rng.uniform(0.8, 1.2), -2) or low
                    max_yuan = max(min_yuan, round(high * scale * rng.uniform(0.8, 1.2), -2))
                    status = rng.choices(
                        (ListingStatus.APPROVED, ListingStatus.SUBMITTED, ListingStatus.DRAFT),
                        weights=(90, 6, 4),
                    )[0]
                    listings.append(
                        ServiceListing(
                            provider=profile,
                            category=categories[code],
                            title=title.format(x=subject),
                            description=text,
                            price_min_fen=int(min_yuan) * 100,
                            price_max_fen=int(max_yuan) * 100,
                            unit=unit,
                            delivery_terms=terms,
                            status=status,
                            reviewed_at=now if status == ListingStatus.APPROVED else None,
                        )
                    )
        rng.shuffle(listings)  # the catalogue's "newest first" mixes providers
        created = ServiceListing.objects.bulk_create(listings)
        AuditEntry.objects.bulk_create(
            build_entry(
                actor=actor,
                action="supermarket.listing_created",
                obj=listing,
                before=None,
                after=snapshot(listing, services.LISTING_FIELDS),
                subject=listing.provider,
            )
            for listing in created
        )
    return len(created)
