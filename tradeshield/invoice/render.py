"""PDF pages → upload-ready JPEGs (pypdfium2), in parallel processes when the page count pays.

    >>> from tradeshield.invoice.render import PageRenderer, open_pdf
    >>> doc = open_pdf("dzfp.pdf", password=None)                                          # doctest: +SKIP
    >>> with PageRenderer(doc, "dzfp.pdf", ["p001.jpg"], dpi=200, sha256="ab12…", name="dzfp.pdf") as r:  # doctest: +SKIP
    ...     pages = r.start().finish()
    >>> pages[0]["width"], pages[0]["bytes"]                              # doctest: +SKIP
    (1433, 412345)

Each page is rendered at ``dpi`` (lowered when the page is so large that the long side or the pixel
count would pass the caps), white margins are trimmed, a caption strip names the page n/N and the
PDF's SHA-256 prefix, and the JPEG is kept within the platform limits. pdfium is not thread-safe,
so parallel work uses processes; each worker opens the document itself (from the parent's bytes when
it has them: forked, they share the memory). Forked workers inherit the imported modules and the loaded
caption font, which is what makes them cheap to start. Each process writes its pages on a writer thread,
so none waits for the disk between pages.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os

from tradeshield import i18n
from tradeshield.config import LIMITS
from tradeshield.errors import InputError

MAX_PIXELS = 40_000_000        # per rendered page; ~a 400 DPI A4 page. Larger pages are rendered at a lower DPI.
TRIM_THRESHOLD = 236           # grey level below which a pixel counts as ink (JPEG/scan noise stays out)
TRIM_MARGIN_PT = 10            # white kept around the ink, in PDF points (~3.5 mm)
JPEG_QUALITY = 80            # text stays crisp at 200 DPI; 85 costs ~25 % more encode time
PAGES_PER_WORKER = 3           # below this a process start costs more than it saves

i18n.register({
    "invoice.pdf_password": ("PDF 已加密：请用 --password 提供打开密码：{path}",
                             "the PDF is encrypted: give its password with --password: {path}"),
    "invoice.pdf_wrong_password": ("PDF 密码不正确：{path}", "wrong password for the PDF: {path}"),
    "invoice.pdf_bad": ("PDF 已损坏或不完整，无法打开：{path}（{reason}）",
                        "the PDF is damaged or incomplete and cannot be opened: {path} ({reason})"),
    "invoice.page_label": ("第 {page}/{total} 页", "page {page}/{total}"),
    "invoice.pdf_no_pages": ("PDF 没有页面：{path}", "the PDF has no pages: {path}"),
    "invoice.pdf_page_bad": ("PDF 第 {page} 页无法渲染：{path}（{reason}）",
                             "page {page} of the PDF cannot be rendered: {path} ({reason})"),
})


def open_pdf(path, password: str | None = None, data: bytes | None = None):
    """A pypdfium2 document, or an InputError that says what is wrong and what to do.

    ``data``: the file's bytes, already read (the document is then parsed from memory; ``path`` names it).
    """
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data if data is not None else str(path), password=password or None)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == pdfium.raw.FPDF_ERR_PASSWORD:
            key = "invoice.pdf_wrong_password" if password else "invoice.pdf_password"
            raise InputError(key, path=str(path)) from None
        raise InputError("invoice.pdf_bad", path=str(path), reason=str(e).split(":")[-1].strip() or "pdfium") from None
    if len(doc) == 0:
        doc.close()
        raise InputError("invoice.pdf_no_pages", path=str(path))
    return doc


def page_scale(width_pt: float, height_pt: float, dpi: int, max_side: int, max_pixels: int = MAX_PIXELS):
    """(scale, capped): pdfium scale for ``dpi``, lowered so the long side and pixel count stay in bounds."""
    w, h = max(width_pt, 1e-3), max(height_pt, 1e-3)
    scale = dpi / 72
    cap = min(max_side / max(w, h), (max_pixels / (w * h)) ** 0.5)
    return (cap, True) if cap < scale else (scale, False)


def caption_lines(page: int, total: int, sha256: str, name: str) -> list[str]:
    return [i18n.t("invoice.page_label", page=page, total=total), f"PDF SHA-256 {sha256[:16]} · {name}"]


_INK_LUT = [255 if v < TRIM_THRESHOLD else 0 for v in range(256)]  # a table: a function would be called 256 times


def _bbox(img):
    return (img if img.mode == "L" else img.convert("L")).point(_INK_LUT).getbbox()


def _ink_box(img, margin: int, step: int = 4):
    """Bounding box of the non-white content plus ``margin`` px, or None for a blank page.

    A grid of every ``step``-th pixel finds the content roughly; the margins outside that rough box are then
    scanned at full resolution, so a one-pixel rule the grid stepped over still counts, at a fraction of
    the cost of scanning the whole page.
    """
    from PIL import Image

    w, h = img.size
    rough = _bbox(img.resize((max(1, w // step), max(1, h // step)), Image.NEAREST)) if min(w, h) >= 8 * step else None
    if rough is None:
        box = _bbox(img)
    else:
        left, top = rough[0] * step, rough[1] * step
        right, bottom = min(w, rough[2] * step), min(h, rough[3] * step)  # at most step-1 px loose
        box = (left, top, right, bottom)
        for region in ((0, 0, w, top), (0, bottom, w, h), (0, top, left, bottom), (right, top, w, bottom)):
            if region[2] > region[0] and region[3] > region[1]:
                found = _bbox(img.crop(region))
                if found:
                    box = (min(box[0], region[0] + found[0]), min(box[1], region[1] + found[1]),
                           max(box[2], region[0] + found[2]), max(box[3], region[1] + found[3]))
    if box is None:
        return None
    return (max(0, box[0] - margin), max(0, box[1] - margin), min(w, box[2] + margin), min(h, box[3] + margin))


GREY_OBJECT_LIMIT = 5000  # page objects looked at before a page is simply rendered in colour


def is_grey_page(page, limit: int = GREY_OBJECT_LIMIT) -> bool:
    """Whether everything on the page is drawn in grey, from its objects (nothing is rendered): then the page is
    rendered straight to 8-bit grey, a third of the pixels to render, trim and encode, and no colour test.

    Conservative: any doubt says colour (the page then takes the colour path and ``has_colour`` decides from the
    pixels). Doubt is an annotation (drawn with its own appearance), a shading, a fill or stroke colour pdfium
    cannot state or that is not r = g = b, the colours pdfium reports for a pattern fill (white, 0xBF grey), a
    Type 3 font (its glyphs may set their own colours), an image not in a grey colour space (DeviceGray,
    CalGray, 1-component ICC), and more than ``limit`` objects. Form XObjects are looked into.
    """
    import ctypes

    import pypdfium2.raw as raw

    handle = page.raw
    if raw.FPDFPage_GetAnnotCount(handle) > 0:
        return False
    r, g, b, a = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    rgba = (ctypes.byref(r), ctypes.byref(g), ctypes.byref(b), ctypes.byref(a))
    size = ctypes.c_size_t()
    meta = raw.FPDF_IMAGEOBJ_METADATA()
    text, path = raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_PATH
    image, form = raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM
    type3: dict = {}
    todo = [(raw.FPDFPage_CountObjects(handle), lambda i: raw.FPDFPage_GetObject(handle, i))]
    seen = 0
    while todo:
        count, get = todo.pop()
        seen += count
        if count < 0 or seen > limit:
            return False
        for i in range(count):
            obj = get(i)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == text or kind == path:
                for colour in (raw.FPDFPageObj_GetFillColor, raw.FPDFPageObj_GetStrokeColor):
                    if not colour(obj, *rgba) or not r.value == g.value == b.value or r.value in (255, 191):
                        return False
                if kind == text:
                    font = raw.FPDFTextObj_GetFont(obj)
                    key = ctypes.cast(font, ctypes.c_void_p).value
                    if key not in type3:  # a Type 3 font is "embedded" without any font program
                        type3[key] = not font or (raw.FPDFFont_GetIsEmbedded(font)
                                                  and raw.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size))
                                                  and size.value == 0)
                    if type3[key]:
                        return False
            elif kind == image:
                if not raw.FPDFImageObj_GetImageMetadata(obj, handle, ctypes.byref(meta)):
                    return False
                space = meta.colorspace
                if not (space in (raw.FPDF_COLORSPACE_DEVICEGRAY, raw.FPDF_COLORSPACE_CALGRAY)
                        or (space == raw.FPDF_COLORSPACE_ICCBASED and meta.bits_per_pixel in (1, 8))):
                    return False
            elif kind == form:
                todo.append((raw.FPDFFormObj_CountObjects(obj), lambda i, o=obj: raw.FPDFFormObj_GetObject(o, i)))
            else:  # a shading, or an object pdfium cannot name
                return False
    return True


CHROMA = 24  # a sampled pixel whose channels differ by more than this makes the page a colour page


def has_colour(img) -> bool:
    """Whether a rendered page has any colour: every 4th pixel first (a colour page says so at once), then every
    2nd; a coloured feature thinner than 2 px at the render resolution could be missed, nothing wider."""
    from PIL import Image, ImageChops

    w, h = img.size
    for step in (4, 2):
        small = img.resize((max(1, w // step), max(1, h // step)), Image.NEAREST)
        r, g, b = small.split()[:3]
        if max(ImageChops.difference(r, g).getextrema()[1], ImageChops.difference(g, b).getextrema()[1]) > CHROMA:
            return True
    return False


def _encode(img) -> bytes:
    """JPEG within the limits: one plain encode when it fits (the usual case), else the shared fitter.
    A page without colour is encoded as greyscale: the same pixels, a third of the encoding work."""
    from tradeshield.imaging import encode_jpeg_within

    if img.mode in ("RGBX", "RGBA", "RGB") and not has_colour(img):  # a grey render ("L") is taken as it is
        img = img.convert("L")
    if max(img.size) <= LIMITS.image_long_side:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=JPEG_QUALITY)
        if buf.tell() <= LIMITS.image_bytes:
            return buf.getvalue()
    return encode_jpeg_within(img, quality=JPEG_QUALITY)


def caption_strip(width: int, lines: list[str], mode: str = "RGBX"):
    """The shared caption style (imaging.add_caption) as a strip ``width`` wide, in the page's mode."""
    from PIL import Image

    from tradeshield.imaging import add_caption

    return add_caption(Image.new("RGB", (width, 1), (255, 255, 255)), lines).convert(mode)


class BitmapPool:
    """pdfium ``bitmap_maker`` that reuses one buffer while the page size stays the same, with spare rows
    below the page for the caption strip.

    A fresh 15 MB bitmap per page costs an allocation, zeroing and page faults (~5 ms a page). The spare
    rows let ``compose`` build the output (trimmed page + caption) inside the same buffer, so the JPEG is
    encoded from a view of it: no second full-page image is made, zeroed and copied into (~4 ms a page).
    Anything taken from a view must be used (or copied) before the next page is rendered.
    """

    def __init__(self):
        self.key = self.bitmap = self.buffer = None
        self.stride = self.rows = 0

    def __call__(self, width, height, format, rev_byteorder=False):
        import ctypes

        import pypdfium2 as pdfium

        key = (width, height, format, rev_byteorder)
        if key != self.key:
            self.bitmap = self.buffer = None  # the previous buffer goes before the next is made
            channels = {pdfium.raw.FPDFBitmap_Gray: 1, pdfium.raw.FPDFBitmap_BGR: 3}.get(format, 4)
            self.stride, self.rows = width * channels, height + max(64, width // 6)  # a caption is ~width/15
            self.buffer = (ctypes.c_ubyte * (self.stride * self.rows))()
            self.bitmap = pdfium.PdfBitmap.new_native(width, height, format=format, rev_byteorder=rev_byteorder,
                                                      buffer=self.buffer, stride=self.stride)
            self.key = key
        return self.bitmap

    def compose(self, box, strip):
        """The trimmed page ``box`` with ``strip`` pasted over its last row, as a view of the buffer, or None
        when the strip does not fit in the spare rows (the caller then copies)."""
        from PIL import Image

        bottom = box[3] - 1 + strip.height  # rows used, counted from the top of the page
        mode = strip.mode
        px = {"RGBX": 4, "L": 1}.get(mode)
        if self.bitmap is None or px is None or self.stride != self.bitmap.width * px or bottom >= self.rows:
            return None
        whole = Image.frombuffer(mode, (self.bitmap.width, self.rows), self.buffer, "raw", mode, self.stride, 1)
        whole.readonly = False  # paste into the buffer itself, not into a copy of it
        whole.paste(strip, (box[0], box[3] - 1))
        offset = box[1] * self.stride + box[0] * px
        return Image.frombuffer(mode, (box[2] - box[0], bottom - box[1]), memoryview(self.buffer).cast("B")[offset:],
                                "raw", mode, self.stride, 1)


def render_page(doc, index: int, *, dpi: int, sha256: str, name: str, total: int,
                bitmaps: BitmapPool | None = None) -> tuple[dict, bytes]:
    """(page record, JPEG bytes) for page ``index`` of an open document; nothing is written."""
    pool = bitmaps or BitmapPool()
    try:
        page = doc[index]
        w_pt, h_pt = page.get_size()
        # the caption strip adds a little height: leave room so the final long side stays in the limit
        scale, capped = page_scale(w_pt, h_pt, dpi, int(LIMITS.image_long_side * 0.94))
        if is_grey_page(page):  # 8-bit grey straight from pdfium
            import pypdfium2.raw as raw

            bitmap = page.render(scale=scale, force_bitmap_format=raw.FPDFBitmap_Gray, bitmap_maker=pool)
        else:  # RGBX straight from pdfium: PIL wraps that buffer without a copy (RGB would be unpacked)
            bitmap = page.render(scale=scale, rev_byteorder=True, prefer_bgrx=True, bitmap_maker=pool)
        img = bitmap.to_pil()
        page.close()
    except Exception as e:  # pdfium raises its own errors for broken page content
        raise InputError("invoice.pdf_page_bad", page=index + 1, path=name, reason=str(e)[:120]) from None
    full = (0, 0, img.width, img.height)
    box = _ink_box(img, round(TRIM_MARGIN_PT * scale)) or full
    strip = caption_strip(box[2] - box[0], caption_lines(index + 1, total, sha256, name),
                          "L" if img.mode == "L" else "RGBX")
    out = (pool.compose(box, strip) if bitmap is pool.bitmap else None) or _composed_copy(img, box, strip)
    del img, bitmap
    data = _encode(out)
    rec = {"page": index + 1, "width": out.width, "height": out.height, "bytes": len(data),
           "sha256": hashlib.sha256(data).hexdigest(), "dpi": round(scale * 72, 1), "capped": capped,
           "trimmed": box != full, "image": out.copy() if index == 0 else None}  # a view dies with the next page
    return rec, data


def _composed_copy(img, box, strip):
    """The trimmed page and its caption as a new image (when the pool cannot compose them in place)."""
    from PIL import Image

    width, height = box[2] - box[0], box[3] - box[1]
    # pasted at a negative offset, the trimmed margins simply fall outside; the two pastes cover every pixel
    out = Image.new(strip.mode, (width, height + strip.height - 1), None)
    out.paste(img, (-box[0], -box[1]))
    out.paste(strip, (0, height - 1))
    return out


def render_one(doc, index: int, dest: str, *, dpi: int, sha256: str, name: str, total: int) -> dict:
    """Render page ``index`` of an open document to ``dest`` (atomic); returns the page record."""
    from tradeshield.evidence.fsutil import write_bytes

    rec, data = render_page(doc, index, dpi=dpi, sha256=sha256, name=name, total=total)
    write_bytes(dest, data)
    return {**rec, "path": str(dest)}


# ---------------------------------------------------------------- worker processes

class _Claims:
    """Pages still to render, as ``front..back`` in shared memory: the parent takes from the front, workers
    from the back (never page 1, whose pixels the parent keeps), one page at a time, so the two meet exactly
    where their speeds make them meet and nobody waits at the end for pages queued ahead."""

    def __init__(self, ctx, pages: int):
        self.lock = ctx.Lock()
        self.ix = ctx.RawArray("q", [0, pages - 1])

    def front(self) -> int | None:
        with self.lock:
            i = self.ix[0]
            if i > self.ix[1]:
                return None
            self.ix[0] = i + 1
            return i

    def back(self) -> int | None:
        with self.lock:
            i = self.ix[1]
            if i < max(self.ix[0], 1):
                return None
            self.ix[1] = i - 1
            return i

    def stop(self) -> None:
        with self.lock:
            self.ix[0] = self.ix[1] + 1


class _LocalClaims:
    """``_Claims`` for a render without workers: the parent takes every page, in order."""

    def __init__(self, pages: int):
        self.next, self.pages = 0, pages

    def front(self) -> int | None:
        if self.next >= self.pages:
            return None
        self.next += 1
        return self.next - 1

    def back(self) -> int | None:
        return None

    def stop(self) -> None:
        self.next = self.pages


def _worker_main(source, password: str | None, claims: _Claims, conn, dests: list[str], kw: dict) -> None:
    """A forked worker: render pages claimed from the back, write each on a writer thread, then report it.

    ``source``: a path, or the document's bytes (inherited from the parent by fork, not copied). Messages:
    ``(index, record)`` once a page is on disk, ``("error", key, params)``, and ``None`` last.
    """
    import queue
    import signal
    import threading

    import pypdfium2 as pdfium

    from tradeshield.evidence.fsutil import write_bytes

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: no traceback per worker

    def write(i: int, rec: dict, data: bytes) -> None:
        write_bytes(dests[i], data)
        conn.send((i, {**rec, "image": None, "path": dests[i]}))

    writer = _Jobs(queue.SimpleQueue(), threading)
    try:
        doc = pdfium.PdfDocument(source, password=password or None)
        bitmaps = BitmapPool()
        while (i := claims.back()) is not None:
            rec, data = render_page(doc, i, bitmaps=bitmaps, **kw)
            writer.submit(write, i, rec, data)
    except InputError as e:  # exceptions with keyword parameters do not survive pickling: send them as data
        writer.submit(conn.send, ("error", e.key, e.params))
    finally:
        writer.submit(conn.send, None)  # after every page's message: one thread sends them all, in order
        writer.close()
        conn.close()


class _Jobs:
    """One thread running jobs in order; a job that fails is dropped (a page write that fails is never reported,
    so the parent renders that page itself). concurrent.futures' one-worker pool without its import, ~10 ms a
    forked worker would otherwise spend before its first page."""

    def __init__(self, jobs, threading):
        self.jobs = jobs
        self.thread = threading.Thread(target=self._run, name="page-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            with contextlib.suppress(Exception):
                job[0](*job[1])

    def submit(self, fn, *args) -> None:
        self.jobs.put((fn, args))

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()


def worker_count(pages: int) -> int:
    """Processes to fork besides the parent (0: render in the parent alone)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if pages < 2 * PAGES_PER_WORKER:
        return 0  # before importing multiprocessing: a one-page invoice never needs it
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 0  # spawned workers re-import everything: not worth it for invoice-sized documents
    return max(0, min(cores, pages // PAGES_PER_WORKER) - 1)


def _warm_up(dpi: int) -> None:
    """Load, before forking, what every page needs: forked workers inherit it instead of each loading it again
    (fc-match and the caption font; Pillow's drawing module and the file-format plugins ``save`` loads)."""
    from PIL import Image, ImageDraw  # noqa: F401

    import tradeshield.imaging  # noqa: F401
    from tradeshield.fonts import load_font

    Image.preinit()
    load_font(max(14, int(dpi / 72 * 842 * 0.022)))


class PageRenderer:
    """Render every page of an open document; forked workers start on ``start()`` so the parent can do
    other work meanwhile (copy the evidence, read the text layer), then ``finish()`` has the parent render
    page 1 onwards until it meets the workers (see ``_Claims``). Every page is written atomically (the
    parent's on a writer thread, so no process waits for the disk between pages).

    ``source`` is what workers open: the path, or the document's bytes.
    """

    def __init__(self, doc, source, dests: list, *, dpi: int, sha256: str, name: str, password: str | None = None,
                 progress=None, workers: int | None = None):
        self.doc, self.password, self.progress = doc, password, progress
        self.source = source if isinstance(source, (bytes, bytearray, memoryview)) else str(source)
        self.dests = [str(d) for d in dests]
        self.new = [not os.path.exists(d) for d in self.dests]
        self.kw = {"dpi": dpi, "sha256": sha256, "name": name, "total": len(dests)}
        self.workers = worker_count(len(dests)) if workers is None else workers
        if self.workers > 0:
            import multiprocessing

            self.ctx = multiprocessing.get_context("fork")
            self.claims = _Claims(self.ctx, len(self.dests))
        else:
            self.ctx = None
            self.claims = _LocalClaims(len(self.dests))
        self.procs: list = []   # (process, connection, finished)
        self.writer = None
        self.bitmaps = BitmapPool()
        self.writes: list = []
        self.results: dict[int, dict] = {}

    def __enter__(self) -> "PageRenderer":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.claims.stop()  # workers finish the page in hand and leave
        for proc, conn, _ in self.procs:
            proc.join()
            conn.close()
        self.procs = []
        if self.writer is not None:
            self.writer.shutdown(wait=True)  # no page is left half-way through its atomic write
            self.writer = None
        self.bitmaps = None
        if exc_type is not None:  # a failed run leaves no new pages behind (a previous run's stay)
            for dest, new in zip(self.dests, self.new):
                if new:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(dest)

    def start(self) -> "PageRenderer":
        if self.workers <= 0 or len(self.dests) < 2:
            return self
        _warm_up(self.kw["dpi"])
        for _ in range(self.workers):
            mine, theirs = self.ctx.Pipe(duplex=False)
            proc = self.ctx.Process(target=_worker_main, name="page-renderer", daemon=True,
                                    args=(self.source, self.password, self.claims, theirs, self.dests, self.kw))
            proc.start()
            theirs.close()
            self.procs.append([proc, mine, False])
        return self

    def finish(self, on_first=None, after_page=None) -> list[dict]:
        """All page records in order, every page written; ``on_first(image)`` runs on page 1's pixels as soon
        as they exist, ``after_page()`` after every page this process renders (both while workers still render:
        what they do is taken off the end of the run)."""
        while (i := self.claims.front()) is not None:
            rec, data = render_page(self.doc, i, bitmaps=self.bitmaps, **self.kw)
            self._write(i, rec, data)
            if i == 0 and on_first is not None:
                on_first(rec["image"])
            if after_page is not None:
                after_page()
            self._collect(block=False)
        while not all(done for _, _, done in self.procs):
            self._collect(block=True)
        for w in self.writes:
            w.result()  # a failed write (disk full …) is raised here
        for i in range(len(self.dests)):
            if i not in self.results:  # a worker died mid-page (killed, out of memory): render it here
                rec, data = render_page(self.doc, i, bitmaps=self.bitmaps, **self.kw)
                self._write(i, rec, data)
                self.writes[-1].result()
        return [self.results[i] for i in range(len(self.dests))]

    def _write(self, i: int, rec: dict, data: bytes) -> None:
        from tradeshield.evidence.fsutil import write_bytes

        if self.writer is None:  # made after any fork: a thread does not survive one
            from concurrent.futures import ThreadPoolExecutor

            self.writer = ThreadPoolExecutor(1, thread_name_prefix="page-writer")
        self.writes.append(self.writer.submit(write_bytes, self.dests[i], data))
        self.results[i] = {**rec, "path": self.dests[i]}

    def _collect(self, block: bool) -> None:
        """Take the workers' messages; ``block``: wait until at least one worker has something to say."""
        live = [p for p in self.procs if not p[2]]
        if block and live:  # without workers (a short document) multiprocessing is never imported
            from multiprocessing.connection import wait

            wait([c for _, c, _ in live] + [proc.sentinel for proc, _, _ in live])
        for p in live:
            proc, conn, _ = p
            while not p[2] and conn.poll():
                try:
                    msg = conn.recv()
                except EOFError:  # the worker is gone without its last word: finish() renders what is missing
                    msg = None
                if msg is None:
                    p[2] = True
                elif msg[0] == "error":
                    raise InputError(msg[1], **msg[2])
                else:
                    self.results[msg[0]] = msg[1]
            if not p[2] and not proc.is_alive() and not conn.poll():
                p[2] = True
        if self.progress:
            self.progress(self.kw["name"], len(self.results), len(self.dests))
