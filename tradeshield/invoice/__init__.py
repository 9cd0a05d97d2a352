"""Invoice and receipt documents → upload-ready JPEG pages and purchase facts stored in the case.

    >>> from tradeshield.case import Case
    >>> from tradeshield.invoice import process
    >>> doc = process(Case.find(), "dzfp_044002000111_12345678.pdf", dpi=200)     # doctest: +SKIP
    >>> doc["type"], doc["fields"]["total"]["value"], len(doc["pages"])            # doctest: +SKIP
    ('e-invoice', '3000.00', 1)

PDF: validated (password, damage) before anything enters the case, then copied in as evidence, rendered
from the evidence copy to ``derived/invoice/<sha12>/pNNN.jpg`` (render.py) and its text layer parsed
(fields.py). OFD and XML 数电票 are read (ofd.py) and get a fact card image (card.py) instead of a
rendering. Facts go to ``facts/invoice.json`` (one entry per document, replaced when re-run); pages and
facts are logged with their source in the custody log.
"""
from __future__ import annotations

from pathlib import Path

from tradeshield import i18n
from tradeshield.errors import InputError, UsageError
from tradeshield.fsutil import check_input

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
    "invoice.note.qr_mismatch": ("二维码中的{what}（{found}）与票面文字（{expected}）不一致",
                                 "the QR code's {what} ({found}) differs from the printed text ({expected})"),
})


def detect(path: Path) -> str:
    """pdf / ofd / xml / other: fsutil's content sniffing, with the extension breaking the tie for a zip
    whose first entry is not OFD.xml and for an XML file that names EInvoice only after its first 4 KiB."""
    from tradeshield.fsutil import sniff_kind

    kind = sniff_kind(path)
    if kind in ("pdf", "ofd", "xml"):
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


def process(case, path, *, dpi: int = 200, password: str | None = None, progress=None) -> dict:
    """Add ``path`` to the case, make its images and facts; returns the document record (also in the facts)."""
    path = check_input(Path(path))
    if not 36 <= dpi <= 600:
        raise UsageError("invoice.bad_dpi", dpi=dpi)
    kind = detect(path)
    if kind == "pdf":
        from tradeshield.invoice.render import open_pdf

        open_pdf(path, password).close()  # refuse a locked or broken file before it enters the case
    elif kind in ("ofd", "xml"):
        _read_structured(kind, path)
    else:
        from tradeshield.fsutil import sniff_kind

        raise InputError("invoice.unsupported", path=str(path), kind=sniff_kind(path))  # says what it is instead
    warm = _warm_font()  # fc-match and the font check take tens of ms: overlap them with the copy
    item = case.ensure_evidence(path, progress=progress)
    src = case.evidence_path(item)
    warm.join()  # before any fork: a child must not inherit a running thread
    if kind == "pdf":
        doc = _pdf(case, src, item.sha256, path.name, dpi, password, progress)
    else:
        doc = _structured(case, src, kind, item.sha256, path.name)
    doc = {"sha256": item.sha256, "path": item.path, "original": str(path.resolve()), **doc}
    _store(case, doc)
    return doc


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
    notes = [] if parsed["fields"] else [note("invoice.note.no_fields")]
    return {**parsed, "pages": [page], "notes": notes + _check_notes(parsed["checks"])}


def _sha(path) -> str:
    from tradeshield.fsutil import hash_file

    return hash_file(path)[0]


def _pdf(case, src: Path, sha: str, name: str, dpi: int, password, progress) -> dict:
    from tradeshield.invoice.fields import parse_text
    from tradeshield.invoice.render import PageRenderer, open_pdf

    pdf = open_pdf(src, password)
    try:
        dests = [case.derived_path(f"invoice/{sha[:12]}/p{i + 1:03d}.jpg") for i in range(len(pdf))]
        with PageRenderer(pdf, src, dests, dpi=dpi, sha256=sha, name=name, password=password,
                          progress=progress) as renderer:
            renderer.start()  # workers render while this process reads the text layer
            texts = _page_texts(pdf)
            parsed = parse_text("\n".join(texts))
            _locate(parsed["fields"], texts)
            pages = renderer.finish(on_first=lambda image: _qr_check(parsed, image))
    finally:
        pdf.close()
    for p in pages:
        p.pop("image", None)
        p["path"] = case.rel(p["path"])
    case.record_derived(dests, action="invoice-pages", sources=[sha], params={"dpi": dpi, "pages": len(pages)})
    notes = [note("invoice.note.capped", page=p["page"], dpi=p["dpi"]) for p in pages if p["capped"]]
    if parsed["type"] == "scanned":
        notes.append(note("invoice.note.qr_only" if parsed["fields"] else "invoice.note.no_text"))
    elif parsed["type"] == "document":
        notes.append(note("invoice.note.no_fields"))
    return {**parsed, "pages": pages, "notes": notes + _check_notes(parsed["checks"])}


def _qr_check(parsed: dict, image) -> None:
    """Compare (or, for a scan, supply) code, number, date and check code with the QR code on page 1."""
    if parsed["type"] in ("e-invoice", "scanned"):
        from tradeshield.invoice.qr import cross_check

        parsed["checks"] += cross_check(image, parsed["fields"])


def _page_texts(pdf) -> list[str]:
    texts = []
    for page in pdf:
        tp = page.get_textpage()
        try:
            texts.append(tp.get_text_bounded() or "")
        except Exception:  # a page whose text layer pdfium cannot read still renders
            texts.append("")
        finally:
            tp.close()
            page.close()
    return texts


def _locate(fields: dict, texts: list[str]) -> None:
    """Add the page number (1-based) where each field's source line appears."""
    squashed = ["".join(t.split()) for t in texts]
    for f in fields.values():
        first = (f.get("source_text") or "").split("\n")[0]
        key = "".join(first.split())
        for i, t in enumerate(squashed):
            if key and key in t:
                f["page"] = i + 1
                break


def _check_notes(checks: list[dict]) -> list[dict]:
    out = []
    for c in checks:
        if c.get("ok"):
            continue
        if c["check"] == "total-words":
            out.append(note("invoice.note.words_mismatch", found=c.get("found"), expected=c.get("expected")))
        elif c["check"] == "net-plus-tax":
            out.append(note("invoice.note.sum_mismatch", found=c.get("found"), expected=c.get("expected")))
        elif c["check"].startswith("qr-"):
            out.append(note("invoice.note.qr_mismatch", what=c["check"][3:], found=c.get("found"),
                            expected=c.get("expected")))
    return out


def _store(case, doc: dict) -> None:
    facts = case.read_facts("invoice", None) or {}
    docs = [d for d in facts.get("documents", []) if d.get("sha256") != doc["sha256"]]
    entry = {**doc, "pages": [p["path"] for p in doc["pages"]], "page_info": doc["pages"]}
    docs.append(entry)
    case.write_facts("invoice", {"documents": docs}, sources=[d["sha256"] for d in docs])
