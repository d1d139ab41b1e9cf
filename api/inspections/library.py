"""Seed data: a garment defect library and the default checklists. Admins can edit both later."""

from __future__ import annotations

import uuid

DEFAULT_CHECKLIST_ID = uuid.UUID("5f0c1b1e-0000-4000-8000-000000000001")

# code, category, English, 中文, default severity
DEFECT_LIBRARY: tuple[tuple[str, str, str, str, str], ...] = (
    ("W01", "workmanship", "Broken stitch", "断线", "major"),
    ("W02", "workmanship", "Skipped stitch", "跳针", "major"),
    ("W03", "workmanship", "Open seam", "开缝 / 爆口", "major"),
    ("W04", "workmanship", "Uneven stitching", "线迹不均", "minor"),
    ("W05", "workmanship", "Seam puckering", "起皱 / 起扭", "minor"),
    ("W06", "workmanship", "Untrimmed thread ends", "线头未剪", "minor"),
    ("W07", "workmanship", "Raw edge showing", "毛边外露", "major"),
    ("W08", "workmanship", "Needle holes or needle damage", "针洞", "major"),
    ("W09", "workmanship", "Twisted seam or leg", "扭骨", "major"),
    ("W10", "workmanship", "Wrong stitch density", "针距不符", "minor"),
    ("W11", "workmanship", "Uneven hem", "下摆不齐", "minor"),
    ("W12", "workmanship", "Unwanted pleat or tuck", "打褶", "minor"),
    ("W13", "workmanship", "Misaligned pocket or placket", "口袋 / 门襟歪斜", "minor"),
    ("F01", "fabric", "Hole", "破洞", "major"),
    ("F02", "fabric", "Slub or thick yarn", "粗纱 / 大肚纱", "minor"),
    ("F03", "fabric", "Shade variation within the garment", "件内色差", "major"),
    ("F04", "fabric", "Shade off the approved sample", "与确认样色差", "major"),
    ("F05", "fabric", "Stain or oil spot", "污渍 / 油渍", "major"),
    ("F06", "fabric", "Weaving or knitting flaw", "织疵", "minor"),
    ("F07", "fabric", "Pilling", "起球", "minor"),
    ("F08", "fabric", "Bowing or skewing", "纬斜", "major"),
    ("F09", "fabric", "Crease or fold mark", "折痕", "minor"),
    ("M01", "measurement", "Measurement out of tolerance", "尺寸超差", "major"),
    ("M02", "measurement", "Left and right not symmetrical", "左右不对称", "major"),
    ("A01", "accessories", "Missing button", "缺扣", "major"),
    ("A02", "accessories", "Zip broken or not running smoothly", "拉链损坏 / 不顺", "major"),
    ("A03", "accessories", "Loose button", "钮扣松动", "major"),
    ("A04", "accessories", "Trims differ from the approved sample", "辅料与确认样不符", "major"),
    ("A05", "safety", "Broken needle or sharp point in the garment", "断针 / 尖锐物", "critical"),
    ("A06", "safety", "Snap or button fails the pull test", "四合扣 / 钮扣拉力不合格", "critical"),
    ("L01", "labelling", "Care label missing", "缺洗水唛", "major"),
    ("L02", "labelling", "Wrong size label", "尺码唛错误", "major"),
    ("L03", "labelling", "Wrong country-of-origin label", "产地标错误", "major"),
    ("L04", "labelling", "Hang tag missing or wrong", "吊牌缺失 / 错误", "minor"),
    ("L05", "labelling", "Barcode wrong or unreadable", "条码错误 / 无法扫描", "major"),
    ("P01", "packaging", "Wrong carton marks", "箱唛错误", "major"),
    ("P02", "packaging", "Wrong assortment in the carton", "装箱配比错误", "major"),
    ("P03", "packaging", "Carton damaged or crushed", "纸箱破损 / 压扁", "minor"),
    ("P04", "packaging", "Poly bag missing or without warning", "胶袋缺失 / 无警示语", "minor"),
    ("P05", "packaging", "Wrong folding", "折叠方式错误", "minor"),
    ("P06", "packaging", "Carton over the weight limit", "箱重超标", "minor"),
    ("S01", "safety", "Mould or mildew", "发霉", "critical"),
    ("S02", "appearance", "Odour", "异味", "major"),
    ("S03", "safety", "Insect or foreign object", "虫 / 异物", "critical"),
    ("S04", "packaging", "Moisture above the limit", "湿度超标", "major"),
    ("C01", "checklist", "Checklist item failed", "检查项不合格", "major"),
)

# The checklist every pre-shipment inspection starts from; a "value" item fails above its limit.
DEFAULT_CHECKLIST = {
    "code": "garment-final",
    "name": "Garment final inspection",
    "name_zh": "成衣尾期验货",
    "items": [
        {"key": "packing_method", "label": "Packing method as instructed", "label_zh": "包装方式符合要求",
         "kind": "check", "fail_severity": "major"},
        {"key": "carton_marks", "label": "Carton marks (shipping marks)", "label_zh": "箱唛", "kind": "check",
         "fail_severity": "major"},
        {"key": "labels", "label": "Care, size and origin labels", "label_zh": "洗水唛、尺码唛、产地标",
         "kind": "check", "fail_severity": "major"},
        {"key": "hang_tags", "label": "Hang tags and price tickets", "label_zh": "吊牌与价格牌", "kind": "check",
         "fail_severity": "minor"},
        {"key": "barcode_scan", "label": "Barcode scan test", "label_zh": "条码扫描测试", "kind": "check",
         "fail_severity": "major"},
        {"key": "carton_drop", "label": "Carton drop test", "label_zh": "纸箱跌落测试", "kind": "check",
         "fail_severity": "major"},
        {"key": "colour_shade", "label": "Colour shade against the approved sample", "label_zh": "与确认样对色",
         "kind": "check", "fail_severity": "major"},
        {"key": "hand_feel", "label": "Hand feel against the approved sample", "label_zh": "手感与确认样对比",
         "kind": "check", "fail_severity": "minor"},
        {"key": "accessories", "label": "Trims and accessories", "label_zh": "辅料配件", "kind": "check",
         "fail_severity": "minor"},
        {"key": "moisture", "label": "Moisture reading", "label_zh": "湿度测试", "kind": "value", "limit": "12",
         "unit": "%", "fail_severity": "major"},
    ],
}


def seed_rows() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Rows for defect_codes and checklist_templates, as the first migration inserts them."""
    codes = [dict(code=c, category=cat, name_en=en, name_zh=zh, default_severity=sev, active=True)
             for c, cat, en, zh, sev in DEFECT_LIBRARY]
    return codes, [dict(id=DEFAULT_CHECKLIST_ID, version=1, **DEFAULT_CHECKLIST)]
