"""Independent sources of the same invoice fields, and which of them agree.

    >>> from tradeshield.invoice.sources import merge, info_values
    >>> fields = {"invoice_number": {"value": "25447000001115703415", "source_text": "发票号码：25447000001115703415"}}
    >>> checks = merge(fields, "pdf-info", info_values({"/InvoiceNumber": "25447000001115703415", "/TotalTax-includedAmount": "50.00"}))
    >>> fields["invoice_number"]["agree"], fields["total"]["value"], checks[0]["ok"]
    (['text', 'pdf-info'], '50.00', True)

A field read from the page text is the first source ("text"). Further sources are the PDF document
information dictionary that 数电 PDFs carry (``/InvoiceNumber``, ``/IssueTime``, ``/TotalTax-includedAmount``,
``/BuyerIdNum``, ``/SellerIdNum`` …, read with pdfium), the QR code printed on the invoice ("qr") and an
OFD's ``CustomData`` ("ofd-custom"). Each field records every source's value in ``sources`` and the
names of those that agree with the value kept in ``agree``; a source that differs is listed in
``disagree`` and gives a failed check, which is shown, never resolved silently. A field the text lacks is
taken from the first source that states it (its ``source_text`` names that source).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

INFO_KEYS = {"InvoiceNumber": "invoice_number", "IssueTime": "date", "TotalAmWithoutTax": "amount_without_tax",
             "TotalTaxAm": "tax", "TotalTax-includedAmount": "total", "BuyerIdNum": "buyer_tax_id",
             "SellerIdNum": "seller_tax_id", "BuyerName": "buyer_name", "SellerName": "seller_name",
             "InvoiceCode": "invoice_code"}
PROBE_KEYS = ("InvoiceNumber", "IssueTime", "TotalTax-includedAmount")
MONEY_KEYS = {"amount_without_tax", "tax", "total"}


def normalise(key: str, value) -> str | None:
    from tradeshield.invoice.fields import money, parse_date

    if value is None:
        return None
    v = str(value).strip()
    if not v:
        return None
    if key == "date":
        d = parse_date(v)
        return d[:10] if d else v
    if key in MONEY_KEYS:
        return money(v.lstrip("¥￥")) or v
    if key == "check_code":
        return re.sub(r"\s", "", v)
    return re.sub(r"\s+", "", v) if key.endswith(("_tax_id", "_number", "_code")) else v


def info_values(info: dict) -> dict:
    """{field: (value, source text)} from a PDF information dictionary (keys with or without the slash)."""
    out = {}
    for k, v in (info or {}).items():
        name = str(k).lstrip("/")
        key = INFO_KEYS.get(name)
        if key and v not in (None, ""):
            out[key] = (normalise(key, v), f"PDF info /{name}: {v}")
    return out


STANDARD_INFO_KEYS = ("Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate",
                      "Trapped")
# keys 数电 PDFs carry (INFO_KEYS) and the other names of the 数电 XML's elements a generator may copy in
MORE_INFO_KEYS = ("TotalTax-includedAmountInChinese", "Drawer", "RequestTime", "BuyerHandlingName", "SellerAddr",
                  "SellerTelNum", "SellerBankName", "SellerBankAccNum", "TaxBureauCode", "TaxBureauName", "EIid",
                  "EInvoiceTag", "InvoiceType", "CheckCode", "MachineNumber")
PDF_INFO_KEYS = STANDARD_INFO_KEYS + tuple(INFO_KEYS) + MORE_INFO_KEYS


def read_pdf_info(pdf) -> dict:
    """The document information dictionary's entries under ``PDF_INFO_KEYS`` as {"/Key": str}, from an open
    pypdfium2 document (pdfium looks up any key and decodes PDF text strings, decrypted with the document), {}
    when none is there or they cannot be read.

    pdfium rather than pypdf: the document is open already, and importing pypdf costs ~0.1 s of CPU — a sixth of
    a 1-page invoice's budget. pdfium cannot list a dictionary's keys, so keys outside ``PDF_INFO_KEYS`` are not
    reported; every key a check uses is in it. Call from the thread that owns the document (pdfium is not
    thread-safe)."""
    out = {}
    try:
        for key in PDF_INFO_KEYS:
            value = pdf.get_metadata_value(key)
            if value:
                out["/" + key] = value
    except Exception:  # a dictionary pdfium cannot read is a missing source, never a failed document
        return {}
    return out


def _same(key: str, a, b) -> bool:
    if a is None or b is None:
        return False
    if key in MONEY_KEYS:
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except InvalidOperation:
            return str(a) == str(b)
    if key == "date":
        return str(a)[:10] == str(b)[:10]
    return normalise(key, a) == normalise(key, b)


def merge(fields: dict, source: str, values: dict, *, base: str = "text") -> list[dict]:
    """Record ``source``'s ``values`` ({field: (value, source_text)}) on ``fields``; returns one check per field
    both state (``{source}-{field}``, ok when they agree). Fields the text lacks are added from the source."""
    checks = []
    for key, (value, text) in values.items():
        if value is None:
            continue
        f = fields.get(key)
        if f is None:
            fields[key] = {"value": value, "source_text": text, "sources": {source: value}, "agree": [source]}
            continue
        srcs = f.setdefault("sources", {f.get("from", base): f["value"]})
        f.setdefault("agree", [next(iter(srcs))])
        srcs[source] = value
        ok = _same(key, f["value"], value)
        if ok:
            f["agree"].append(source)
        else:
            f.setdefault("disagree", []).append(source)
        checks.append({"check": f"{source}-{key}", "ok": ok, "expected": f["value"], "found": value,
                       "source_text": text})
    return checks
