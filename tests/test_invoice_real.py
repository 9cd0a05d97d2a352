"""Real invoices (tests/data/invoices, licensed for redistribution) and faithful replicas of real layouts whose files
could not be committed: every field by position, the PDF information dictionary and the QR code as further sources,
the checks, and the type per kind. Expected values: bench/invoice_truth.json (written by hand from the page text)."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import invoice_docs as docs
from tradeshield.invoice import process, read_fields
from tradeshield.invoice.layout import extract_fields

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "invoices"
TRUTH = json.loads((ROOT / "bench" / "invoice_truth.json").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in REAL.iterdir() if p.suffix in (".pdf", ".ofd", ".xml"))


def score(doc: dict, truth: dict) -> list[str]:
    """Names of the fields that are wrong or missing."""
    wrong = []
    for key, want in truth.items():
        if key == "type":
            got = doc["type"]
        elif key == "items":
            got = [i["amount"] for i in (doc["fields"].get("items") or {}).get("value") or []]
        else:
            got = (doc["fields"].get(key) or {}).get("value")
            got = got[:10] if key == "date" and got else got
        if got != want:
            wrong.append(f"{key}: {got!r} != {want!r}")
    return wrong


@pytest.mark.parametrize("name", FILES)
def test_real_invoice_every_field(name):
    doc = read_fields(REAL / name)
    assert score(doc, TRUTH[name]) == []
    failed = [c for c in doc["checks"] if not c["ok"]]
    assert failed == []
    for key, f in doc["fields"].items():  # every field says where it came from and which sources agree
        assert f["agree"] and "source_text" in f
        if f["agree"][0] == "text" and key != "items":
            assert f["page"] >= 1 and len(f["box"]) == 4


def test_real_ofd_template_and_page_layers_are_merged():
    """The 数电 OFD keeps its labels in Doc_0/Tpls/Tpl_0 and the values on the page: neither layer alone holds a
    label with its value; read together by position every field is there, and CustomData agrees."""
    path = REAL / "easyofd_digital_special_tpl.ofd"
    with zipfile.ZipFile(path) as z:
        tpl = z.read("Doc_0/Tpls/Tpl_0/Content.xml").decode()
        page = z.read("Doc_0/Pages/Page_0/Content.xml").decode()
    assert "价税合计" in tpl and "价税合计" not in page and "25442000000127444519" in page
    doc = read_fields(path)
    f = doc["fields"]
    assert f["total"]["value"] == "21800.00" and f["total_in_words"]["value"] == "贰万壹仟捌佰圆整"
    assert f["invoice_number"]["agree"] == ["text", "ofd-custom"]
    assert {c["check"] for c in doc["checks"]} >= {"total-words", "net-plus-tax", "ofd-custom-invoice_number"}


def test_real_shudian_pdf_info_dictionary_and_qr_agree(case):
    doc = process(case, REAL / "fapiaogo_digital_normal.pdf")
    f = doc["fields"]
    assert doc["type"] == "digital-normal"
    assert f["invoice_number"]["agree"] == ["text", "pdf-info", "qr"]
    assert f["total"]["agree"] == ["text", "pdf-info", "qr"] and f["total"]["value"] == "50.00"
    assert f["buyer_tax_id"]["sources"] == {"text": "91440106068698695J", "pdf-info": "91440106068698695J"}
    assert doc["info"]["/IssueTime"] == "2025年09月23日"
    assert doc["notes"] == [] and all(c["ok"] for c in doc["checks"])


def test_multi_page_ofd_items_from_every_page():
    doc = read_fields(REAL / "ofdrw_vat_normal_5pages.ofd")
    items = doc["fields"]["items"]["value"]
    assert len(items) == 100 and {i["page"] for i in items} == {2, 3, 4, 5}
    check = next(c for c in doc["checks"] if c["check"] == "items-sum")
    assert check["ok"] and check["found"] == "10000.00"


# ---------------------------------------------------------------- replicas of real files that could not be committed

def test_replica_shudian_pdf_labels_first(case, tmp_path):
    """The gp-template 数电 PDF (zqywuxie/invoice_management's 顺丰 invoice; see invoice_docs.shudian_labels_first):
    read as an invoice, not as a receipt; no item amount taken from the tax column, no 大写 or ¥ line as an item."""
    path = tmp_path / "dzfp.pdf"
    docs.shudian_labels_first(path, number="25437000000212345678", net="16.04", tax="0.96", total="17.00",
                              words="壹拾柒圆整", date=("2025", "10", "13"))
    from pypdf import PdfReader

    text = PdfReader(str(path)).pages[0].extract_text()
    assert text.index("名称：") < text.index("25437000000212345678")  # the text order really is labels first
    doc = process(case, path)
    f = doc["fields"]
    assert doc["type"] == "digital-normal"
    assert (f["invoice_number"]["value"], f["date"]["value"], f["buyer_name"]["value"], f["seller_name"]["value"]) == \
        ("25437000000212345678", "2025-10-13", "广州某某科技有限公司", "广州某某餐饮管理有限公司")
    assert (f["amount_without_tax"]["value"], f["tax"]["value"], f["total"]["value"]) == ("16.04", "0.96", "17.00")
    assert [(i["name"], i["amount"], i["tax"]) for i in f["items"]["value"]] == [("*餐饮服务*餐饮服务", "16.04", "0.96")]
    assert {c["check"]: c["ok"] for c in doc["checks"]} == {
        "total-words": True, "net-plus-tax": True, "items-sum": True, "pdf-info-invoice_number": True,
        "pdf-info-date": True, "pdf-info-amount_without_tax": True, "pdf-info-tax": True, "pdf-info-total": True,
        "pdf-info-buyer_tax_id": True, "pdf-info-seller_tax_id": True, "qr-invoice_number": True, "qr-date": True,
        "qr-total": True}


@pytest.mark.parametrize("stray", [True, False])
def test_replica_letter_spaced_converted_pdf(tmp_path, stray):
    """easyofd's OFD→PDF conversion (its ``test/test.pdf``, see invoice_docs.letter_spaced_converted): every character
    drawn on its own, so every value is letter-spaced; the tax IDs sit on a baseline above their labels', and the
    seller's label row ends with a stray ``1`` at the page edge. Before: no seller tax ID (the stray 1 was taken as
    its value) and no item (``*现 代 服 务*`` read as separate words)."""
    path = tmp_path / "converted.pdf"
    docs.letter_spaced_converted(path, stray=stray)
    doc = read_fields(path)
    f = doc["fields"]
    assert doc["type"] == "digital-special"
    assert {k: f[k]["value"] for k in ("invoice_number", "date", "buyer_name", "buyer_tax_id", "seller_name",
                                      "seller_tax_id", "amount_without_tax", "tax", "total", "total_in_words")} == {
        "invoice_number": "23512000000001234567", "date": "2023-01-30", "buyer_name": "某某通信集团某省有限公司某市分公司",
        "buyer_tax_id": "91510000765012345P", "seller_name": "某某区某某通讯设备经营部",
        "seller_tax_id": "92510124MA6B1XXY1G", "amount_without_tax": "2129.34", "tax": "21.29", "total": "2150.63",
        "total_in_words": "贰仟壹佰伍拾圆陆角叁分"}
    assert [(i["name"], i["unit"], i["quantity"], i["price"], i["amount"], i["tax_rate"], i["tax"])
            for i in f["items"]["value"]] == [
        ("*现代服务*移动代理服务", "项", "1", "2129.33663366337", "2129.34", "1%", "21.29")]
    # the seller's ID is the one printed right of the seller's label, not the buyer's, and its box is that value's
    assert f["seller_tax_id"]["box"][0] == pytest.approx(1216.5, abs=0.5)
    assert f["buyer_tax_id"]["box"][0] == pytest.approx(425.2, abs=0.5)
    assert all(c["ok"] for c in doc["checks"]) and "items-sum" in [c["check"] for c in doc["checks"]]
    assert f["invoice_number"]["agree"] == ["text", "qr"] and f["total"]["agree"] == ["text", "qr"]


def _row_text(items) -> str:
    from tradeshield.invoice.layout import rows_of

    rows = rows_of(items)
    assert len(rows) == 1
    return rows[0].text


def _chars(text, x, pitch, h=10.0, width=None, top=100.0):
    """One item per character, ``pitch`` apart (letter-spaced when the pitch is well over the width)."""
    width = width or h * 0.9
    return [(ch, (x + i * pitch, top, x + i * pitch + width, top + h), 1.0) for i, ch in enumerate(text)]


def test_letter_spaced_runs_are_one_value_and_other_gaps_stay_breaks():
    # a tax ID with tracking (gap ~1.4 line heights) beside tight text: one value
    assert _row_text(_chars("税号：", 0, 9.5) + _chars("92510124MA6B1BBY1G", 40, 20, width=6)) == "税号：92510124MA6B1BBY1G"
    # a letter-spaced item name, then a quantity and a price each on its own: the lone wide gaps remain breaks
    row = _row_text(_chars("*现代服务*", 0, 25) + _chars("1", 300, 10, width=4.4) + _chars("12.50", 331, 11, width=4))
    assert row.split() == ["*现代服务*", "1", "12.50"]
    # two letter-spaced columns far apart stay two columns
    assert _row_text(_chars("名称：张三", 0, 25) + _chars("名称：李四", 400, 25)) == "名称：张三  名称：李四"
    # ordinary words with one-letter words between them (word spaces just over half a line) are not glued
    words = _chars("in", 0, 5, width=4.5) + _chars("a", 15.5, 5, width=4.5) + _chars("row", 26, 5, width=4.5)
    assert _row_text(words) == "in a row"
    # an OCR engine's words (one box per word) evenly spaced are never tracking: they stay words
    x, ocr = 0.0, []
    for word in ["数量", "1", "单价", "12.50", "金额", "12.50"]:
        ocr.append((word, (x, 100, x + 9 * len(word), 110), 0.9))
        x += 9 * len(word) + 12
    assert _row_text(ocr).split() == ["数量", "1", "单价", "12.50", "金额", "12.50"]
    # a short letter-spaced label set close before its letter-spaced value (the seller's 名称： in the converted
    # PDF) keeps no gap inside
    assert _row_text(_chars("名称：", 0, 25) + _chars("某某设备经营部", 63, 25)) == "名称：某某设备经营部"


def test_replica_info_dictionary_disagreement_is_shown(case, tmp_path):
    path = tmp_path / "dzfp.pdf"
    docs.shudian_labels_first(path, info_total="60.00")
    doc = process(case, path)
    check = next(c for c in doc["checks"] if c["check"] == "pdf-info-total")
    assert not check["ok"] and (check["expected"], check["found"]) == ("50.00", "60.00")
    assert doc["fields"]["total"]["disagree"] == ["pdf-info"] and doc["fields"]["total"]["agree"] == ["text", "qr"]
    assert [n["code"] for n in doc["notes"]] == ["source_mismatch"]
    assert "60.00" in doc["notes"][0]["zh"] and "60.00" in doc["notes"][0]["en"]


def test_replica_qr_disagreement_is_shown(case, tmp_path):
    """The QR code states another number than the printed text: both are kept, the check fails and is shown."""
    path = tmp_path / "dzfp.pdf"
    docs.shudian_labels_first(path)
    import io

    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()  # cover the QR code with one for another invoice number
    c = canvas.Canvas(buf, pagesize=(595.28, 396.85))
    c.setFillColorRGB(1, 1, 1)
    c.rect(15, 396.85 - 85, 70, 70, stroke=0, fill=1)
    docs._qr(c, "01,32,,25440000000099999999,50.00,20250923,,A1B2C3", 20, 396.85 - 80, 60)
    c.save()
    w = PdfWriter(clone_from=str(path))
    w.pages[0].merge_page(PdfReader(io.BytesIO(buf.getvalue())).pages[0])
    with open(path, "wb") as f:
        w.write(f)
    doc = process(case, path)
    check = next(c for c in doc["checks"] if c["check"] == "qr-invoice_number")
    assert not check["ok"] and check["found"] == "25440000000099999999" and check["retry"] == "default"
    assert doc["fields"]["invoice_number"]["value"] == "25440000000012345678"  # the printed text is kept
    assert doc["fields"]["invoice_number"]["disagree"] == ["qr"]
    assert "qr_mismatch" in [n["code"] for n in doc["notes"]]


def test_replica_old_format_labels_first(case, tmp_path):
    """Issue 17 item 1: a 2020-era 增值税电子普通发票 PDF whose text layer lists all labels, then all values."""
    path = tmp_path / "old.pdf"
    docs.old_labels_first(path)
    doc = process(case, path)
    f = doc["fields"]
    assert doc["type"] == "vat-normal"
    got = {k: f[k]["value"] for k in ("invoice_code", "invoice_number", "date", "check_code", "machine_number",
                                      "buyer_name", "buyer_tax_id", "seller_name", "seller_tax_id",
                                      "amount_without_tax", "tax", "total", "total_in_words")}
    assert got == {"invoice_code": "044001900111", "invoice_number": "87654321", "date": "2020-07-23",
                   "check_code": "16197833567414507415", "machine_number": "499099660412",
                   "buyer_name": "深圳某某材料有限公司", "buyer_tax_id": "91440300MA5XXXXX7D",
                   "seller_name": "深圳市某某餐厅", "seller_tax_id": "92440300MA5YYYYY50",
                   "amount_without_tax": "510.68", "tax": "15.32", "total": "526.00", "total_in_words": "伍佰贰拾陆圆整"}
    assert f["invoice_code"]["agree"] == ["text", "qr"] and f["amount_without_tax"]["agree"] == ["text", "qr"]
    assert len(f["items"]["value"]) == 1  # the 密码区 ciphertext beside the buyer block is not an item
    assert all(c["ok"] for c in doc["checks"])


def test_replica_freight_receipt():
    """Issue 17 item 4: a freight app's 收款凭证 — serial number, CNY661.00, date, payee; no VAT fields."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.pdf"
        docs.freight_receipt(path)
        doc = read_fields(path)
    f = doc["fields"]
    assert doc["type"] == "receipt"
    assert {k: v["value"] for k, v in f.items()} == {
        "title": "收款凭证", "receipt_number": "P2024060314221000387", "date": "2024-06-03T14:22:10",
        "payee": "某某物流科技有限公司", "total": "661.00"}
    assert f["total"]["currency"] == "CNY"
    assert f["receipt_number"]["source_text"] == "交易流水号 P2024060314221000387"  # the cell under its label


@pytest.mark.parametrize("text,amount,currency", [
    ("CNY661.00", "661.00", "CNY"), ("¥1,100.00", "1100.00", "CNY"), ("RMB 50", "50.00", "CNY"),
    ("人民币12.50元", "12.50", "CNY"), ("661.00元", "661.00", "CNY"), ("$9.80", "9.80", "USD"),
    ("12.00 USD", "12.00", "USD"), ("HK$30.5", "30.50", "HKD")])
def test_amount_in_any_notation(text, amount, currency):
    from tradeshield.invoice.fields import amount_in

    assert amount_in(text) == (amount, currency)


# ---------------------------------------------------------------- OCR boxes (issue 18 feeds photographed receipts)

def test_extract_fields_from_ocr_boxes():
    """Lines as an OCR engine returns them: quadrilaterals in pixels, a confidence each, values under or beside their
    labels, in no particular order."""
    items = [
        ([[300, 60], [520, 60], [520, 100], [300, 100]], "收款凭证", 0.99),
        ([[40, 330], [230, 330], [230, 360], [40, 360]], "交易流水号", 0.97),
        ([[40, 365], [420, 365], [420, 395], [40, 395]], "P2024060314221000387", 0.91),
        ([[250, 150], [560, 150], [560, 200], [250, 200]], "CNY661.00", 0.95),
        ([[40, 430], [180, 430], [180, 460], [40, 460]], "交易时间", 0.98),
        ([[400, 430], [760, 430], [760, 460], [400, 460]], "2024-06-03 14:22:10", 0.88),
        ([[40, 480], [150, 480], [150, 510], [40, 510]], "收款方", 0.99),
        ([[400, 480], [700, 480], [700, 510], [400, 510]], "某某物流科技有限公司", 0.93),
    ]
    doc = extract_fields([(t, box, conf) for box, t, conf in reversed(items)])
    f = doc["fields"]
    assert doc["type"] == "receipt"
    assert f["receipt_number"]["value"] == "P2024060314221000387" and f["receipt_number"]["confidence"] == 0.91
    # the box of the value itself: "661.00" in the line "CNY661.00" (the line's box shared out over its characters)
    assert f["total"]["value"] == "661.00" and f["total"]["box"] == [353.33, 150.0, 560.0, 200.0]
    assert f["date"]["value"] == "2024-06-03T14:22:10" and f["payee"]["value"] == "某某物流科技有限公司"
