"""The invoice QR code as a cross-check of the printed text.

    >>> from tradeshield.invoice.qr import parse_qr
    >>> parse_qr("01,10,011002100111,12345678,2654.87,20230518,12345678901357924680,A1B2,")["invoice_number"]
    '12345678'

Old-format e-invoices carry a comma-separated QR code in the top-left corner:
``version, type, 发票代码, 发票号码, 金额, 开票日期 (YYYYMMDD), 校验码, …`` (DOMAIN.md §2.2). The type code
only helps name the kind when the title is missing. 数电票 use the same order with an empty 发票代码, and
their amount is the total including tax (on the real 数电 PDFs tried, 50.00 and 17.00 = 价税合计). A value the QR states and the text lacks is added with the QR text as its source; a value
both state is compared, and a difference is reported, never silently resolved.
"""
from __future__ import annotations

import re

from tradeshield.invoice.fields import money


def parse_qr(text: str) -> dict | None:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 6 or not re.fullmatch(r"\d{2}", parts[0]) or not re.fullmatch(r"\d{8}|\d{12}|\d{20}", parts[3]):
        return None
    out = {"invoice_number": parts[3], "qr_amount": money(parts[4]) if parts[4] else None, "qr_type": parts[1]}
    if re.fullmatch(r"\d{10}|\d{12}", parts[2]):
        out["invoice_code"] = parts[2]
    if re.fullmatch(r"\d{8}", parts[5]):
        out["date"] = f"{parts[5][:4]}-{parts[5][4:6]}-{parts[5][6:]}"
    if len(parts) > 6 and re.fullmatch(r"\d{20}", parts[6]):
        out["check_code"] = parts[6]
    return out


def find_qr(image, retries: int = 5, whole_page: bool = True) -> dict | None:
    """The invoice QR code on a page image: ``{"text", "payload", "retry"}`` or None. The top-left corner is tried
    first (where both generations print it) with up to ``retries`` retries, then the whole page once."""
    from tradeshield.barcodes import decode_with_retries

    w, h = image.size
    # the corner gets a few retries (a blurred scan); the whole page only the first pass: a page without a QR
    # code must not cost seconds
    regions = [((0, 0, max(1, w // 2), max(1, h // 3)), retries)] + ([((0, 0, w, h), 0)] if whole_page else [])
    for region, attempts in regions:
        crop = image.crop(region).convert("L")
        try:
            codes, retry = decode_with_retries(crop, formats="QRCode", stop=lambda c: parse_qr(c["text"]) is not None,
                                               max_attempts=attempts)
        except Exception:  # the cross-check is optional: a decoder failure must not cost the user the pages
            return None
        for code in codes:
            payload = parse_qr(code["text"])
            if payload:
                return {"text": code["text"], "payload": payload, "retry": retry}
    return None


def qr_values(found: dict) -> dict:
    """{field: (value, source text)} for sources.merge. The amount is 金额 (without tax) on old-format invoices
    and the total (价税合计) on 数电 ones (20-digit number), as their printed pages show."""
    qr, text = found["payload"], found["text"]
    out = {k: (qr[k], f"QR: {text}") for k in ("invoice_code", "invoice_number", "date", "check_code") if k in qr}
    if qr.get("qr_amount"):
        key = "total" if len(qr["invoice_number"]) == 20 else "amount_without_tax"
        out[key] = (qr["qr_amount"], f"QR: {text}")
    return out


def cross_check(image, fields: dict) -> tuple[list[dict], dict | None]:
    """Decode the QR code of page 1 and merge it into ``fields`` as the source "qr": (checks, what was found)."""
    from tradeshield.invoice.sources import merge

    found = find_qr(image)
    if not found:
        return [], None
    checks = merge(fields, "qr", qr_values(found))
    for c in checks:
        c["retry"] = found["retry"]
    return checks, found
