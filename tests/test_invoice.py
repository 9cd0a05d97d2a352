"""tradeshield invoice: PDF pages → JPEG, fields from e-invoices / receipts / OFD / XML, bad input."""
from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invoice_docs as docs
from tradeshield.errors import InputError
from tradeshield.invoice import process
from tradeshield.invoice.amount import amount_to_words, words_to_amount
from tradeshield.invoice.fields import TYPES, parse_text


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def values(doc) -> dict:
    return {k: v["value"] for k, v in doc["fields"].items() if k != "items"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    docs.old_invoice(d / "old.pdf")
    docs.old_invoice(d / "old_ascii.pdf", spaced=False, yen="\u00a5", colon=":", qr=False)
    docs.old_invoice(d / "old_bad_words.pdf", words="⊗叁仟伍佰元整", qr=False)
    docs.new_invoice(d / "new.pdf")
    docs.new_invoice(d / "new_spaced.pdf", spaced=True, yen="\uffe5", colon=":")
    docs.new_invoice(d / "new7.pdf", pages=7)
    docs.zh_receipt(d / "zh.pdf")
    docs.en_receipt(d / "en.pdf")
    docs.image_only(d / "scan.pdf")
    docs.encrypt(d / "new.pdf", d / "locked.pdf", "1234")
    docs.ofd_invoice(d / "inv.ofd")
    docs.xml_invoice(d / "inv.xml")
    return d


# ---------------------------------------------------------------- 大写 amounts

@pytest.mark.parametrize("words,value", [
    ("⊗壹仟贰佰元整", "1200.00"), ("叁仟元整", "3000.00"), ("伍佰玖拾玖圆整", "599.00"), ("壹拾元零伍分", "10.05"),
    ("壹万零伍佰元整", "10500.00"), ("壹亿贰仟万元整", "120000000.00"), ("伍角陆分", "0.56"), ("零元整", "0.00"),
    ("拾元整", "10.00"), ("壹佰元伍角", "100.50"), ("负壹佰元整", "-100.00"),
])
def test_words_to_amount(words, value):
    assert words_to_amount(words) == Decimal(value)


@pytest.mark.parametrize("bad", ["", "壹贰元", "伍佰", "壹仟贰佰元整整x", "元角分", "hello"])
def test_words_to_amount_refuses_malformed(bad):
    assert words_to_amount(bad) is None


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10 ** 12 - 1))
def test_words_roundtrip(cents):
    amount = Decimal(cents) / 100
    assert words_to_amount(amount_to_words(amount)) == amount.quantize(Decimal("0.01"))


def test_amount_to_words_known_forms():
    assert amount_to_words(Decimal("3000")) == "叁仟元整"
    assert amount_to_words(Decimal("10500.05")) == "壹万零伍佰元零伍分"
    assert amount_to_words(Decimal("100000005")) == "壹亿零伍元整"


# ---------------------------------------------------------------- text parsing (no PDF)

def test_seller_block_first_uses_headings():
    text = "电子发票（普通发票）\n发票号码：24112000000012345678\n销售方信息 名称：甲公司\n购买方信息 名称：乙先生\n"
    f = parse_text(text)["fields"]
    assert f["seller_name"]["value"] == "甲公司" and f["buyer_name"]["value"] == "乙先生"


def test_fields_keep_source_text_and_reject_wrong_digit_counts():
    text = "增值税电子普通发票\n发票号码：1234567\n发票代码：011002100111\n开票日期：2023年13月01日"
    f = parse_text(text)["fields"]
    assert "invoice_number" not in f  # 7 digits is no invoice number
    assert "date" not in f            # month 13 is no date
    assert f["invoice_code"] == {"value": "011002100111", "source_text": "发票代码：011002100111"}


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="发票号码代码：:名称价税合计大写小写¥￥0123456789 \n壹贰元整*", max_size=200))
def test_parse_text_never_crashes(text):
    out = parse_text(text)
    assert out["type"] in TYPES
    for v in out["fields"].values():
        assert "source_text" in v


# ---------------------------------------------------------------- PDF invoices end to end

def test_old_format_invoice(case, built):
    doc = process(case, built / "old.pdf")
    assert doc["type"] == "vat-normal" and doc["format"] == "pdf"
    assert values(doc) == {
        "title": "北京增值税电子普通发票", "invoice_code": "011002100111", "invoice_number": "12345678",
        "date": "2023-05-18", "check_code": "12345678901357924680", "machine_number": "661234567890",
        "buyer_name": "张三", "seller_name": "某某数码科技有限公司", "seller_tax_id": "91110000MA01ABCD2X",
        "amount_without_tax": "2654.87", "tax": "345.13", "total": "3000.00", "total_in_words": "⊗叁仟元整"}
    item = doc["fields"]["items"]["value"][0]
    assert (item["name"], item["spec"], item["unit"], item["amount"], item["tax_rate"]) == \
        ("*通信设备*手机", "X100 12GB+256GB", "台", "2654.87", "13%")
    assert "校 验 码" in doc["fields"]["check_code"]["source_text"]
    assert doc["fields"]["total"]["page"] == 1
    checks = {c["check"]: c["ok"] for c in doc["checks"]}
    assert checks["total-words"] and checks["net-plus-tax"]
    # the QR code agrees with the printed text
    assert checks["qr-invoice_number"] and checks["qr-invoice_code"] and checks["qr-check_code"]
    assert checks["qr-date"] and checks["qr-amount_without_tax"]
    assert doc["fields"]["invoice_number"]["agree"] == ["text", "qr"]
    assert doc["fields"]["buyer_name"]["agree"] == ["text"]
    assert doc["notes"] == []


def test_ascii_colons_and_u00a5(case, built):
    doc = process(case, built / "old_ascii.pdf")
    v = values(doc)
    assert (v["invoice_number"], v["total"], v["buyer_name"], v["seller_name"]) == \
        ("12345678", "3000.00", "张三", "某某数码科技有限公司")


def test_words_mismatch_is_reported(case, built):
    doc = process(case, built / "old_bad_words.pdf")
    check = next(c for c in doc["checks"] if c["check"] == "total-words")
    assert check == {"check": "total-words", "ok": False, "expected": "3000.00", "found": "3500.00",
                     "source_text": "⊗叁仟伍佰元整"}
    assert [n["code"] for n in doc["notes"]] == ["words_mismatch"]


@pytest.mark.parametrize("name", ["new.pdf", "new_spaced.pdf"])
def test_shudian_invoice(case, built, name):
    doc = process(case, built / name)
    assert values(doc) == {
        "title": "电子发票(普通发票)", "invoice_number": "24112000000012345678", "date": "2024-11-02",
        "buyer_name": "张三", "seller_name": "杭州某某电子商务有限公司", "seller_tax_id": "91330100MA2ABCDE1F",
        "amount_without_tax": "530.09", "tax": "68.91", "total": "599.00", "total_in_words": "⊗伍佰玖拾玖元整"}
    assert [i["amount"] for i in doc["fields"]["items"]["value"]] == ["442.48", "87.61"]
    assert all(c["ok"] for c in doc["checks"])


def test_pages_images_and_custody(case, built):
    src = built / "new.pdf"
    before = sha(src)
    doc = process(case, src)
    assert sha(src) == before  # the original is never touched
    from PIL import Image

    page = doc["pages"][0]
    path = case.root / page["path"]
    with Image.open(path) as im:
        assert im.format == "JPEG" and im.size == (page["width"], page["height"])
        # trimmed: narrower than the 200-DPI A4 page (1654 px) but the content is still there
        assert 800 < im.width < 1654 and im.height < 2339 + 200
        # caption strip at the bottom is white with dark text
        strip = im.convert("L").crop((0, im.height - 40, im.width, im.height))
        assert strip.getextrema()[0] < 100 and strip.getextrema()[1] > 240
    assert page["sha256"] == sha(path) and page["bytes"] == path.stat().st_size
    records = case.derived_records()
    assert records[page["path"]]["sources"] == [doc["sha256"]]
    assert records[page["path"]]["action"] == "invoice-pages"
    facts = case.read_facts("invoice")
    assert facts["documents"][0]["pages"] == [page["path"]]
    assert facts["documents"][0]["fields"]["invoice_number"]["value"] == "24112000000012345678"
    assert not case.custody.verify()


def test_rerun_replaces_the_facts_entry(case, built):
    process(case, built / "zh.pdf")
    process(case, built / "en.pdf")
    process(case, built / "zh.pdf", dpi=100)
    facts = case.read_facts("invoice")
    assert sorted(d["type"] for d in facts["documents"]) == ["receipt", "receipt"]
    assert len(facts["documents"]) == 2


def test_parallel_render_matches_sequential(case, built, tmp_path):
    from tradeshield.invoice.render import PageRenderer, open_pdf

    pdf = open_pdf(built / "new7.pdf")
    out = {}
    for workers in (0, 1):
        dests = [tmp_path / f"w{workers}" / f"p{i}.jpg" for i in range(7)]
        with PageRenderer(pdf, built / "new7.pdf", dests, dpi=72, sha256="ab" * 32, name="new7.pdf",
                          workers=workers) as r:
            out[workers] = [p["sha256"] for p in r.start().finish()]
    pdf.close()
    assert out[0] == out[1] and len(set(out[0])) == 7  # same bytes, pages in order (captions differ per page)


def test_zh_receipt(case, built):
    doc = process(case, built / "zh.pdf")
    assert doc["type"] == "receipt"
    assert values(doc) == {"title": "淘宝订单详情", "order_number": "3456789012345678", "date": "2023-05-18T10:11:12",
                           "seller_name": "海信官方旗舰店", "total": "1100.00"}
    assert doc["fields"]["total"]["source_text"] == "实付款：¥1,100.00"
    assert [(i["name"], i["amount"]) for i in doc["fields"]["items"]["value"]] == \
        [("海信A5Pro 阅读手机 4+64G", "1099.00"), ("手机壳 透明", "19.90")]


def test_en_receipt(case, built):
    doc = process(case, built / "en.pdf")
    f = doc["fields"]
    assert values(doc) == {"title": "Example Electronics - Order details", "order_number": "112-3456789-1234567",
                           "date": "2023-05-18", "seller_name": "Example Electronics Ltd", "total": "149.79"}
    assert f["total"]["currency"] == "USD" and f["total"]["source_text"] == "Grand total: $149.79"
    assert [(i["name"], i["quantity"]) for i in f["items"]["value"]] == [("Kindle Paperwhite 16 GB", None),
                                                                          ("USB-C cable", "2")]


def test_scanned_pdf_renders_but_reads_nothing(case, built):
    """With OCR off (``ocr_pages=0``; tests/test_ocr.py has the scanned PDF read by OCR) nothing is guessed."""
    doc = process(case, built / "scan.pdf", ocr_pages=0)
    assert doc["type"] == "scanned" and doc["fields"] == {}
    assert len(doc["pages"]) == 1 and (case.root / doc["pages"][0]["path"]).is_file()
    assert [n["code"] for n in doc["notes"]] == ["no_text"]


def _image_pdf(path, n: int) -> None:
    """An n-page PDF of images only (what a scanner app writes): page k shows "PAGE k" in its pixels."""
    from PIL import Image, ImageDraw

    pages = []
    for k in range(1, n + 1):
        img = Image.new("L", (600, 800), 250)
        ImageDraw.Draw(img).text((60, 60), f"PAGE {k}", fill=0)
        pages.append(img)
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=100)


def test_scanned_pdf_ocr_pages_limit_caption_and_cache_key(case, tmp_path, monkeypatch):
    """OCR replaced by a recorder (the real engine runs in tests/test_ocr.py): only the first --ocr-pages pages
    are read, from the rendered page images without their caption strip, keyed by each page image's SHA-256; the
    lines become fields on their page with their confidence; the pages left are named in a note."""
    import tradeshield.ocr as ocr
    from tradeshield.ocr import Line

    seen = []

    def fake(img, sha, cache=None, progress=None, label="", variant=""):
        seen.append((img.size, sha, variant))
        k = len(seen)
        return [Line(f"合计：¥{k}00.00", (60, 60, 300, 90), 0.91), Line(f"日期：2021-05-1{k}", (60, 120, 300, 150), 0.97)]

    monkeypatch.setattr(ocr, "read_lines", fake)
    _image_pdf(tmp_path / "scan3.pdf", 3)
    calls = []
    doc = process(case, tmp_path / "scan3.pdf", ocr_pages=2, progress=lambda *a: calls.append(a))
    assert [s for _, s, _ in seen] == [p["sha256"] for p in doc["pages"][:2]]  # pages 1-2, by page image hash
    for (w, h), _, variant in seen:
        page = next(p for p in doc["pages"] if p["width"] == w)
        assert variant == "pdf-page" and h < page["height"]  # the caption strip is cut off before OCR
    assert doc["type"] == "scanned" and doc["kind"] == "receipt"
    assert doc["ocr"]["pages"] == [1, 2] and doc["ocr"]["not_read"] == [3]
    total = doc["fields"]["total"]
    assert total["value"] == "100.00" and total["page"] == 1 and total["confidence"] == 0.91
    assert total["read_by"] == "ocr" and total["agree"] == ["ocr"] and total["image"] == doc["pages"][0]["path"]
    assert [n["code"] for n in doc["notes"]] == ["scan_read", "scan_more"]
    assert any(c[0] == "text recognition (scanned pages)" or "扫描页" in c[0] for c in calls)

    def broken(*a, **k):
        raise InputError("ocr.missing")

    monkeypatch.setattr(ocr, "read_lines", broken)  # no engine: the pages and the evidence stand, no traceback
    doc = process(case, tmp_path / "scan3.pdf", ocr_pages=1)
    assert doc["fields"] == {} and doc["ocr"]["failed"][0]["page"] == 1
    assert [n["code"] for n in doc["notes"]] == ["scan_failed", "scan_more"]
    assert all((case.root / p["path"]).is_file() for p in doc["pages"])


def test_absurd_page_size_is_capped(case, tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "huge.pdf"
    c = canvas.Canvas(str(path), pagesize=(14400, 14400))
    c.setFont("Helvetica", 400)
    c.drawString(1000, 7000, "Order #98765432 Total: $10.00")
    c.save()
    doc = process(case, path)
    page = doc["pages"][0]
    assert page["capped"] and page["dpi"] < 30
    assert max(page["width"], page["height"]) <= 4096
    assert [n["code"] for n in doc["notes"]] == ["capped"]


# ---------------------------------------------------------------- OFD and XML

def test_ofd_fact_card(case, built):
    doc = process(case, built / "inv.ofd")
    assert doc["type"] == "digital-normal" and doc["format"] == "ofd"
    v = values(doc)
    assert v["invoice_number"] == "24112000000087654321" and v["date"] == "2024-11-05"
    assert v["seller_tax_id"] == "91440300MA5FABCD3K" and v["amount_without_tax"] == "1061.95"
    assert v["buyer_name"] == "李四" and v["seller_name"] == "深圳某某科技有限公司"  # from the page text
    assert v["total"] == "1200.00" and v["tax"] == "138.05"
    # labels in the template, values on the page: read together by position; CustomData is a second source
    assert doc["fields"]["invoice_number"]["source_text"] == "发票号码： 24112000000087654321"
    assert doc["fields"]["invoice_number"]["agree"] == ["text", "ofd-custom"]
    assert all(c["ok"] for c in doc["checks"])
    assert {"total-words", "net-plus-tax", "items-sum", "ofd-custom-invoice_number"} <= {c["check"] for c in doc["checks"]}
    card = doc["pages"][0]
    assert card["card"] and (case.root / card["path"]).name == "card.jpg"


def test_xml_invoice(case, built):
    doc = process(case, built / "inv.xml")
    assert doc["type"] == "digital-normal" and doc["format"] == "xml"
    assert values(doc) == {
        "invoice_number": "24112000000012345678", "date": "2024-11-02T10:11:12", "seller_name": "杭州某某电子商务有限公司",
        "seller_tax_id": "91330100MA2ABCDE1F", "buyer_name": "张三", "amount_without_tax": "530.09", "tax": "68.91",
        "total": "599.00", "total_in_words": "伍佰玖拾玖圆整", "drawer": "张伟"}
    items = doc["fields"]["items"]["value"]
    assert [(i["name"], i["spec"], i["amount"]) for i in items] == [("*计算机配套产品*无线耳机", "Pro 2", "442.48"),
                                                                   ("*通信设备*充电器", "65W", "87.61")]
    assert doc["fields"]["total"]["source_text"] == "<BasicInformation><TotalTax-includedAmount>599.00</TotalTax-includedAmount>"
    from PIL import Image

    with Image.open(case.root / doc["pages"][0]["path"]) as im:
        assert im.format == "JPEG" and im.width == 1400


def test_xml_words_mismatch(case, tmp_path):
    docs.xml_invoice(tmp_path / "bad.xml", words="伍佰玖拾圆整")
    doc = process(case, tmp_path / "bad.xml")
    assert [n["code"] for n in doc["notes"]] == ["words_mismatch"]


def test_xml_entities_refused(case, tmp_path):
    p = tmp_path / "bomb.xml"
    p.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><EInvoice>&a;</EInvoice>')
    with pytest.raises(InputError) as e:
        process(case, p)
    assert e.value.key == "invoice.xml_bad"
    assert case.evidence() == []  # refused before it entered the case


# ---------------------------------------------------------------- bad input through the CLI

@pytest.fixture
def case_dir(case):
    return case.root


def test_cli_json(cli, case_dir, built):
    r = cli("invoice", built / "new.pdf", "--json", cwd=case_dir)
    assert r.code == 0, r
    data = r.json
    assert data["type"] == "digital-normal" and data["fields"]["total"]["value"] == "599.00"
    assert data["fields"]["total"]["source_text"] == "价税合计（大写）  ⊗伍佰玖拾玖元整  （小写）\u00a5599.00"
    assert data["fields"]["total"]["page"] == 1 and len(data["fields"]["total"]["box"]) == 4
    assert {"path", "width", "height", "bytes", "sha256"} <= set(data["pages"][0])


def test_cli_encrypted(cli, case_dir, built):
    r = cli("invoice", built / "locked.pdf", cwd=case_dir)
    assert (r.code, r.stdout) == (2, "")
    assert r.stderr.strip() == f"tradeshield: the PDF is encrypted: give its password with --password: {built / 'locked.pdf'}"
    r = cli("invoice", built / "locked.pdf", "--password", "nope", cwd=case_dir)
    assert r.code == 2 and r.stderr.strip() == f"tradeshield: wrong password for the PDF: {built / 'locked.pdf'}"
    assert list((case_dir / "evidence").iterdir()) == []  # refused files never enter the case
    r = cli("invoice", built / "locked.pdf", "--password", "1234", "--json", cwd=case_dir)
    assert r.code == 0 and r.json["fields"]["invoice_number"]["value"] == "24112000000012345678"
    assert [p.name for p in (case_dir / "evidence").iterdir()] == ["locked.pdf"]


def test_cli_zh_message(cli, case_dir, built):
    r = cli("invoice", built / "locked.pdf", "--lang", "zh", cwd=case_dir)
    assert r.code == 2 and r.stderr.startswith("tradeshield: PDF 已加密：请用 --password 提供打开密码")


def test_cli_truncated_and_non_pdf(cli, case_dir, built, tmp_path):
    data = (built / "new.pdf").read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 3])
    r = cli("invoice", tmp_path / "cut.pdf", cwd=case_dir)
    assert r.code == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert "damaged or incomplete" in r.stderr or "cannot be rendered" in r.stderr
    (tmp_path / "notes.pdf").write_text("just some text, not a PDF at all\n")
    r = cli("invoice", tmp_path / "notes.pdf", cwd=case_dir)
    assert r.code == 2 and r.stderr.startswith("tradeshield: not a PDF, OFD or XML invoice:")
    r = cli("invoice", tmp_path / "missing.pdf", cwd=case_dir)
    assert r.code == 2 and "file not found" in r.stderr
    assert list((case_dir / "evidence").iterdir()) == []  # nothing bad entered the case


def test_cli_help_has_example(cli):
    r = cli("invoice", "--help")
    assert r.code == 0 and "Example: tradeshield invoice" in r.stdout


# ---------------------------------------------------------------- real PDFs

def test_corpus_encrypted_and_malformed(case, corpus):
    pdfs = corpus / "pdfs"
    for name, password in (("encrypted_rc4_libreoffice.pdf", "openpassword"), ("encrypted_aes256_r6.pdf", "asdfzxcv")):
        with pytest.raises(InputError) as e:
            process(case, pdfs / name)
        assert e.value.key == "invoice.pdf_password"
        with pytest.raises(InputError) as e:
            process(case, pdfs / name, password="wrong")
        assert e.value.key == "invoice.pdf_wrong_password"
        assert len(process(case, pdfs / name, password=password)["pages"]) == 1
    for name in ("malformed_broken_xref.pdf", "malformed_trailing_nul_padding.pdf"):
        doc = process(case, pdfs / name, dpi=100)
        assert len(doc["pages"]) == 1 and doc["pages"][0]["bytes"] > 1000
    assert len(case.read_facts("invoice")["documents"]) == 4


@pytest.mark.parametrize("name,pages", [("multipage_pdflatex_outline_4p.pdf", 4), ("multipage_scanned_ocr_6p.pdf", 6)])
def test_corpus_multipage(case, corpus, name, pages):
    doc = process(case, corpus / "pdfs" / name, dpi=100)
    assert [p["page"] for p in doc["pages"]] == list(range(1, pages + 1))
    assert doc["type"] in ("document", "receipt")  # neither is an invoice; nothing invoice-like is claimed
    assert not any(k in doc["fields"] for k in ("invoice_number", "invoice_code", "check_code"))


@pytest.mark.parametrize("step", [4, 1])
def test_trim_keeps_a_thin_rule_the_grid_misses(step):
    from PIL import Image, ImageDraw

    from tradeshield.invoice.render import _ink_box

    img = Image.new("RGBX", (400, 600), (255, 255, 255, 255))
    d = ImageDraw.Draw(img)
    d.rectangle([150, 200, 250, 300], fill=(0, 0, 0, 255))
    d.line([(37, 101), (37, 499)], fill=(0, 0, 0, 255))    # 1-px vertical rule on a column the grid skips
    d.line([(90, 523), (300, 523)], fill=(0, 0, 0, 255))   # 1-px horizontal rule on a row the grid skips
    left, top, right, bottom = _ink_box(img, 0, step)
    assert (left, top) == (37, 101) and 301 <= right < 301 + step and 524 <= bottom < 524 + step
    assert _ink_box(img, 5, step)[:2] == (32, 96)
    assert _ink_box(Image.new("RGBX", (400, 600), (255, 255, 255, 255)), 5, step) is None


def test_english_label_e_invoice():
    text = ("ELECTRONIC VAT INVOICE (GENERAL)\r\nInvoice code: 017090709584\r\nInvoice No.: 534439589175\r\n"
            "Date: 2024-03-01\r\nCheck code: 98936812917358800691\r\nBuyer\r\nName: Zhang San Trading Co.\r\n"
            "Taxpayer ID: 914293832298424337X\r\nAddress, phone: No.597 Demo Road\r\nSeller\r\n"
            "Name: Example Digital Flagship Store\r\nTaxpayer ID: 911337731380475340X\r\n"
            "Item Spec Qty Unit price Amount Tax 13%\r\nGift box M534-A 2 956.19 1,912.38 248.61\r\n"
            "Smartphone 6.7in 256GB M733-B 1 5,922.83 5,922.83 769.97\r\nTotal (incl. tax): CNY 7,835.21\r\n")
    out = parse_text(text)
    assert out["type"] == "e-invoice"
    assert {k: v["value"] for k, v in out["fields"].items() if k != "items"} == {
        "title": "ELECTRONIC VAT INVOICE (GENERAL)", "invoice_code": "017090709584", "invoice_number": "534439589175",
        "date": "2024-03-01", "check_code": "98936812917358800691", "buyer_name": "Zhang San Trading Co.",
        "buyer_tax_id": "914293832298424337X", "seller_name": "Example Digital Flagship Store",
        "seller_tax_id": "911337731380475340X", "total": "7835.21"}
    items = out["fields"]["items"]["value"]
    assert [(i["name"], i["spec"], i["quantity"], i["amount"]) for i in items] == [
        ("Gift box", "M534-A", "2", "1912.38"), ("Smartphone 6.7in 256GB", "M733-B", "1", "5922.83")]


def test_scanned_invoice_reads_only_its_qr_code(case, tmp_path):
    """An image-only invoice with OCR off (``ocr_pages=0``; OCR of an A4 page costs seconds, and
    tests/test_ocr.py reads a scanned page by OCR): the QR code is data the page states, so it is read; nothing
    else is."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader

    docs.old_invoice(tmp_path / "text.pdf")
    img = pdfium.PdfDocument(str(tmp_path / "text.pdf"))[0].render(scale=150 / 72).to_pil()
    c = docs._canvas(tmp_path / "scan.pdf")
    c.drawImage(ImageReader(img), 0, 0, width=595, height=842)
    c.save()
    doc = process(case, tmp_path / "scan.pdf", ocr_pages=0)
    assert doc["type"] == "scanned"
    assert values(doc) == {"invoice_code": "011002100111", "invoice_number": "12345678", "date": "2023-05-18",
                           "check_code": "12345678901357924680", "amount_without_tax": "2654.87"}
    assert doc["kind"] == "vat-normal"  # from the QR code's type field (10)
    assert doc["fields"]["invoice_number"]["source_text"].startswith("QR: 01,10,011002100111,12345678,")
    assert [n["code"] for n in doc["notes"]] == ["qr_only"]


def test_broken_ofd_refused(case, tmp_path):
    import zipfile

    (tmp_path / "cut.ofd").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with zipfile.ZipFile(tmp_path / "empty.ofd", "w") as z:
        z.writestr("Doc_0/Document.xml", "<Document/>")
    for name in ("cut.ofd", "empty.ofd"):
        with pytest.raises(InputError) as e:
            process(case, tmp_path / name)
        assert e.value.key == "invoice.ofd_bad"
    assert case.evidence() == []


def test_xml_kind_from_inherent_label(tmp_path):
    from tradeshield.invoice.ofd import read_xml

    docs.xml_invoice(tmp_path / "special.xml", vat="增值税专用发票")
    assert read_xml(tmp_path / "special.xml")["type"] == "digital-special"
