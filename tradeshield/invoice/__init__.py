"""Invoice and receipt documents → upload-ready JPEG pages and purchase facts stored in the case.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.invoice import process
    >>> doc = process(Case.find(), "dzfp_044002000111_12345678.pdf", dpi=200)     # doctest: +SKIP
    >>> doc["type"], doc["fields"]["total"]["value"], len(doc["pages"])            # doctest: +SKIP
    ('e-invoice', '3000.00', 1)

PDF: read once, validated (password, damage) before anything enters the case, then rendered to
``derived/invoice/<sha12>/pNNN.jpg`` (render.py) by worker processes while this one copies it in as
evidence (whose digest must equal that of the bytes being rendered) and parses its text layer
(fields.py). OFD and XML 数电票 are read (ofd.py) and get a fact card image (card.py) instead of a
rendering. Facts go to ``facts/invoice.json`` (one entry per document, replaced when re-run); pages and
facts are logged with their source in the custody log.
"""
from __future__ import annotations

from pathlib import Path

from tradeshield import i18n
from tradeshield.errors import InputError, UsageError
from tradeshield.evidence.fsutil import check_input

i18n.register({
    "invoice.bad_dpi": ("DPI 必须在 36 到 600 之间：{dpi}", "DPI must be between 36 and 600: {dpi}"),
    "invoice.unsupported": ("不是 PDF、OFD 或 XML 发票：{path}（识别为 {kind}）",
                            "not a PDF, OFD or XML invoice: {path} (looks like {kind})"),
    "invoice.note.no_text": ("没有文字层（扫描件）：无法读取发票字段，未作任何推测",
                             "no text layer (scanned image): the fields could not be read, and nothing was guessed"),
    "invoice.note.qr_only": ("没有文字层（扫描件）：只读取了二维码中的字段，其余字段未作推测",
                             "no text layer (scanned image): only the QR code's fields were read, nothing else was guessed"),
    "invoice.note.no_fields": ("有文字层，但未识别出发票或收据字段", "the text layer holds no invoice or receipt fields"),
    "invoice.note.capped": ("第 {page} 页尺寸过大，以 {dpi} DPI 渲染以保持在限制内",
                            "page {page} is very large: rendered at {dpi} DPI to stay within the limits"),
    "invoice.note.words_mismatch": ("价税合计大写（{found}）与小写（{expected}）不一致，请核对原件",
                                    "the total in words ({found}) does not match the figure ({expected}): check the original"),
    "invoice.note.sum_mismatch": ("金额 + 税额（{found}）与价税合计（{expected}）不一致",
                                  "amount + tax ({found}) does not match the total ({expected})"),
    "invoice.note.items_mismatch": ("各项目金额之和（{found}）与合计金额（{expected}）不一致",
                                    "the items' amounts add up to {found}, not the printed amount {expected}"),
    "invoice.note.source_mismatch": ("文件内嵌的 {source} 中的{what}（{found}）与票面文字（{expected}）不一致",
                                     "the file's embedded {source} {what} ({found}) differs from the printed text ({expected})"),
    "invoice.note.qr_mismatch": ("二维码中的{what}（{found}）与票面文字（{expected}）不一致",
                                 "the QR code's {what} ({found}) differs from the printed text ({expected})"),
})


def detect(path: Path) -> str:
    """pdf / ofd / xml / photo / other: fsutil's content sniffing (a photo: a photographed receipt, read by OCR),
    with the extension breaking the tie for a zip whose first entry is not OFD.xml and for an XML file that names
    EInvoice only after its first 4 KiB."""
    from tradeshield.evidence.fsutil import sniff_kind

    kind = sniff_kind(path)
    if kind in ("pdf", "ofd", "xml", "photo"):
        return kind
    with open(path, "rb") as f:
        head = f.read(64)
    suffix = path.suffix.lower()
    if head[:4] == b"PK\x03\x04" and suffix == ".ofd":
        return "ofd"
    if head.lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"<") and suffix == ".xml":
        return "xml"
    return "other"


def note(key: str, **params) -> dict:
    return {"code": key.rsplit(".", 1)[-1], "zh": i18n.t(key, "zh", **params), "en": i18n.t(key, "en", **params)}


IN_MEMORY_MAX = 64 << 20  # PDFs up to this size are read once and rendered from memory during the evidence copy


def process(case, path, *, dpi: int = 200, password: str | None = None, progress=None, ocr_pages: int = 3) -> dict:
    """Add ``path`` to the case, make its images and facts; returns the document record (also in the facts).
    A PDF whose first ``ocr_pages`` pages have no text layer (a scan) is read by OCR from its rendered pages."""
    path = check_input(Path(path))
    if not 36 <= dpi <= 600:
        raise UsageError("invoice.bad_dpi", dpi=dpi)
    kind = detect(path)
    if kind == "pdf":
        doc = _pdf(case, path, dpi, password, progress, ocr_pages)
    elif kind in ("ofd", "xml"):
        _read_structured(kind, path)  # refuse a broken file before it enters the case
        warm = _warm_font()  # fc-match and the font check take tens of ms: overlap them with the copy
        item = case.ensure_evidence(path, progress=progress)
        warm.join()
        doc = {"sha256": item.sha256, "path": item.path,
               **_structured(case, case.evidence_path(item), kind, item.sha256, path.name)}
    elif kind == "photo":  # a photographed or scanned paper receipt: OCR into the same field extraction
        from tradeshield.ocr.receipt import photo_document

        doc = photo_document(case, path, progress=progress)
    else:
        from tradeshield.evidence.fsutil import sniff_kind

        raise InputError("invoice.unsupported", path=str(path), kind=sniff_kind(path))  # says what it is instead
    doc = {"sha256": doc.pop("sha256"), "path": doc.pop("path"), "original": str(path.resolve()), **doc}
    _store(case, doc)
    from tradeshield.serials import update_imei_facts

    update_imei_facts(case)  # an IMEI printed on the invoice joins the photos' and the video's
    return doc


def read_fields(path, *, password: str | None = None, dpi: int = 200) -> dict:
    """The document record's ``type``, ``format``, ``fields`` and ``checks`` without a case (nothing is written):
    what ``process`` stores, for benchmarks and for checking a file before adding it."""
    path = Path(path)
    kind = detect(path)
    if kind in ("ofd", "xml"):
        parsed = _read_structured(kind, path)
    elif kind == "pdf":
        from tradeshield.invoice.render import open_pdf, render_page

        data = path.read_bytes()
        pdf = open_pdf(path, password, data=data)
        try:
            parsed = _pdf_fields(pdf)
            rec, _ = render_page(pdf, 0, dpi=dpi, sha256="0" * 64, name=path.name, total=len(pdf))
            _qr_check(parsed, rec["image"])
        finally:
            pdf.close()
    else:
        raise InputError("invoice.unsupported", path=str(path), kind=kind)
    finish_sources(parsed["fields"])
    return parsed


def _warm_font():
    import threading

    from tradeshield.fonts import cjk_font_path

    t = threading.Thread(target=cjk_font_path, name="font-lookup", daemon=True)
    t.start()
    return t


def _read_structured(kind: str, path: Path) -> dict:
    from tradeshield.invoice.ofd import read_ofd, read_xml

    return read_ofd(path) if kind == "ofd" else read_xml(path)


def _structured(case, src: Path, kind: str, sha: str, name: str) -> dict:
    from tradeshield.imaging import save_jpeg_within
    from tradeshield.invoice.card import fact_card

    parsed = _read_structured(kind, src)
    dest = case.derived_path(f"invoice/{sha[:12]}/card.jpg")
    info = save_jpeg_within(fact_card(parsed["fields"], kind, sha, name), dest)
    case.record_derived([dest], action="invoice-card", sources=[sha], params={"kind": kind})
    page = {"page": 1, "path": case.rel(dest), "width": info["width"], "height": info["height"],
            "bytes": info["bytes"], "sha256": _sha(dest), "card": True}
    finish_sources(parsed["fields"])
    notes = [] if parsed["fields"] else [note("invoice.note.no_fields")]
    return {**parsed, "pages": [page], "notes": notes + _check_notes(parsed["checks"])}


def _sha(path) -> str:
    from tradeshield.evidence.fsutil import hash_file

    return hash_file(path)[0]


def _open(case, path: Path, password, progress):
    """(open document, what workers open, sha256, evidence item or None).

    A PDF of ordinary size is read once: its bytes are validated and hashed here, and the workers render
    them while the caller copies the file into the case (the item's digest must then equal ``sha256``).
    A huge one is copied in first and rendered from the evidence copy.
    """
    import hashlib

    from tradeshield.invoice.render import open_pdf

    warm = _warm_font()  # fc-match and the font check: overlapped with the read and pdfium's start
    try:
        data = path.read_bytes() if path.stat().st_size <= IN_MEMORY_MAX else None
        pdf = open_pdf(path, password, data=data)  # a locked or broken file is refused before it enters the case
    finally:
        warm.join()  # before any fork: a child must not inherit a running thread
    if data is not None:
        return pdf, data, hashlib.sha256(data).hexdigest(), None
    pdf.close()
    item = case.ensure_evidence(path, progress=progress)
    src = case.evidence_path(item)
    return open_pdf(src, password), src, item.sha256, item


def _copy_in(case, path: Path):
    """``case.ensure_evidence(path)`` on a thread (a future): copying, hashing and fsync mostly wait on the
    disk or run outside the GIL, so the text layer is read meanwhile. Started after the fork. No progress
    reports: the file is small enough to be held in memory, and the page bar is drawn from the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="evidence-copy")
    try:
        return pool.submit(case.ensure_evidence, path)
    finally:
        pool.shutdown(wait=False)  # the copy runs on; the future says when it is done


def _pdf(case, path: Path, dpi: int, password, progress, ocr_pages: int = 3) -> dict:
    from tradeshield.invoice.render import PageRenderer

    pdf, source, sha, item = _open(case, path, password, progress)
    try:
        dests = [case.derived_path(f"invoice/{sha[:12]}/p{i + 1:03d}.jpg") for i in range(len(pdf))]
        with PageRenderer(pdf, source, dests, dpi=dpi, sha256=sha, name=path.name, password=password,
                          progress=progress) as renderer:
            renderer.start()  # workers render while this process copies the evidence and reads the text layer
            copying = _copy_in(case, path) if item is None else None
            reader = _FieldReader(pdf)
            qr = _PageOneQR(reader)
            pages = renderer.finish(on_first=qr.first, after_page=qr.between)
            parsed = reader.result()
            parsed.pop("final", None)
            ocr = _ocr_hook(case, pdf, reader, parsed, pages, qr.image, sha, path.name, ocr_pages, progress)
            found = qr.settle(parsed)
            _qr_merge(parsed, found)
            if copying is not None:  # the copy's fsync can take a while on a busy disk: rendering went on
                item = copying.result()
                if item.sha256 != sha:  # changed between the read and the copy: the pages are not of the copy
                    raise InputError("add.source_changed", path=str(path))
    finally:
        pdf.close()
    for p in pages:
        p.pop("image", None)
        p["path"] = case.rel(p["path"])
    case.record_derived(dests, action="invoice-pages", sources=[sha], params={"dpi": dpi, "pages": len(pages)},
                        hashes=[(p["sha256"], p["bytes"]) for p in pages])
    finish_sources(parsed["fields"])
    notes = [note("invoice.note.capped", page=p["page"], dpi=p["dpi"]) for p in pages if p["capped"]]
    if ocr:
        notes += _ocr_notes(parsed)
    elif parsed["type"] == "scanned":
        notes.append(note("invoice.note.qr_only" if parsed["fields"] else "invoice.note.no_text"))
    elif parsed["type"] == "document":
        notes.append(note("invoice.note.no_fields"))
    return {"sha256": item.sha256, "path": item.path, **parsed, "pages": pages,
            "notes": notes + _check_notes(parsed["checks"])}


def _ocr_hook(case, pdf, reader, parsed, pages, first_image, sha, name, limit, progress) -> bool:
    """Scanned pages (no text layer) → OCR of the page images just rendered (issue 18; tradeshield.ocr.receipt).
    Only when the text layer gave no fields; the text of pages 3.. is read here (pdfium: this thread)."""
    if limit <= 0 or parsed["type"] not in ("scanned", "document"):
        return False
    from tradeshield.ocr.receipt import scanned_pdf_fields

    text_pages = reader.pages + _page_items(pdf, len(reader.pages), limit)
    return scanned_pdf_fields(case, parsed, text_pages, pages, first_image, pdf_sha=sha, name=name, limit=limit,
                              progress=progress)


def _ocr_notes(parsed: dict) -> list[dict]:
    info = parsed["ocr"]
    pages = ", ".join(str(p) for p in info["pages"])
    out = [{"code": "scan_failed", "zh": i18n.t("receipt.scan_failed", "zh", page=f["page"], reason=f["reason_zh"]),
            "en": i18n.t("receipt.scan_failed", "en", page=f["page"], reason=f["reason"])} for f in info["failed"]]
    if info["pages"]:
        out.append(note("receipt.scan_read" if parsed["fields"] else "receipt.scan_none", pages=pages))
    if info["not_read"]:
        out.append(note("receipt.scan_more", n=info["not_read"][0] - 1, rest=len(info["not_read"])))
    low = [k for k, f in parsed["fields"].items() if f.get("read_by") == "ocr" and f.get("confidence", 1) < 0.85]
    if low:
        out.append(note("receipt.low", fields=", ".join(low)))
    return out


FIELD_PAGES = 6  # fields are read from the first pages: an invoice's header and totals are there


def _page_items(pdf, first: int, last: int) -> list:
    from tradeshield.invoice.layout import pdf_page_items

    out = []
    for i in range(first, min(len(pdf), last)):
        page = pdf[i]
        try:
            out.append(pdf_page_items(page))
        except Exception:  # a page whose text layer pdfium cannot read still renders
            out.append([])
        finally:
            page.close()
    return out


class _FieldReader:
    """Fields by position from the first pages' characters, and the information dictionary as a second source.

    pdfium is not thread-safe, so the characters and the information dictionary are read in the calling thread;
    the parsing — pure Python — runs on a thread while the caller renders pages (pdfium and the JPEG encoder
    release the GIL). An invoice's further pages (its item list) are read by ``result()`` in the calling thread."""

    def __init__(self, pdf, threaded: bool = True):
        from tradeshield.invoice.sources import PROBE_KEYS, read_pdf_info

        self.pdf = pdf
        self.pages = _page_items(pdf, 0, 2)  # the first two pages say what the document is
        self.info = read_pdf_info(pdf)
        self.probe = any(f"/{k}" in self.info for k in PROBE_KEYS)
        self.parsed = None
        self.thread = None
        if threaded:
            import threading

            self.thread = threading.Thread(target=self._parse, name="invoice-fields", daemon=True)
            self.thread.start()
        else:
            self._parse()

    def _parse(self) -> None:
        from tradeshield.invoice.layout import extract_pages

        parsed = extract_pages(self.pages)
        parsed["info"] = self.info if self.probe else {}  # a dictionary with only Creator/Producer says nothing
        self.parsed = parsed

    def ready(self) -> dict | None:
        """The fields of the first pages if the thread is done with them, else None (never waits)."""
        if self.thread is not None and self.thread.is_alive():
            return None
        return self.first()

    def first(self) -> dict:
        """The fields of the first pages (waits for the thread)."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.parsed is None:  # the thread failed: read again here, so the error is raised where it can be seen
            self._parse()
        return self.parsed

    def result(self) -> dict:
        from tradeshield.invoice.fields import invoice_kind, is_invoice
        from tradeshield.invoice.layout import extract_pages
        from tradeshield.invoice.sources import info_values, merge

        parsed = self.first()
        if not parsed.get("final"):
            if is_invoice(parsed["type"]) and len(self.pdf) > 2:
                more = extract_pages(self.pages + _page_items(self.pdf, 2, FIELD_PAGES))
                parsed.update(fields=more["fields"], checks=more["checks"])
            info = parsed.get("info") or {}
            if not info:
                parsed.pop("info", None)
            values = info_values(info)
            parsed["checks"] += merge(parsed["fields"], "pdf-info", values)
            if values and not is_invoice(parsed["type"]):  # the dictionary says what the text could not
                parsed["type"] = invoice_kind(parsed["fields"])
            parsed["format"] = "pdf"
            parsed["final"] = True
        return parsed


def _pdf_fields(pdf) -> dict:
    reader = _FieldReader(pdf, threaded=False)
    out = reader.result()
    out.pop("final", None)
    return out


class _PageOneQR:
    """Page 1's QR code, decoded as early as the parent process can, never waiting for the parse thread:
    zxing-cpp's first pass on page 1's pixels at once (skipped when the parse has already said the document is
    no invoice), the retries as soon as the parse says it is an invoice or a scan and the first pass found
    nothing — between the parent's pages, while the workers still render, not after the last page — and
    ``settle`` at the end does what is left."""

    def __init__(self, reader: "_FieldReader"):
        self.reader = reader
        self.image = self.found = None
        self.settled = False

    def wanted(self, parsed: dict) -> bool:
        from tradeshield.invoice.fields import is_invoice

        return is_invoice(parsed["type"]) or parsed["type"] == "scanned" or self.reader.probe

    def first(self, image) -> None:
        self.image = image
        parsed = self.reader.ready()
        if parsed is not None and not self.wanted(parsed):
            self.settled = True  # no invoice and no scan: no QR code is looked for
            return
        self.found = _qr_quick(image)
        self.between()

    def between(self) -> None:
        if not self.settled and self.image is not None:
            parsed = self.reader.ready()
            if parsed is not None:
                self.settle(parsed)

    def settle(self, parsed: dict):
        """What was found, once the parse is known (the retries run here if they have not yet)."""
        if not self.settled and self.image is not None:
            if not self.wanted(parsed):
                self.found = None
            elif self.found is None:
                self.found = _qr_find(parsed, self.image, self.reader.probe)
            self.settled = True
        return self.found


def _qr_quick(image):
    from tradeshield.invoice.qr import find_qr

    return find_qr(image, retries=0, whole_page=False)


def _qr_find(parsed: dict, image, hint: bool = False):
    """The invoice QR code on page 1's pixels, looked for when the document is (or may be) an invoice."""
    from tradeshield.invoice.fields import is_invoice

    if is_invoice(parsed["type"]) or parsed["type"] == "scanned" or hint:
        from tradeshield.invoice.qr import find_qr

        # a scan may be any document: only the binarizer retries (cheap) before giving up on its corner
        return find_qr(image, retries=2 if parsed["type"] == "scanned" and not hint else 5)
    return None


def _qr_merge(parsed: dict, found) -> None:
    """Compare (or, for a scan, supply) code, number, date, check code and amount with the QR code's."""
    if not found:
        return
    from tradeshield.invoice.fields import invoice_kind
    from tradeshield.invoice.qr import qr_values
    from tradeshield.invoice.sources import merge

    checks = merge(parsed["fields"], "qr", qr_values(found))
    for c in checks:
        c["retry"] = found["retry"]
    parsed["checks"] += checks
    parsed["qr"] = {"text": found["text"], "retry": found["retry"]}
    if parsed["type"] in ("e-invoice", "scanned"):
        kind = invoice_kind(parsed["fields"], found["payload"].get("qr_type"))
        parsed["type"] = kind if parsed["type"] == "e-invoice" else parsed["type"]
        parsed["kind"] = kind


def _qr_check(parsed: dict, image) -> None:
    _qr_merge(parsed, _qr_find(parsed, image))


def finish_sources(fields: dict) -> None:
    """Every field says which sources state it and which agree (a field only the text states: ["text"])."""
    for f in fields.values():
        if "sources" not in f:
            f["sources"] = {"text": f["value"]} if not isinstance(f["value"], list) else {"text": len(f["value"])}
            f["agree"] = ["text"]


def _check_notes(checks: list[dict]) -> list[dict]:
    out = []
    for c in checks:
        if c.get("ok"):
            continue
        if c["check"] == "total-words":
            out.append(note("invoice.note.words_mismatch", found=c.get("found"), expected=c.get("expected")))
        elif c["check"] == "net-plus-tax":
            out.append(note("invoice.note.sum_mismatch", found=c.get("found"), expected=c.get("expected")))
        elif c["check"] == "items-sum":
            out.append(note("invoice.note.items_mismatch", found=c.get("found"), expected=c.get("expected")))
        elif c["check"].startswith("qr-"):
            out.append(note("invoice.note.qr_mismatch", what=c["check"][3:], found=c.get("found"),
                            expected=c.get("expected")))
        elif c["check"].startswith(("pdf-info-", "ofd-custom-")):
            src = "pdf-info" if c["check"].startswith("pdf-info-") else "ofd-custom"
            out.append(note("invoice.note.source_mismatch", source=src, what=c["check"][len(src) + 1:],
                            found=c.get("found"), expected=c.get("expected")))
    return out


def _store(case, doc: dict) -> None:
    facts = case.read_facts("invoice", None) or {}
    docs = [d for d in facts.get("documents", []) if d.get("sha256") != doc["sha256"]]
    entry = {**doc, "pages": [p["path"] for p in doc["pages"]], "page_info": doc["pages"]}
    docs.append(entry)
    case.write_facts("invoice", {"documents": docs}, sources=[d["sha256"] for d in docs])
