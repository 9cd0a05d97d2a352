"""Barcode retries: blurry camera photos zxing-cpp's first pass cannot read (ZXing blackbox images, Apache-2.0,
tests/data/barcodes), read by a retry that a retry of another family confirms, and the result says which."""
from __future__ import annotations

from pathlib import Path

import pytest

from tradeshield.barcodes import _family, decode, decode_with_retries

DATA = Path(__file__).resolve().parent / "data" / "barcodes"
PHOTOS = sorted(DATA.glob("*.png"))


def expected(p: Path) -> str:
    return p.with_suffix(".txt").read_text(encoding="utf-8").strip()


def same(text: str, want: str) -> bool:
    return text == want or text == "0" + want  # zxing-cpp reports a UPC-A as its EAN-13 form


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda p: p.stem)
def test_blurry_photo_needs_a_retry_and_names_it(photo):
    from PIL import Image

    img = Image.open(photo)
    first = decode(img, try_harder=False)
    assert not any(same(r["text"], expected(photo)) for r in first)  # the first pass really fails
    found, retry = decode_with_retries(img)
    assert retry and "+" in retry and any(same(r["text"], expected(photo)) for r in found)
    a, b = retry.split("+")
    assert _family(a) != _family(b)  # confirmed by a retry that sees the image another way
    assert all(r["retry"] == retry for r in found)
    assert [same(r["text"], expected(photo)) for r in decode(img)] == [True]


def test_first_pass_result_is_named_default():
    from PIL import Image

    from tradeshield.invoice.qr import find_qr

    import invoice_docs as docs
    import tempfile
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory() as d:
        docs.old_invoice(Path(d) / "old.pdf")
        page = pdfium.PdfDocument(str(Path(d) / "old.pdf"))[0].render(scale=200 / 72).to_pil()
    found = find_qr(page)
    assert found["retry"] == "default" and found["payload"]["invoice_number"] == "12345678"
    assert decode(Image.new("L", (200, 200), 255)) == []  # nothing there: every retry tried, nothing invented


def test_corpus_photos(corpus):
    """The shared corpus's ten camera photos: every expected text found (ZXing's .txt files are ground truth)."""
    from PIL import Image

    got = 0
    for p in sorted((corpus / "barcodes").glob("*.png")):
        want = p.with_suffix(".txt").read_text(encoding="utf-8")
        got += any(r["text"] == want or same(r["text"], want) for r in decode(Image.open(p)))
    assert got >= 9
