"""Codes as people read them, in zh and en: platforms, roles, file kinds, verdicts, derived-file actions,
invoice field names, capture sources. A code without a label is shown through a generic word, never raw in zh.

    >>> from tradeshield.labels import label
    >>> label("platform", "xianyu", "zh"), label("verdict", "same", "zh")
    ('闲鱼', '相同')
"""
from __future__ import annotations

from tradeshield import i18n

_TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "platform": {"xianyu": ("闲鱼", "Xianyu"), "taobao": ("淘宝", "Taobao"), "zhuanzhuan": ("转转", "Zhuanzhuan"),
                 "pinduoduo": ("拼多多", "Pinduoduo"), "jd": ("京东", "JD"), "ebay": ("eBay", "eBay"),
                 "other": ("其他平台", "other platform")},
    "role": {"seller": ("卖家", "seller"), "buyer": ("买家", "buyer"), "any": ("买卖双方", "either")},
    "file": {"video": ("视频", "video"), "photo": ("照片", "photo"), "pdf": ("PDF 文件", "PDF"),
             "ofd": ("OFD 发票", "OFD invoice"), "xml": ("XML 发票", "XML invoice"), "chat": ("聊天/文本记录", "chat/text"),
             "other": ("其他文件", "other file")},
    "verdict": {"same": ("相同", "same"), "different": ("不同", "different"), "inconclusive": ("无法判断", "inconclusive"),
                "clean": ("未发现剪切", "no cuts found"), "warnings": ("有提示，见详情", "warnings, see details"),
                "high": ("高风险", "high risk"), "medium": ("中等风险", "medium risk"), "low": ("低风险", "low risk"),
                "none": ("未发现风险", "no risk found")},
    "action": {"frames": ("视频截帧", "video frames"), "chat": ("聊天解析", "chat parsed"),
               "chat-render": ("聊天图片", "chat image"), "compare-image": ("对比图", "comparison image"),
               "invoice-card": ("发票信息卡", "invoice card"), "invoice-pages": ("发票页面图片", "invoice pages"),
               "photo-upload-copy": ("照片上传副本", "photo upload copy"), "statement": ("陈述", "statement"),
               "timeline": ("时间线图片", "timeline image")},
    "field": {"title": ("发票名称", "Title"), "invoice_code": ("发票代码", "Invoice code"),
              "invoice_number": ("发票号码", "Invoice number"), "date": ("开票日期", "Date"),
              "check_code": ("校验码", "Check code"), "machine_number": ("机器编号", "Machine no."),
              "buyer_name": ("购买方名称", "Buyer"), "buyer_tax_id": ("购买方纳税人识别号", "Buyer tax ID"),
              "seller_name": ("销售方名称", "Seller"), "seller_tax_id": ("销售方纳税人识别号", "Seller tax ID"),
              "amount_without_tax": ("合计金额", "Amount excl. tax"), "tax": ("合计税额", "Tax"),
              "total": ("价税合计（小写）", "Total"), "total_in_words": ("价税合计（大写）", "Total in words"),
              "drawer": ("开票人", "Drawer"), "payee": ("收款人", "Payee"), "reviewer": ("复核", "Reviewer"),
              "order_number": ("订单号", "Order number"), "receipt_number": ("凭证号", "Receipt number"),
              "payer": ("付款方", "Payer"), "remarks": ("备注", "Remarks"), "items": ("项目", "Items")},
    "capture": {"exif": ("照片 EXIF", "photo EXIF"), "quicktime": ("视频元数据", "video metadata"),
                "container": ("视频元数据", "video metadata"), "mtime": ("文件修改时间", "file time")},
}
_FALLBACK = {"platform": ("其他平台", "other platform"), "file": ("文件", "file"), "verdict": ("见详情", "see details"),
             "action": ("派生文件", "derived file"), "field": ("其他字段", "other field"), "capture": ("元数据", "metadata"),
             "role": ("一方", "party")}


def label(table: str, code, lang: str | None = None) -> str:
    """``code`` of ``table`` in ``lang``; a known prefix ("exif:DateTimeOriginal" → exif) counts."""
    lang = i18n.normalize(lang or i18n.get_lang())
    idx = 0 if lang == "zh" else 1
    rows = _TABLES[table]
    code = str(code or "")
    hit = rows.get(code) or rows.get(code.split(":", 1)[0])
    if hit:
        return hit[idx]
    if table == "field" and lang != "zh":
        return code.replace("_", " ")
    return _FALLBACK[table][idx] if lang == "zh" or not code else code


# ---------------------------------------------------------------- input as people type it

_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "role": {"seller": ("卖家", "卖方", "商家", "店家", "sell", "vendor"), "buyer": ("买家", "买方", "顾客", "buy", "customer")},
    "platform": {"xianyu": ("闲鱼", "咸鱼", "閒魚", "goofish", "idlefish"), "taobao": ("淘宝", "淘寶", "tb", "tmall", "天猫"),
                 "zhuanzhuan": ("转转", "轉轉", "zz"), "pinduoduo": ("拼多多", "pdd"), "jd": ("京东", "京東", "jingdong"),
                 "ebay": ("易贝",), "other": ("其他", "其它")},
    "category": {"phone": ("手机", "手機", "phones", "mobile", "smartphone", "iphone", "电话"),
                 "electronics": ("电子产品", "数码", "电子", "电器", "数码产品", "electronic", "digital", "computer", "电脑",
                                 "laptop", "笔记本", "平板", "tablet", "camera", "相机", "耳机"),
                 "cardkey": ("卡密", "卡券", "点卡", "充值卡", "兑换码", "激活码", "card key", "card-key", "giftcard",
                             "gift card", "礼品卡", "code", "voucher"),
                 "luxury": ("奢侈品", "名牌", "包", "名表", "手表", "bag", "watch", "jewelry", "珠宝"),
                 "clothing": ("服装", "衣服", "服饰", "鞋", "鞋子", "clothes", "shoes", "apparel", "fashion"),
                 "other": ("其他", "其它", "other")},
}


def normalize(kind: str, text: str | None) -> str | None:
    """``text`` as the code it names ("卖家" → seller, "闲鱼" → xianyu, "手机" → phone); None when unknown."""
    if text is None:
        return None
    t = " ".join(str(text).split()).strip().lower()
    table = _ALIASES[kind]
    if t in table:
        return t
    for code, names in table.items():
        if t in (n.lower() for n in names):
            return code
    return None
