"""``tradeshield invoice``: invoice / receipt PDF, OFD or XML → JPEG pages (or a fact card) and purchase facts.

    $ tradeshield invoice ~/Downloads/dzfp_044002000111_12345678.pdf
    $ tradeshield invoice receipt.pdf --dpi 250 --password 1234 --json
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, QuietOpt, Table, start

FIELD_ORDER = ["title", "invoice_code", "invoice_number", "date", "check_code", "machine_number", "order_number",
               "receipt_number", "buyer_name", "buyer_tax_id", "seller_name", "seller_tax_id", "payee", "payer",
               "amount_without_tax", "tax", "total", "total_in_words", "drawer"]


@app.command()
def invoice(
    file: Annotated[Path, typer.Argument(help="Invoice or receipt: PDF, OFD or XML. / 发票或收据文件。")],
    dpi: Annotated[int, typer.Option(help="Render resolution (36–600). / 渲染分辨率。")] = 200,
    password: Annotated[Optional[str], typer.Option(help="Password of an encrypted PDF. / PDF 打开密码。")] = None,
    ocr_pages: Annotated[int, typer.Option(min=0, help="Scanned PDF (no text layer): read this many first pages by "
                                           "OCR, 0 = none. / 扫描件：前几页做文字识别。")] = 3,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Turn an invoice or receipt into upload-ready JPEG pages and read its purchase facts.  / 发票转图片并读取字段。

    Example: tradeshield invoice ~/Downloads/dzfp_044002000111_12345678.pdf --password 1234

    PDF pages are rendered (margins trimmed, a caption with page n/N and the PDF's SHA-256), within the
    platform's image limits; OFD and XML 数电票 give a labelled fact card. Fields (invoice number, date,
    buyer, seller, items, total …) are read by their position on the page and stored in the case, each with
    the text and page box it was read from and the sources that agree (page text, the PDF's information
    dictionary, the QR code, the OFD's CustomData); checks (大写 = 小写, amount + tax = total, items = amount,
    QR = text) are listed, failed ones first among the warnings. A photographed receipt (JPEG/PNG/HEIC) or a
    scanned PDF whose pages have no text layer is read by OCR (the first --ocr-pages pages); each field then
    carries the OCR confidence.
    PDF 逐页转为 JPEG（裁白边、页脚注明页码与哈希）；OFD/XML 生成字段卡片；字段按版面位置读取，连同原文、
    位置和一致的来源（票面文字、PDF 文档信息、二维码、OFD 自定义数据）存入案件；校验失败会明确列出。
    收据照片或无文字层的扫描 PDF 经文字识别读取（前 --ocr-pages 页），字段附识别置信度。
    """
    from tradeshield.evidence.case import Case
    from tradeshield.invoice import process

    out = start(lang, json_out, quiet)
    c = Case.find(case)
    with out.progress(min_total=1 << 62) as cb:
        doc = process(c, file, dpi=dpi, password=password, progress=cb, ocr_pages=ocr_pages)
    for n in doc["notes"]:
        out.warn(n["zh"] if i18n.get_lang() == "zh" else n["en"])
    out.emit(doc, lambda con: _render(con, doc, c.root))


def _render(con, doc: dict, root: Path) -> None:
    con.print(i18n.t("cli.invoice.summary", type=doc["type"], n=len(doc["pages"]), sha=doc["sha256"][:16]))
    for p in doc["pages"]:
        con.print(f"  {root / p['path']}  {p['width']}x{p['height']}  {p['bytes'] // 1024} KiB", markup=False)
    fields = doc["fields"]
    if fields:
        t = Table(show_edge=False)
        t.add_column(i18n.t("cli.invoice.field"))
        t.add_column(i18n.t("cli.invoice.value"))
        t.add_column(i18n.t("cli.invoice.sources"))
        for key in FIELD_ORDER:
            if key in fields:
                f = fields[key]
                said = ", ".join(f.get("agree") or [])
                if f.get("disagree"):
                    said += " ≠ " + ", ".join(f["disagree"])
                t.add_row(key, str(f["value"]), said)
        for it in (fields.get("items") or {}).get("value") or []:
            t.add_row("item", " ".join(str(v) for v in (it.get("name"), it.get("spec"), it.get("amount")) if v), "")
        con.print(t)
    for c in doc.get("checks", []):  # a failed check is shown, never hidden
        mark = "✓" if c["ok"] else "✗"
        con.print(f"  {mark} {c['check']}: {c.get('found')} / {c.get('expected')}", markup=False)


i18n.register({
    "cli.invoice.summary": ("类型 {type}，{n} 张图片，SHA-256 {sha}", "type {type}, {n} image(s), SHA-256 {sha}"),
    "cli.invoice.field": ("字段", "field"), "cli.invoice.value": ("值", "value"),
    "cli.invoice.sources": ("一致的来源", "sources that agree"),
})
