"""A "fact card": a clearly labelled image listing the fields read from an OFD or XML invoice.

    >>> from tradeshield.invoice.card import fact_card
    >>> img = fact_card({"invoice_number": {"value": "2311…", "source_text": "…"}}, "xml", "ab12…", "a.xml")  # doctest: +SKIP

It is not a rendering of the invoice and says so at the top in both languages, so nobody mistakes it for
the original layout; the caption names the source file and its SHA-256 prefix.
"""
from __future__ import annotations

LABELS = [
    ("title", "发票名称", "Title"), ("invoice_code", "发票代码", "Invoice code"),
    ("invoice_number", "发票号码", "Invoice number"), ("date", "开票日期", "Date"),
    ("check_code", "校验码", "Check code"), ("machine_number", "机器编号", "Machine no."),
    ("buyer_name", "购买方名称", "Buyer"), ("buyer_tax_id", "购买方纳税人识别号", "Buyer tax ID"),
    ("seller_name", "销售方名称", "Seller"), ("seller_tax_id", "销售方纳税人识别号", "Seller tax ID"),
    ("amount_without_tax", "合计金额", "Amount excl. tax"), ("tax", "合计税额", "Tax"),
    ("total", "价税合计（小写）", "Total"), ("total_in_words", "价税合计（大写）", "Total in words"),
    ("drawer", "开票人", "Drawer"),
]
WIDTH = 1400


def _rows(fields: dict) -> list[tuple[str, str]]:
    rows = []
    for key, zh, en in LABELS:
        if key in fields and fields[key].get("value") not in (None, ""):
            value = str(fields[key]["value"])
            rows.append((f"{zh} / {en}", value))
    for i, it in enumerate(fields.get("items", {}).get("value") or [], 1):
        parts = [it.get("name") or "", it.get("spec") or "", f"{it.get('quantity') or ''} {it.get('unit') or ''}".strip(),
                 f"¥{it['amount']}" if it.get("amount") else ""]
        rows.append((f"项目 {i} / Item {i}", "  ".join(p for p in parts if p)))
    return rows


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines, cur = [], ""
    for ch in text:
        if draw.textlength(cur + ch, font=font) > width and cur:
            lines.append(cur)
            cur = ""
        cur += ch
    return lines + [cur]


def fact_card(fields: dict, kind: str, sha256: str, name: str):
    """PIL image of the card."""
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font
    from tradeshield.imaging import add_caption

    title_font, font, small = load_font(40), load_font(28), load_font(22)
    pad, label_w = 40, 480
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    rows = [(label, _wrap(scratch, value, font, WIDTH - label_w - 2 * pad)) for label, value in _rows(fields)]
    if not rows:
        rows = [("—", ["未能读取任何字段 / no fields could be read"])]
    height = 200 + sum(38 * len(v) + 16 for _, v in rows) + pad
    img = Image.new("RGB", (WIDTH, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, WIDTH, 130], fill=(180, 30, 30))
    d.text((pad, 22), "发票信息摘要（非发票原样） / Invoice fact card (not the invoice itself)", font=title_font,
           fill=(255, 255, 255))
    d.text((pad, 80), f"字段读取自 {kind.upper()} 文件 / fields read from the {kind.upper()} file: {name}", font=small,
           fill=(255, 235, 235))
    y = 160
    for label, values in rows:
        d.text((pad, y), label, font=small, fill=(90, 90, 90))
        for ln in values:
            d.text((pad + label_w, y - 4), ln, font=font, fill=(10, 10, 10))
            y += 38
        y += 16
        d.line([(pad, y - 8), (WIDTH - pad, y - 8)], fill=(225, 225, 225), width=1)
    return add_caption(img, [f"{kind.upper()} SHA-256 {sha256[:16]} · {name}",
                             "tradeshield invoice — 仅列出文件中的字段 / lists only what the file states"])
