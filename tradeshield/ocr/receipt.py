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


PAGE_MIN_CHARS = 10  # a PDF page whose text layer has fewer visible characters is read as an image (a scanner
#                      app's stamp, 扫描全能王 / CamScanner, is 5-10)
OCR_PAGES = 3        # pages of a scanned PDF read by OCR unless the user asks for more (seconds per page)


def scanned_pdf_fields(case, parsed: dict, text_pages: list, pages: list, first_image, *, pdf_sha: str, name: str,
                       limit: int = OCR_PAGES, progress=None) -> bool:
    """A PDF whose first pages have (almost) no text layer — a scanned paper invoice or receipt — read by OCR from
    the page images the invoice command rendered (``pages``: its page records, written; ``first_image``: page 1's
    pixels still in memory), never rendered again. Only pages among the first ``limit`` whose text layer holds
    fewer than ``PAGE_MIN_CHARS`` characters are recognised; the others keep their text-layer items, and all of
    them go, each with its page number, into ``invoice.layout.extract_pages``. The caption strip the renderer
    adds below each page is cut off first. OCR results are cached per page image SHA-256 (``OcrCache``).

    Updates ``parsed`` in place: ``type`` "scanned" (``kind``: what the OCR'd text says it is: receipt,
    vat-normal …) when OCR supplied fields; every field read from an OCR'd page has ``read_by: "ocr"``, its
    ``confidence`` (the lowest of its characters'), ``sources: {"ocr": value}``, and ``box`` in the pixels of
    ``image`` (the page JPEG in the case); ``ocr`` says model, pages, lines, lowest confidence; ``serials`` the
    IMEIs/serials printed on the scan. Returns whether any page was recognised."""
    from PIL import Image

    from tradeshield import i18n
    from tradeshield.errors import InputError
    from tradeshield.invoice.fields import visible_chars
    from tradeshield.invoice.layout import extract_pages
    from tradeshield.invoice.render import caption_lines, caption_strip
    from tradeshield.invoice.sources import info_values, merge
    from tradeshield.ocr import OcrCache, model_id, read_lines
    from tradeshield.serials import find_serials

    n = min(max(0, limit), len(pages))
    textless = [i for i in range(n)
                if visible_chars("".join(it[0] for it in (text_pages[i] if i < len(text_pages) else []))) < PAGE_MIN_CHARS]
    if not textless:
        return False
    cache = OcrCache(case)
    label = i18n.t("receipt.ocr_progress")
    items = [list(text_pages[i]) if i < len(text_pages) else [] for i in range(n)]
    images, lines_all, conf, failed = {}, [], [], []
    for k, i in enumerate(textless):
        if progress:
            progress(label, k, len(textless))
        rec = pages[i]
        img = first_image if i == 0 and first_image is not None else None
        if img is None:
            with Image.open(rec["path"]) as im:  # the page JPEG the renderer wrote: decoded, not rendered again
                img = im.convert("RGB")
        elif img.mode != "RGB":
            img = img.convert("RGB")
        strip = caption_strip(img.width, caption_lines(i + 1, len(pages), pdf_sha, name), "L").height - 1
        if 0 < strip < img.height:  # the caption (page n/N, the PDF's hash and name) is not the document's text
            img = img.crop((0, 0, img.width, img.height - strip))
        try:
            lines = read_lines(img, rec["sha256"], cache, label=label, variant="pdf-page")
        except Exception as e:  # no engine, a broken model file, onnxruntime out of memory: the pages and the
            # evidence stand, the page is reported as not read (never a traceback, never a guess)
            plain = f"{type(e).__name__}: {str(e)[:120]}"
            failed.append({"page": i + 1, "reason": e.message("en") if isinstance(e, InputError) else plain,
                           "reason_zh": e.message("zh") if isinstance(e, InputError) else plain})
            continue
        items[i] = receipt_items(lines)
        images[i + 1] = case.rel(rec["path"]) if case is not None else str(rec["path"])
        lines_all.extend(lines)
        conf.extend(ln.score for ln in lines)
    if progress:
        progress(label, len(textless), len(textless))
    doc = extract_pages(items)
    ocr_pages = {i + 1 for i in textless} - {f["page"] for f in failed}
    text = "\n".join(ln.text for ln in lines_all)
    parsed["ocr"] = {"model": model_id(), "pages": sorted(ocr_pages), "lines": len(lines_all),
                     "confidence": round(min(conf, default=1.0), 4),
                     "not_read": [i + 1 for i in range(n, len(pages))] if parsed["type"] == "scanned" else [],
                     "failed": failed}
    parsed["serials"] = [f for f in find_serials(text) if f["type"] in ("imei", "imeisv", "meid", "serial")]
    if not doc["fields"]:
        return True
    for f in doc["fields"].values():
        if f.get("page") in ocr_pages:
            f["read_by"] = "ocr"
            f["image"] = images[f["page"]]
            f.setdefault("confidence", 1.0)
            f["sources"] = {"ocr": f["value"] if not isinstance(f["value"], list) else len(f["value"])}
            f["agree"] = ["ocr"]
    parsed["fields"], parsed["checks"] = doc["fields"], doc["checks"]
    parsed["checks"] += merge(parsed["fields"], "pdf-info", info_values(parsed.get("info") or {}))
    parsed["kind"] = doc["type"]
    parsed["type"] = "scanned"
    return True


def _register():
    from tradeshield import i18n

    i18n.register({
        "receipt.label": ("收据照片", "receipt photo"),
        "receipt.no_fields": ("照片中没有读到票据字段（金额、日期等）；原图已保存", "no receipt fields (amount, date …) "
                              "were read in the photo; the original is kept"),
        "receipt.ocr_progress": ("文字识别（扫描页）", "text recognition (scanned pages)"),
        "receipt.scan_read": ("扫描件（无文字层）：第 {pages} 页经文字识别（OCR）读取，各字段附识别置信度，请对照原件核对",
                              "scanned pages (no text layer): page(s) {pages} read by OCR, each field with its OCR "
                              "confidence; check them against the original"),
        "receipt.scan_none": ("扫描件（无文字层）：第 {pages} 页经文字识别（OCR）未读到票据字段，未作任何推测",
                              "scanned pages (no text layer): OCR of page(s) {pages} found no invoice or receipt "
                              "fields, and nothing was guessed"),
        "receipt.scan_more": ("只识别了前 {n} 页；其余 {rest} 页未识别（--ocr-pages 可增加）",
                              "only the first {n} page(s) were read by OCR; {rest} more were not (--ocr-pages N "
                              "reads more)"),
        "receipt.scan_failed": ("第 {page} 页文字识别失败：{reason}", "text recognition failed on page {page}: {reason}"),
        "receipt.low": ("以下字段识别置信度低，请对照原图核对：{fields}", "these fields were read with low confidence, "
                        "check them against the photo: {fields}"),
    })


_register()
