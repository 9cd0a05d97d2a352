"""The invoice speed work keeps its promises: pages rendered from memory equal pages rendered from the file,
a file changed during the run is refused with no pages left behind, page digests logged without re-reading."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import invoice_docs as docs
from tradeshield.errors import InputError
from tradeshield.invoice import process


@pytest.fixture(scope="module")
def seven(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "new7.pdf"
    docs.new_invoice(path, pages=7)
    return path


def _render(pdf_path: Path, out: Path, *, source, workers: int) -> list[dict]:
    from tradeshield.invoice.render import PageRenderer, open_pdf

    data = pdf_path.read_bytes()
    pdf = open_pdf(pdf_path, data=data if source == "bytes" else None)
    dests = [out / f"p{i}.jpg" for i in range(len(pdf))]
    try:
        with PageRenderer(pdf, data if source == "bytes" else pdf_path, dests, dpi=72, sha256="cd" * 32,
                          name=pdf_path.name, workers=workers) as r:
            return r.start().finish()
    finally:
        pdf.close()


def test_pages_from_memory_and_workers_equal_pages_from_the_file(seven, tmp_path):
    runs = {(s, w): _render(seven, tmp_path / f"{s}{w}", source=s, workers=w)
            for s, w in (("path", 0), ("bytes", 0), ("bytes", 2))}
    digests = {k: [p["sha256"] for p in v] for k, v in runs.items()}
    assert digests[("path", 0)] == digests[("bytes", 0)] == digests[("bytes", 2)]
    assert len(set(digests[("path", 0)])) == 7
    for pages in runs.values():  # every page written, and its record says what was written
        for p in pages:
            data = Path(p["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == p["sha256"] and len(data) == p["bytes"]


def test_bitmap_pool_reuses_one_buffer_per_size():
    import pypdfium2 as pdfium

    from tradeshield.invoice.render import BitmapPool

    pool = BitmapPool()
    fmt = pdfium.raw.FPDFBitmap_BGRx
    a = pool(100, 200, fmt, True)
    assert pool(100, 200, fmt, True) is a
    b = pool(120, 200, fmt, True)
    assert b is not a and (b.width, b.height) == (120, 200) and pool(120, 200, fmt, True) is b


def test_failed_run_leaves_no_new_pages(seven, tmp_path):
    from tradeshield.invoice.render import PageRenderer, open_pdf

    out = tmp_path / "out"
    out.mkdir()
    (out / "p0.jpg").write_bytes(b"a page from an earlier run")
    pdf = open_pdf(seven)
    dests = [out / f"p{i}.jpg" for i in range(len(pdf))]
    with pytest.raises(RuntimeError):
        with PageRenderer(pdf, seven, dests, dpi=72, sha256="cd" * 32, name="x.pdf", workers=1) as r:
            r.start().finish()
            assert all(d.exists() for d in dests)
            raise RuntimeError("interrupted")
    pdf.close()
    assert sorted(p.name for p in out.iterdir()) == ["p0.jpg"]  # the earlier run's page stays


def test_source_changed_during_the_copy_is_refused(case, seven, tmp_path, monkeypatch):
    src = tmp_path / "inv.pdf"
    src.write_bytes(seven.read_bytes())
    real = type(case).ensure_evidence

    def changed_meanwhile(self, path, **kw):
        with open(path, "ab") as f:  # the user's file changes after it was read, before it is copied
            f.write(b"\n% appended\n")
        return real(self, path, **kw)

    monkeypatch.setattr(type(case), "ensure_evidence", changed_meanwhile)
    with pytest.raises(InputError) as e:
        process(case, src, dpi=72)
    assert e.value.key == "add.source_changed"
    assert not list((case.root / "derived").rglob("*.jpg"))  # no page of a file the case does not hold
    assert case.read_facts("invoice") is None


def test_logged_page_digests_are_the_files(case, seven):
    doc = process(case, seven, dpi=72)
    records = case.derived_records()
    for p in doc["pages"]:
        data = (case.root / p["path"]).read_bytes()
        assert records[p["path"]]["sha256"] == hashlib.sha256(data).hexdigest() == p["sha256"]
        assert records[p["path"]]["size"] == len(data)
    assert not case.custody.verify()


def test_record_derived_hashes_parameter(case, tmp_path):
    a, b = case.derived_path("t/a.bin"), case.derived_path("t/b.bin")
    a.write_bytes(b"alpha")
    b.write_bytes(b"beta!")
    given = [(hashlib.sha256(b"alpha").hexdigest(), 5), ("ff" * 32, 5)]  # the caller's word is logged as given
    entry = case.record_derived([a, b], action="t", sources=["00" * 32], hashes=given)
    assert [(f["path"], f["sha256"], f["size"]) for f in entry["files"]] == [
        ("derived/t/a.bin", given[0][0], 5), ("derived/t/b.bin", "ff" * 32, 5)]
    entry = case.record_derived([b], action="t", sources=["00" * 32])  # default: hashed here
    assert entry["files"][0]["sha256"] == hashlib.sha256(b"beta!").hexdigest()
    with pytest.raises(ValueError):
        case.record_derived([a, b], action="t", sources=[], hashes=given[:1])


def test_claims_meet_exactly_and_leave_page_one_to_the_parent():
    import multiprocessing

    from tradeshield.invoice.render import _Claims

    c = _Claims(multiprocessing, 5)
    assert [c.back(), c.front(), c.back(), c.front(), c.back(), c.front(), c.front()] == [4, 0, 3, 1, 2, None, None]
    c = _Claims(multiprocessing, 3)
    assert [c.back(), c.back(), c.back(), c.front()] == [2, 1, None, 0]  # page 1 (index 0) is never a worker's
    c.stop()
    assert c.front() is None and c.back() is None


def test_a_dead_worker_s_pages_are_rendered_by_the_parent(seven, tmp_path, monkeypatch):
    import os

    from tradeshield.invoice import render

    def dies(source, password, claims, conn, dests, kw):
        claims.back(), claims.back()  # takes two pages and is killed before reporting them
        os._exit(9)

    monkeypatch.setattr(render, "_worker_main", dies)
    pages = _render(seven, tmp_path / "out", source="bytes", workers=1)
    expected = _render(seven, tmp_path / "ref", source="bytes", workers=0)
    assert [p["sha256"] for p in pages] == [p["sha256"] for p in expected]
    assert all(Path(p["path"]).is_file() for p in pages)


def test_a_worker_s_page_error_reaches_the_caller_and_no_pages_stay(seven, tmp_path, monkeypatch):
    from tradeshield.invoice import render

    real = render.render_page

    def broken_last_page(doc, index, **kw):
        if index == 6:
            raise InputError("invoice.pdf_page_bad", page=7, path="new7.pdf", reason="test")
        return real(doc, index, **kw)

    monkeypatch.setattr(render, "render_page", broken_last_page)  # forked workers inherit it
    with pytest.raises(InputError) as e:
        _render(seven, tmp_path / "out", source="bytes", workers=1)
    assert (e.value.key, e.value.params["page"]) == ("invoice.pdf_page_bad", 7)
    assert list((tmp_path / "out").glob("*.jpg")) == []


def test_encrypted_multipage_pdf_renders_in_workers(case, seven, tmp_path):
    docs.encrypt(seven, tmp_path / "locked7.pdf", "pw")
    doc = process(case, tmp_path / "locked7.pdf", password="pw", dpi=72)
    assert doc["type"] == "digital-normal" and len(doc["pages"]) == 7
    assert len({p["sha256"] for p in doc["pages"]}) == 7 and not case.custody.verify()


def test_page_composed_in_the_pool_equals_the_copied_composition(seven, monkeypatch):
    from tradeshield.invoice import render

    pdf = render.open_pdf(seven)
    pool = render.BitmapPool()
    kw = {"dpi": 100, "sha256": "cd" * 32, "name": "new7.pdf", "total": 7}
    in_place = [render.render_page(pdf, i, bitmaps=pool, **kw) for i in range(3)]
    assert pool.compose((0, 0, 10, pool.rows), render.caption_strip(10, ["x", "y"])) is None  # no room: declined
    monkeypatch.setattr(render.BitmapPool, "compose", lambda self, box, strip: None)
    copied = [render.render_page(pdf, i, bitmaps=render.BitmapPool(), **kw) for i in range(3)]
    pdf.close()
    assert [d for _, d in in_place] == [d for _, d in copied]
    first = in_place[0][0]["image"]  # page 1's pixels outlive the buffer the next pages were rendered into
    assert first.tobytes() == copied[0][0]["image"].tobytes()


# ---------------------------------------------------------------- grey pages rendered in grey, colour never lost

def _page_pdf(path, draw) -> Path:
    c = docs._canvas(path)
    draw(c)
    c.showPage()
    c.save()
    return path


def _image(mode: str, colour) -> "object":
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    return ImageReader(Image.new(mode, (40, 40), colour))


GREY_PAGES = {
    "black and grey text, grey rules": lambda c: (c.drawString(50, 700, "发票号码 12345678"), c.setFillGray(0.4),
                                                  c.drawString(50, 680, "灰色文字"), c.setStrokeGray(0.3),
                                                  c.line(50, 670, 300, 670)),
    "a DeviceGray image": lambda c: c.drawImage(_image("L", 90), 50, 600, 100, 100),
    "text inside a form XObject": lambda c: (c.beginForm("f"), c.drawString(50, 700, "表单"), c.endForm(),
                                             c.doForm("f")),
}
COLOUR_PAGES = {
    "a red word": lambda c: (c.drawString(50, 700, "黑色"), c.setFillColorRGB(0.8, 0.1, 0.1),
                             c.drawString(50, 680, "红色")),
    "a blue rule": lambda c: (c.drawString(50, 700, "黑色"), c.setStrokeColorRGB(0.1, 0.2, 0.9),
                              c.line(50, 670, 300, 670)),
    "an RGB image, however grey it looks": lambda c: c.drawImage(_image("RGB", (90, 90, 90)), 50, 600, 100, 100),
    "a gradient (shading)": lambda c: c.linearGradient(50, 600, 200, 700, ((0, 0, 0), (0.5, 0.5, 0.5))),
    "a link annotation": lambda c: (c.drawString(50, 700, "链接"), c.linkURL("https://example.org", (50, 690, 90, 712))),
    "white fill (also what pdfium reports for a pattern)": lambda c: (c.setFillGray(1), c.rect(50, 600, 100, 100,
                                                                                                   fill=1, stroke=0)),
    "a red word inside a form XObject": lambda c: (c.beginForm("f"), c.setFillColorRGB(1, 0, 0),
                                                   c.drawString(50, 700, "印章"), c.endForm(), c.doForm("f")),
}


@pytest.mark.parametrize("name", sorted(GREY_PAGES) + sorted(COLOUR_PAGES))
def test_grey_page_test_is_conservative(name, tmp_path):
    """A page goes to the 8-bit grey render only when every object on it is provably grey; anything else (colour,
    a shading, an annotation, a colour-space image, a white fill that may be a pattern) takes the colour path."""
    from tradeshield.invoice import render

    grey = name in GREY_PAGES
    path = _page_pdf(tmp_path / "p.pdf", (GREY_PAGES if grey else COLOUR_PAGES)[name])
    pdf = render.open_pdf(path)
    page = pdf[0]
    try:
        assert render.is_grey_page(page) is grey
        assert not render.is_grey_page(page, limit=0)  # past the object limit: the colour path, never a guess
    finally:
        page.close()
        pdf.close()


def test_colour_survives_and_grey_pages_match_the_colour_render(tmp_path):
    """A page with one small red word is written as a colour JPEG; a grey page rendered in grey looks like the
    colour render of the same page converted to grey (same size, same ink, pixels within anti-aliasing)."""
    import io

    from PIL import Image, ImageChops

    from tradeshield.invoice import render

    kw = {"dpi": 100, "sha256": "cd" * 32, "name": "p.pdf", "total": 1}
    red = render.open_pdf(_page_pdf(tmp_path / "red.pdf", COLOUR_PAGES["a red word"]))
    rec, data = render.render_page(red, 0, **kw)
    red.close()
    assert Image.open(io.BytesIO(data)).mode == "RGB" and rec["image"].mode == "RGBX"

    grey = render.open_pdf(_page_pdf(tmp_path / "grey.pdf", GREY_PAGES["black and grey text, grey rules"]))
    rec, data = render.render_page(grey, 0, **kw)
    assert Image.open(io.BytesIO(data)).mode == "L" and rec["image"].mode == "L"
    import pypdfium2 as pdfium

    page = grey[0]
    scale = 100 / 72
    as_grey = page.render(scale=scale, force_bitmap_format=pdfium.raw.FPDFBitmap_Gray).to_pil()
    as_colour = page.render(scale=scale).to_pil().convert("L")
    page.close()
    grey.close()
    assert as_grey.size == as_colour.size
    assert render._ink_box(as_grey, 0) == render._ink_box(as_colour, 0)
    diff = ImageChops.difference(as_grey, as_colour).histogram()
    assert sum(diff[64:]) < 0.01 * as_grey.width * as_grey.height  # only glyph edges differ
