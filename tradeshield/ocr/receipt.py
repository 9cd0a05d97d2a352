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


def photo_document(case, path, progress=None) -> dict:
    """``tradeshield invoice receipt.jpg``: the photo added to the case, read by OCR, fields by position; the record
    has the shape of a PDF's (``pages`` is the upload copy), ``format: "photo"``, and ``ocr`` (model, confidence)."""
    from pathlib import Path

    from tradeshield import i18n
    from tradeshield.errors import InputError
    from tradeshield.invoice import _check_notes, finish_sources, note
    from tradeshield.ocr import OcrCache
    from tradeshield.photo import exif_facts, make_upload_copy, read_photo, upright

    data, sha, im = read_photo(path)
    item = case.ensure_evidence(path, note="receipt photo")
    if item.sha256 != sha:
        raise InputError("photo.changed", path=str(path))
    img = upright(im)
    doc = read_receipt(img, sha, OcrCache(case), progress=progress)
    finish_sources(doc["fields"])
    for f in doc["fields"].values():
        f.setdefault("sources", {})
        f["read_by"] = "ocr"
    facts = {"path": item.path, "sha256": sha, **exif_facts(im)}
    up = make_upload_copy(case, img, facts, i18n.t("receipt.label"))
    page = {"page": 1, "path": up["path"], "width": up["width"], "height": up["height"], "bytes": up["bytes"],
            "sha256": None, "dpi": None, "capped": False}
    notes = [] if doc["fields"] else [note("receipt.no_fields")]
    low = [k for k, f in doc["fields"].items() if isinstance(f, dict) and f.get("confidence", 1) < 0.85]
    if low:
        notes.append(note("receipt.low", fields=", ".join(low)))
    return {"sha256": sha, "path": item.path, "type": doc["type"], "format": "photo", "fields": doc["fields"],
            "checks": doc.get("checks", []), "pages": [page], "serials": doc["serials"], "ocr": doc["ocr"],
            "capture_time": facts.get("capture_time"), "name": Path(str(path)).name,
            "notes": notes + _check_notes(doc.get("checks", []))}


def _register():
    from tradeshield import i18n

    i18n.register({
        "receipt.label": ("收据照片", "receipt photo"),
        "receipt.no_fields": ("照片中没有读到票据字段（金额、日期等）；原图已保存", "no receipt fields (amount, date …) "
                              "were read in the photo; the original is kept"),
        "receipt.low": ("以下字段识别置信度低，请对照原图核对：{fields}", "these fields were read with low confidence, "
                        "check them against the photo: {fields}"),
    })


_register()
