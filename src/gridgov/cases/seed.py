"""The catalogue every installation starts with: component and event classes in the
GB/T 30428.2 lineage (domain.md §2), each minor class with its filing condition, disposal
time limit and closing condition.

The data are plain tuples so that the data migration (with historical models) and the
``seed_catalogue`` action (with the real ones) load them through the same ``load``. Loading
only ever *adds* classes whose (kind, code) is missing: a class an administrator edited,
deactivated or re-parented is never touched again.

Time limits follow the usual municipal practice: danger to people or property in urgent
hours (the clock always runs), nuisances cleared within a working day in working hours,
repairs in working days. Manhole covers carry a ``situation`` attribute whose answers have
limits of their own (domain.md §3: a missing sewer cover 2 urgent hours, a broken one 4
working hours, a rocking one 2 working days); the class's own limit is the strictest, for
a report that does not say.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

COMPONENT, EVENT = "component", "event"
U, H, D = "urgent_hours", "working_hours", "working_days"


class Minor(NamedTuple):
    code: str
    name: str
    filing_condition: str
    limit: tuple[int, str]
    closing_condition: str
    attributes: tuple[dict[str, Any], ...] = ()


# --- report attributes (Open311 service attributes) --------------------------------------


def _cover_situation(broken_limit: tuple[int, str] = (4, H)) -> dict[str, Any]:
    """Which fault a manhole cover has; each answer sets its own time limit."""
    return {
        "code": "situation",
        "description": "井盖情况",
        "datatype": "singlevaluelist",
        "required": True,
        "values": [
            {"key": "missing", "name": "井盖丢失", "limit_value": 2, "limit_unit": U},
            {
                "key": "broken",
                "name": "井盖破损（破损面积超过 25 平方厘米）",
                "limit_value": broken_limit[0],
                "limit_unit": broken_limit[1],
            },
            {"key": "rocking", "name": "井盖松动、响动或移位", "limit_value": 2, "limit_unit": D},
        ],
    }


def _text(code: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"code": code, "description": description, "datatype": "string", "required": required}


def _number(code: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"code": code, "description": description, "datatype": "number", "required": required}


def _cover(code: str, name: str, owner: str) -> Minor:
    return Minor(
        code,
        name,
        f"{owner}井盖丢失、破损（破损面积超过 25 平方厘米）、松动响动、移位，"
        "或井框与路面高差超过 2 厘米",
        (2, U),
        "井盖补齐或更换、复位，盖框匹配平稳，与路面高差不超过 1 厘米，现场无安全隐患",
        (_cover_situation(),),
    )


# --- majors ---------------------------------------------------------------------------

MAJORS: dict[str, tuple[tuple[str, str], ...]] = {
    COMPONENT: (
        ("01", "公用设施"),
        ("02", "道路交通设施"),
        ("03", "市容环境设施"),
        ("04", "园林绿化设施"),
        ("05", "房屋土地"),
        ("06", "其他设施"),
    ),
    EVENT: (
        ("01", "市容环境"),
        ("02", "宣传广告"),
        ("03", "施工管理"),
        ("04", "突发事件"),
        ("05", "街面秩序"),
        ("06", "社会治理"),
    ),
}

# --- component minors -------------------------------------------------------------------

COMPONENT_MINORS: tuple[Minor, ...] = (
    _cover("0101", "上水井盖", "供水（上水）"),
    _cover("0102", "污水井盖", "污水"),
    _cover("0103", "雨水井盖", "雨水"),
    Minor(
        "0104",
        "雨水箅子",
        "雨水箅子丢失、破损、堵塞或移位",
        (2, U),
        "箅子补齐或更换、复位，进水通畅",
        (_cover_situation(),),
    ),
    _cover("0105", "电力井盖", "电力"),
    _cover("0106", "通信井盖", "通信（电信、移动、联通、广电）"),
    _cover("0107", "燃气井盖", "燃气"),
    _cover("0108", "热力井盖", "供热（热力）"),
    Minor(
        "0109",
        "消防栓",
        "消防栓损坏、漏水、缺失、被圈占遮挡或无法正常使用",
        (1, D),
        "消防栓修复或更换，周边无遮挡，可正常使用",
    ),
    Minor(
        "0110",
        "路灯",
        "路灯不亮、白天常亮、灯具缺失破损，或灯杆倾斜、破损、底座线缆外露",
        (2, D),
        "路灯恢复正常照明，灯具、灯杆完好，线缆无外露",
        (_text("pole_number", "灯杆编号"),),
    ),
    Minor(
        "0111",
        "电线杆",
        "电力、通信杆倾斜、破损、断裂，或有倒伏危险",
        (4, H),
        "杆体扶正、加固或更换，无倒伏危险",
    ),
    Minor(
        "0112",
        "通信交接箱",
        "通信交接箱箱体破损、倾斜，箱门缺失或无法关闭",
        (3, D),
        "箱体修复，箱门完好并关闭上锁",
    ),
    Minor(
        "0113",
        "电力设施箱",
        "变压器箱、配电箱、电表箱箱门缺失或无法关闭、箱体破损、线缆外露",
        (4, H),
        "箱体修复，箱门关闭上锁，线缆无外露，无触电隐患",
    ),
    Minor(
        "0114",
        "报刊亭",
        "报刊亭亭体破损、超范围或超出亭外经营，或废弃无人管理",
        (5, D),
        "亭体修复，在亭内规范经营，或废弃亭体已拆除",
    ),
    Minor("0115", "邮筒", "邮筒破损、倾倒、缺失或投信口堵塞", (5, D), "邮筒修复、扶正或补齐"),
    Minor(
        "0116",
        "监控电子眼",
        "公共监控设备损坏、缺失、镜头偏移，或立杆倾斜",
        (5, D),
        "设备修复或更换，立杆扶正，恢复正常监控",
    ),
    Minor(
        "0117",
        "架空线缆",
        "架空线缆脱落、垂落至人可触及高度，或私拉乱接",
        (4, H),
        "线缆重新架设、绑扎整齐，私拉乱接线路已拆除",
    ),
    Minor(
        "0201",
        "公交候车亭",
        "候车亭顶棚、座椅、站牌或广告灯箱破损、缺失",
        (3, D),
        "候车亭修复完好，站牌信息清晰",
    ),
    Minor(
        "0202",
        "过街天桥",
        "天桥栏杆、踏步、桥面铺装破损，照明不亮，或积水、结冰",
        (2, D),
        "天桥设施修复，照明正常，桥面无积水结冰",
    ),
    Minor(
        "0203",
        "地下通道",
        "通道墙面、地面破损，照明不亮、积水，或有安全隐患",
        (2, D),
        "通道设施修复，照明正常，无积水和安全隐患",
    ),
    Minor(
        "0204",
        "桥梁",
        "跨河桥、立交桥护栏、伸缩缝、桥面铺装破损，或桥体出现裂缝",
        (1, D),
        "桥梁设施修复，桥体经检测无安全隐患",
    ),
    Minor(
        "0205",
        "路名牌",
        "路名牌缺失、破损、倾斜、字迹不清或指示错误",
        (5, D),
        "路名牌补齐或修复，指示正确，字迹清晰",
    ),
    Minor(
        "0206",
        "交通标志牌",
        "交通标志牌缺失、破损、倾斜、被遮挡或指示错误",
        (3, D),
        "标志牌补齐或修复，无遮挡，指示正确",
    ),
    Minor(
        "0207",
        "交通信号灯",
        "交通信号灯不亮、显示异常、倒计时故障，或灯杆倾斜",
        (4, U),
        "信号灯恢复正常运行，灯杆稳固",
    ),
    Minor(
        "0208",
        "交通护栏",
        "道路护栏、隔离栏缺失、破损、倾斜或倒伏",
        (2, D),
        "护栏补齐、修复、扶正，连续完好",
    ),
    Minor("0209", "隔离墩", "隔离墩、挡车桩缺失、破损或移位", (3, D), "隔离墩补齐、修复或复位"),
    Minor(
        "0210",
        "非机动车停放架",
        "非机动车停放架破损、缺失或倾倒",
        (5, D),
        "停放架修复或补齐，可正常使用",
    ),
    Minor(
        "0211", "盲道", "盲道砖破损、缺失，或盲道被占用、中断", (5, D), "盲道修复，连续畅通无占用"
    ),
    Minor(
        "0212",
        "人行道铺装",
        "人行道板松动、破损、缺失或塌陷，面积超过 1 平方米",
        (3, D),
        "人行道板修复平整，无松动、破损",
    ),
    Minor(
        "0301",
        "公共厕所",
        "公共厕所设施损坏、卫生不洁、异味严重，或在规定时间内未开放",
        (1, D),
        "设施修复，保洁到位，按规定时间开放",
    ),
    Minor("0302", "公厕指示牌", "公厕指示牌缺失、破损或指示错误", (5, D), "指示牌补齐或修复"),
    Minor(
        "0303",
        "垃圾收集站",
        "垃圾站（垃圾楼）设施破损、垃圾外溢，或未按时清运",
        (4, H),
        "垃圾清运完毕，站内外整洁，设施完好",
    ),
    Minor(
        "0304",
        "垃圾箱",
        "果皮箱、垃圾箱破损、缺失、满溢或箱体不洁",
        (4, H),
        "垃圾箱修复或补齐，已清掏，箱体整洁",
    ),
    Minor(
        "0305",
        "分类垃圾桶",
        "分类垃圾桶破损、缺失、标识不清，或满溢未清运",
        (1, D),
        "垃圾桶修复或补齐，标识清晰，已清运",
    ),
    Minor(
        "0306",
        "广告牌匾",
        "户外广告牌、门头牌匾破损、残缺、字迹缺损，或有脱落危险",
        (2, D),
        "牌匾修复或拆除，无脱落危险",
    ),
    Minor(
        "0307",
        "灯箱霓虹灯",
        "灯箱、霓虹灯破损、不亮或显示不全",
        (5, D),
        "灯箱、霓虹灯修复，显示完整",
    ),
    Minor(
        "0401",
        "古树名木",
        "古树名木枝叶枯萎、树体倾斜、遭受病虫害或人为损伤，或保护设施损坏",
        (1, D),
        "采取复壮、支撑、防治等保护措施，保护设施修复",
    ),
    Minor(
        "0402",
        "行道树",
        "行道树缺株、死亡、倾斜、断枝，或树枝影响交通、架空线",
        (2, D),
        "补植、扶正或修剪完毕，不影响通行和架空线",
    ),
    Minor(
        "0403",
        "绿地",
        "绿地被践踏、占用、裸露黄土，或有垃圾杂物",
        (3, D),
        "绿地恢复，补植完毕，无垃圾杂物",
    ),
    Minor("0404", "花坛花箱", "花坛、花箱破损、缺失或花木枯死", (5, D), "花坛花箱修复，花木补栽"),
    Minor("0405", "绿地护栏", "绿地护栏破损、缺失或倾斜", (5, D), "护栏修复、补齐或扶正"),
    Minor("0406", "城市雕塑", "城市雕塑破损、污损或有倾倒危险", (5, D), "雕塑修复、清洁，稳固"),
    Minor("0407", "街头座椅", "街头座椅破损、缺失或松动", (5, D), "座椅修复或补齐，稳固可用"),
    Minor(
        "0501",
        "宣传栏",
        "宣传栏破损、内容陈旧过期，或有脱落危险",
        (5, D),
        "宣传栏修复，内容更新，无脱落危险",
    ),
    Minor(
        "0502",
        "人防工事",
        "人防工事出入口破损、被占用，或防护设施损坏",
        (5, D),
        "出入口修复，占用清除，设施完好",
    ),
    Minor(
        "0503",
        "危旧房屋",
        "房屋墙体开裂、倾斜、构件或外墙饰面脱落，有倒塌、坠落危险",
        (4, U),
        "设置警戒并疏散人员，险情排除或房屋已加固",
    ),
    Minor(
        "0504",
        "闲置地块",
        "闲置地块未围挡、堆放垃圾杂物或被私自占用",
        (5, D),
        "地块围挡完好，垃圾清理完毕，占用清除",
    ),
    Minor(
        "0601",
        "重大危险源",
        "危险源防护设施损坏、警示标识缺失，或有泄漏迹象",
        (2, U),
        "防护设施修复，标识齐全，泄漏排除",
    ),
    Minor(
        "0602",
        "工地围挡",
        "施工工地围挡破损、倒伏、不连续或未设置",
        (1, D),
        "围挡修复、连续封闭，稳固整洁",
    ),
    Minor(
        "0603",
        "水域护栏",
        "河道、湖泊沿岸护栏、警示牌破损或缺失",
        (2, D),
        "护栏、警示牌修复或补齐",
    ),
    Minor(
        "0604",
        "健身器材",
        "公共健身器材损坏、松动、缺失，或有安全隐患",
        (3, D),
        "器材修复或更换，可安全使用，或已停用并设置警示",
    ),
    Minor(
        "0605",
        "电动自行车充电桩",
        "公共充电设施损坏、线缆外露，或有起火隐患",
        (4, H),
        "充电设施修复，线缆规整，隐患排除",
    ),
)

# --- event minors -----------------------------------------------------------------------

EVENT_MINORS: tuple[Minor, ...] = (
    Minor(
        "0101",
        "私搭乱建",
        "在道路、公共场所、绿地、楼顶或院内私自搭建建筑物、构筑物",
        (5, D),
        "违法建设已拆除或依法立案查处，现场恢复原状",
    ),
    Minor(
        "0102",
        "暴露垃圾",
        "道路、公共场所散落或堆积生活垃圾，面积超过 0.5 平方米",
        (2, H),
        "垃圾清运完毕，现场整洁",
    ),
    Minor(
        "0103",
        "积存垃圾渣土",
        "道路、空地、绿地积存建筑垃圾或渣土，体积超过 1 立方米",
        (1, D),
        "垃圾渣土清运完毕，现场无残留",
    ),
    Minor(
        "0104",
        "道路不洁",
        "路面有明显污迹、油渍、泥沙或散落物",
        (2, H),
        "路面清扫冲洗干净",
    ),
    Minor(
        "0105",
        "水域不洁",
        "河道、湖泊水面有漂浮垃圾、油污，或水体发黑发臭",
        (1, D),
        "水面漂浮物打捞干净，污染源已查明处置",
    ),
    Minor(
        "0106",
        "露天焚烧",
        "露天焚烧垃圾、树叶、秸秆或其他废弃物",
        (2, U),
        "火情已扑灭，焚烧残留物清理干净",
    ),
    Minor(
        "0107",
        "乱倒污水",
        "向道路、绿地、雨水口倾倒或排放污水、废油",
        (4, H),
        "排放已制止，现场清理干净",
    ),
    Minor(
        "0108",
        "动物尸体",
        "道路、公共场所出现动物尸体",
        (2, H),
        "尸体已清运并无害化处理，现场消杀",
    ),
    Minor(
        "0201",
        "违章张贴小广告",
        "在建筑物、构筑物、公共设施或树木上张贴、涂写、刻画小广告",
        (1, D),
        "小广告清除干净，无明显痕迹",
    ),
    Minor(
        "0202",
        "违规悬挂横幅",
        "未经批准悬挂横幅、条幅，或横幅破损、过期未撤",
        (1, D),
        "横幅已撤除",
    ),
    Minor(
        "0203",
        "散发小广告",
        "在道路、公共场所散发广告传单，或向车辆投放广告",
        (4, H),
        "散发行为已制止，散落传单清理干净",
    ),
    Minor(
        "0204",
        "违规户外广告",
        "未经批准设置户外广告，或超出批准的位置、尺寸、期限",
        (5, D),
        "违规广告已拆除或补办审批手续",
    ),
    Minor(
        "0205",
        "废弃广告牌",
        "废弃、空置或无主广告牌匾长期未拆除",
        (5, D),
        "废弃广告牌已拆除，现场清理干净",
    ),
    Minor(
        "0301",
        "施工扰民",
        "夜间（22 时至次日 6 时）未经批准进行产生噪声的施工，或昼间施工噪声超标",
        (2, U),
        "噪声施工已停止，或已办理夜间施工许可并采取降噪措施",
        (_text("site_name", "工地名称"),),
    ),
    Minor(
        "0302",
        "施工占道",
        "施工未经批准占用道路，或超出批准的范围、期限占道",
        (1, D),
        "占道已清除，或已补办占道许可并规范设置围挡",
    ),
    Minor(
        "0303",
        "施工扬尘",
        "施工现场裸土未覆盖、未湿法作业，产生明显扬尘",
        (4, H),
        "裸土覆盖、洒水降尘到位，无明显扬尘",
        (_text("site_name", "工地名称"),),
    ),
    Minor(
        "0304",
        "道路遗撒",
        "运输车辆沿途遗撒渣土、砂石、泥浆，遗撒面积超过 1 平方米",
        (2, H),
        "遗撒物清理干净，路面冲洗完毕",
    ),
    Minor(
        "0305",
        "无证掘路",
        "未经许可挖掘城市道路，或挖掘后未按期恢复",
        (4, H),
        "施工已制止并依法查处，路面恢复",
    ),
    Minor(
        "0306",
        "施工废弃料",
        "施工废弃料、建筑材料在工地外乱堆乱放",
        (1, D),
        "废弃料清运完毕，材料规范堆放于工地内",
    ),
    Minor(
        "0401",
        "供水管道破裂",
        "供水管道爆裂、漏水，造成路面冒水或停水",
        (2, U),
        "管道修复，恢复供水，现场路面恢复",
    ),
    Minor(
        "0402",
        "路面塌陷",
        "道路、人行道出现塌陷或坑槽，影响通行安全",
        (2, U),
        "现场设置警戒，塌陷回填修复，恢复通行",
        (_number("area_m2", "塌陷面积（平方米）"),),
    ),
    Minor(
        "0403",
        "道路积水",
        "降雨后道路、下穿通道积水深度超过 15 厘米，或影响通行",
        (2, U),
        "积水排除，道路恢复通行",
        (_number("depth_cm", "积水深度（厘米）"),),
    ),
    Minor(
        "0404",
        "燃气泄漏",
        "闻到燃气异味，或发现燃气管道、设施泄漏",
        (1, U),
        "泄漏点已封堵修复，经检测无燃气泄漏",
    ),
    Minor(
        "0405",
        "污水外溢",
        "污水井、污水管道堵塞，污水冒溢到路面",
        (4, U),
        "管道疏通，外溢污水清理干净，现场消杀",
    ),
    Minor(
        "0406",
        "线缆断落",
        "电力、通信线缆断落，或垂落至人可触及的高度",
        (1, U),
        "线缆已断电处置并重新架设，无触电危险",
    ),
    Minor(
        "0407",
        "树木倒伏",
        "树木倒伏、大枝折断，阻断交通或压占设施",
        (2, U),
        "倒伏树木、断枝清理完毕，恢复通行",
    ),
    Minor(
        "0501",
        "无照经营游商",
        "在道路、广场等公共场所流动摆摊、无照经营",
        (2, H),
        "经营行为已劝离或依法查处，现场整洁",
    ),
    Minor(
        "0502",
        "店外经营",
        "沿街门店超出门窗、外墙经营、作业或摆放物品",
        (4, H),
        "物品已撤回店内，恢复规范经营",
        (_text("shop_name", "店铺名称"),),
    ),
    Minor(
        "0503",
        "占道废品收购",
        "占用道路、公共场所收购、堆放废品",
        (1, D),
        "占道已清除，废品清运完毕",
    ),
    Minor(
        "0504",
        "露天烧烤",
        "在道路、居民区等公共场所露天烧烤",
        (2, H),
        "烧烤已制止，烧烤设施撤离，现场清理干净",
    ),
    Minor(
        "0505",
        "机动车乱停放",
        "机动车在人行道、绿地、消防通道等处违规停放",
        (4, H),
        "违停车辆已驶离或依法处置",
    ),
    Minor(
        "0506",
        "非机动车乱停放",
        "非机动车（含共享单车）在道路、广场无序停放，堵塞通行",
        (4, H),
        "车辆规范停放，通行顺畅",
    ),
    Minor(
        "0507",
        "占道洗车修车",
        "占用道路、人行道洗车、修车",
        (1, D),
        "占道行为已制止，现场清理干净",
    ),
    Minor(
        "0601",
        "邻里纠纷",
        "邻里之间因噪音、漏水、通行、采光等引发纠纷，需要调解",
        (5, D),
        "双方达成调解协议，或已告知当事人依法解决的途径",
    ),
    Minor(
        "0602",
        "婚姻家庭纠纷",
        "婚姻、赡养、抚养、继承等家庭矛盾，需要调解",
        (5, D),
        "双方达成调解协议，或已引导至法律途径，无激化风险",
    ),
    Minor(
        "0603",
        "劳资纠纷",
        "拖欠工资、劳动争议等，涉及人数较多或有群体性苗头",
        (3, D),
        "工资已支付或已移交劳动监察依法处理",
        (_number("people", "涉及人数"),),
    ),
    Minor(
        "0604",
        "物业纠纷",
        "业主与物业服务企业之间的服务、收费等纠纷",
        (5, D),
        "双方达成一致，或已由主管部门依法处理",
    ),
    Minor(
        "0605",
        "消防安全隐患",
        "楼道堆物、消防通道堵塞、电动自行车入户充电等消防安全隐患",
        (1, D),
        "隐患已整改，通道畅通，现场复查合格",
    ),
    Minor(
        "0606",
        "房屋安全隐患",
        "居民自建房、老旧房屋出现裂缝、倾斜、渗漏等安全隐患",
        (1, D),
        "已组织安全鉴定并采取处置措施，隐患排除",
    ),
    Minor(
        "0607",
        "疫情防控事项",
        "风险地区来返人员未报备、发现发热人员，或隔离人员擅自外出等疫情防控事项",
        (2, U),
        "人员已登记报备并落实相应管控措施",
    ),
    Minor(
        "0608",
        "群租房",
        "违规分隔出租、居住人员密集的群租房",
        (5, D),
        "违规分隔已拆除，居住人数符合规定",
    ),
    Minor(
        "0609",
        "重点人员异常",
        "社区矫正对象、严重精神障碍患者等重点人员出现异常情况",
        (4, U),
        "已通知责任单位落实稳控措施，情况已核实处置",
    ),
)

MINORS: dict[str, tuple[Minor, ...]] = {COMPONENT: COMPONENT_MINORS, EVENT: EVENT_MINORS}


def entries() -> Iterator[tuple[str, str, str, Minor | None]]:
    """(kind, code, name, minor-or-None) for every seeded class, majors first."""
    for kind, majors in MAJORS.items():
        for code, name in majors:
            yield kind, code, name, None
    for kind, minors in MINORS.items():
        for minor in minors:
            yield kind, minor.code, minor.name, minor


def load(case_class_model: Any) -> list[Any]:
    """Create every seeded class missing from the table; existing ones stay as they are.

    ``case_class_model`` is the real ``CaseClass`` or the migration's historical model;
    returns the created rows. Two queries to read, two bulk inserts to write.
    """
    manager = case_class_model._default_manager
    existing = {(kind, code): pk for kind, code, pk in manager.values_list("kind", "code", "pk")}
    majors = [
        case_class_model(kind=kind, code=code, name=name)
        for kind, code, name, minor in entries()
        if minor is None and (kind, code) not in existing
    ]
    manager.bulk_create(majors)
    if majors:
        existing.update(
            {(k, c): pk for k, c, pk in manager.values_list("kind", "code", "pk") if len(c) == 2}
        )
    minors = [
        case_class_model(
            kind=kind,
            code=code,
            name=name,
            parent_id=existing[(kind, code[:2])],
            filing_condition=minor.filing_condition,
            closing_condition=minor.closing_condition,
            limit_value=minor.limit[0],
            limit_unit=minor.limit[1],
            attributes=list(minor.attributes),
        )
        for kind, code, name, minor in entries()
        if minor is not None and (kind, code) not in existing and (kind, code[:2]) in existing
    ]
    manager.bulk_create(minors)
    return majors + minors
