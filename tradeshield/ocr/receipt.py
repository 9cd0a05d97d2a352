"""Photographed or scanned receipts and invoices → the invoice fields, by OCR and position.

    >>> from tradeshield.ocr.receipt import read_receipt
    >>> doc = read_receipt(Image.open("receipt.jpg"), sha)           # doctest: +SKIP
    >>> doc["fields"]["total"]["value"], doc["fields"]["date"]["value"], doc["fields"]["total"]["confidence"]  # doctest: +SKIP
    ('1100.00', '2021-05-18', 0.97)

The recognised lines go, as ``(text, box, confidence)`` items in image pixels, into the same position-based
field extraction as PDF and OFD text (``tradeshield.invoice.layout.extract_fields``), so a photo of a paper
receipt yields the fields a PDF would, each with its box in the photo and the OCR confidence of the characters
it was read from. IMEIs printed on it are found by ``serials.find_serials`` like on any document.
"""
from __future__ import annotations


def receipt_items(lines) -> list[tuple]:
    return [(ln.text, tuple(float(v) for v in ln.box), float(ln.score)) for ln in lines]


def read_receipt(img, sha: str, cache=None, progress=None) -> dict:
    """Fields of one photographed page: ``{"type", "fields", "checks", "ocr": {"model", "lines"}, "serials"}``."""
    from tradeshield.invoice.layout import extract_fields
    from tradeshield.ocr import model_id, read_lines
    from tradeshield.serials import find_serials

    lines = read_lines(img, sha, cache, progress=progress, label="receipt")
    doc = extract_fields(receipt_items(lines))
    text = "\n".join(ln.text for ln in lines)
    doc["serials"] = [f for f in find_serials(text) if f["type"] in ("imei", "imeisv", "meid", "serial")]
    doc["ocr"] = {"model": model_id(), "lines": len(lines),
                  "confidence": round(min((ln.score for ln in lines), default=1.0), 4)}
    return doc
