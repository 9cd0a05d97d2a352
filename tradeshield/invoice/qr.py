"""The invoice QR code as a cross-check of the printed text.

    >>> from tradeshield.invoice.qr import parse_qr
    >>> parse_qr("01,10,011002100111,12345678,2654.87,20230518,12345678901357924680,A1B2,")["invoice_number"]
    '12345678'

Old-format e-invoices carry a comma-separated QR code in the top-left corner:
``version, type, 发票代码, 发票号码, 金额, 开票日期 (YYYYMMDD), 校验码, …`` (DOMAIN.md §2.2; the meaning of the
first two fields is unconfirmed, so they are kept but not interpreted). 数电票 use the same order with an
empty 发票代码. A value the QR states and the text lacks is added with the QR text as its source; a value
both state is compared, and a difference is reported, never silently resolved.
"""
from __future__ import annotations

import re

from tradeshield.invoice.fields import field, money


def parse_qr(text: str) -> dict | None:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 6 or not re.fullmatch(r"\d{2}", parts[0]) or not re.fullmatch(r"\d{8}|\d{12}|\d{20}", parts[3]):
        return None
    out = {"invoice_number": parts[3], "qr_amount": money(parts[4]) if parts[4] else None}
    if re.fullmatch(r"\d{10}|\d{12}", parts[2]):
        out["invoice_code"] = parts[2]
    if re.fullmatch(r"\d{8}", parts[5]):
        out["date"] = f"{parts[5][:4]}-{parts[5][4:6]}-{parts[5][6:]}"
    if len(parts) > 6 and re.fullmatch(r"\d{20}", parts[6]):
        out["check_code"] = parts[6]
    return out


def cross_check(image, fields: dict) -> list[dict]:
    """Decode the QR code in the top-left part of page 1 and compare it with ``fields`` (adds missing ones)."""
    from tradeshield.barcodes import decode

    corner = image.crop((0, 0, max(1, image.width // 2), max(1, image.height // 3))).convert("L")
    try:
        codes = [c for c in decode(corner, try_harder=False) if c["format"].replace(" ", "").lower() == "qrcode"]
    except Exception:  # the cross-check is optional: a decoder failure must not cost the user the pages
        return []
    for code in codes:
        qr = parse_qr(code["text"])
        if qr:
            return _compare(qr, fields, code["text"])
    return []


def _compare(qr: dict, fields: dict, text: str) -> list[dict]:
    checks = []
    for key in ("invoice_code", "invoice_number", "date", "check_code"):
        if key not in qr:
            continue
        printed = fields.get(key, {}).get("value")
        if printed is None:
            fields[key] = field(qr[key], f"QR: {text}")
            continue
        printed_cmp = printed[:10] if key == "date" else printed
        checks.append({"check": f"qr-{key}", "ok": printed_cmp == qr[key], "expected": printed, "found": qr[key],
                       "source_text": f"QR: {text}"})
    amount = qr.get("qr_amount")
    candidates = [fields.get(k, {}).get("value") for k in ("amount_without_tax", "total")]
    if amount and any(candidates):
        checks.append({"check": "qr-amount", "ok": amount in candidates, "expected": " / ".join(c for c in candidates if c),
                       "found": amount, "source_text": f"QR: {text}"})
    return checks
