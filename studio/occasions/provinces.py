"""The 34 provincial-level divisions, in the short form staff and HQ use (广西, not 广西壮族自治区)."""

from __future__ import annotations

from studio.errors import ValidationError

PROVINCES: list[str] = [
    "北京", "天津", "河北", "山西", "内蒙古",
    "辽宁", "吉林", "黑龙江",
    "上海", "江苏", "浙江", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "广东", "广西", "海南",
    "重庆", "四川", "贵州", "云南", "西藏",
    "陕西", "甘肃", "青海", "宁夏", "新疆",
    "香港", "澳门", "台湾",
]  # fmt: skip

# Official full names map to the short form, so "广西壮族自治区" or "广东省" from an org record works.
_FULL_NAMES: dict[str, str] = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}


def normalize_province(name: str) -> str:
    """Return the short form of a province name; raise ValidationError if it is not one."""
    text = name.strip()
    if text in PROVINCES:
        return text
    if text in _FULL_NAMES:
        return _FULL_NAMES[text]
    for suffix in ("省", "市"):
        if text.endswith(suffix) and text[: -len(suffix)] in PROVINCES:
            return text[: -len(suffix)]
    raise ValidationError(
        f"unknown province {name!r}: use a short name such as 北京, 广东, 广西, 内蒙古",
        f"未知的省份：{name}。请使用省级行政区简称，如 北京、广东、广西、内蒙古。",
    )
