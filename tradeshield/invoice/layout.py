"""Fields by position on the page: text boxes (PDF characters, OFD text codes, OCR lines) → rows → fields.

    >>> from tradeshield.invoice.layout import extract_fields
    >>> items = [("发票号码：", (440, 33, 477, 40), 1.0), ("开票日期：", (440, 50, 477, 57), 1.0),
    ...          ("25447000001115703415", (482, 33, 571, 40), 1.0), ("2025年09月23日", (482, 50, 543, 57), 1.0)]
    >>> doc = extract_fields(items)
    >>> doc["fields"]["invoice_number"]["value"], doc["fields"]["date"]["value"], doc["fields"]["date"]["box"]
    ('25447000001115703415', '2025-09-23', [482.0, 50.0, 543.0, 57.0])

Real e-invoice files do not keep a label next to its value in text order: a 2020-era PDF lists every label
first and every value after; a 数电 OFD keeps the labels in its template layer and the values on the page.
What they do keep is the geometry. So every source is turned into the same thing — a list of
``(text, box, confidence)`` items, box ``(x0, y0, x1, y1)`` with y growing downwards, in any unit (PDF
points, OFD millimetres, image pixels) — and the items are put back into rows by their vertical position,
left to right, with a wide gap kept as a column break. A label whose row holds nothing after it takes the
cell right below it (layouts that print the value under the label). The vertical block marks
(购买方/销售方信息, one character per line at the left of each block) are found by geometry and decide
whether a 名称 belongs to the buyer or the seller. The rows are then read by the label rules of
``fields.parse_lines``, and every field gets back the ``box`` and ``page`` of the characters its value
was read from, and the lowest ``confidence`` among them when that is below 1 (OCR).

OCR'd receipts (issue 18) call ``extract_fields`` with their recognised lines; PDF and OFD readers call
``extract_pages`` with one list of items per page.
"""
from __future__ import annotations

import re
from statistics import median

MARK_WORDS = {"购买方": "buyer", "购买方信息": "buyer", "购方": "buyer", "销售方": "seller", "销售方信息": "seller",
              "销方": "seller", "密码区": None, "备注": None}
# a label with nothing after it in its row may take the cell below (value printed under the label)
CELL_LABEL_RE = re.compile(
    r"\s*(发票号码|发票代码|开票日期|校验码|机器编号|名称|纳税人识别号|统一社会信用代码/纳税人识别号|流水号|交易流水号|凭证号|"
    r"订单号|订单编号|交易单号|单号|金额|收款金额|支付金额|付款金额|交易金额|实付金额|收款方|收款人|付款方|交易时间|"
    r"付款时间|支付时间|收款时间|日期|价税合计\s*[(（]\s*大写\s*[)）]|[(（]\s*小写\s*[)）]|"
    r"Amount|Date|Payee|Reference|Serial\s*No\.?)\s*[:：]?\s*$", re.I)


class Row:
    """One line of text rebuilt from positions: ``text`` and, per character, its box (None for a gap)."""

    __slots__ = ("text", "boxes", "confs", "page", "top", "bottom", "roles")

    def __init__(self, page: int):
        self.text, self.boxes, self.confs, self.page, self.roles = "", [], [], page, []
        self.top = self.bottom = 0.0

    def add(self, text: str, box, conf: float, role=None) -> None:
        self.text += text
        self.boxes.extend([box] * len(text))
        self.confs.extend([conf] * len(text))
        self.roles.extend([role] * len(text))

    def span(self, start: int, end: int):
        """(box, confidence) of characters start..end (union of their boxes)."""
        boxes = [b for b in self.boxes[start:end] if b is not None]
        if not boxes:
            return None, None
        confs = [c for c, b in zip(self.confs[start:end], self.boxes[start:end]) if b is not None]
        box = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]
        return [round(v, 2) for v in box], min(confs)


def _box(box) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) from a rectangle or from four corner points (OCR quadrilaterals)."""
    if len(box) == 4 and not isinstance(box[0], (int, float)):
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _fast_box(box):
    if type(box) is tuple and len(box) == 4 and type(box[0]) is float:
        return box
    return _box(box)


def _glyphs(items) -> list[tuple]:
    """One (char, x0, y0, x1, y1, conf, space before) per visible character. An item may carry its own per-character boxes as a
    fourth element; otherwise its box is shared out evenly along its width (or height, for a tall narrow item
    of several characters: vertical text)."""
    out = []
    for it in items:
        text, box, conf = it[0], _fast_box(it[1]), float(it[2]) if len(it) > 2 and it[2] is not None else 1.0
        chars = it[3] if len(it) > 3 and it[3] is not None else None
        text = text or ""
        if chars is not None and len(chars) == len(text):
            sp = False
            for ch, b in zip(text, chars):
                if ch.isspace():
                    sp = True
                else:
                    out.append((ch, *_fast_box(b), conf, sp))
                    sp = False
            continue
        n = len(text)
        if n == 0:
            continue
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        vertical = n > 1 and h > 1.6 * w * 1 and h / n > 0.6 * w and w < h / n * 1.6
        sp = False
        for i, ch in enumerate(text):
            if ch.isspace():  # a space inside an item (an OCR line "Total: $149.79", a PDF gap) is kept
                sp = i > 0
                continue
            if vertical:
                out.append((ch, x0, y0 + h * i / n, x1, y0 + h * (i + 1) / n, conf, False))
            else:
                out.append((ch, x0 + w * i / n, y0, x0 + w * (i + 1) / n, y1, conf, sp))
            sp = False
    return out


def _marks(glyphs) -> tuple[list, set]:
    """Vertical block marks: single characters stacked in a column spelling 购买方(信息) / 销售方(信息) / 密码区 / 备注.
    Returns ([(role, x1, top, bottom)], indices of the glyphs that form them)."""
    firsts = {w[0] for w in MARK_WORDS}
    starts = [i for i, g in enumerate(glyphs) if g[0] in firsts]
    if not starts:
        return [], set()
    # glyphs by line (centre in buckets of ~half a line height) and, for the mark words' letters, by character
    unit = max(1e-3, median(g[4] - g[2] for g in glyphs) / 2)
    by_y: dict[int, list[int]] = {}
    by_char: dict[str, list[int]] = {}
    letters = {ch for w in MARK_WORDS for ch in w}
    for i, g in enumerate(glyphs):
        by_y.setdefault(int((g[2] + g[4]) / 2 // unit), []).append(i)
        if g[0] in letters:
            by_char.setdefault(g[0], []).append(i)

    def near(index: dict, v: float) -> list[int]:
        k = int(v // unit)
        return index.get(k - 1, []) + index.get(k, []) + index.get(k + 1, [])

    marks, used = [], set()
    for i in sorted(starts, key=lambda i: (glyphs[i][1], glyphs[i][2])):
        if i in used:
            continue
        h = glyphs[i][4] - glyphs[i][2]
        chain, cur = [i], i
        while len(chain) < 5:  # the next character of the column: below, same x, within ~3 line heights
            c = glyphs[cur]
            so_far = "".join(glyphs[j][0] for j in chain)
            wanted = {w[len(so_far)] for w in MARK_WORDS if len(w) > len(so_far) and w.startswith(so_far)}
            nxt = [j for ch in wanted for j in by_char.get(ch, ()) if abs(glyphs[j][1] - c[1]) < 0.6 * h
                   and 0 < glyphs[j][2] - c[2] < 3.2 * h and glyphs[j][3] - glyphs[j][1] < 1.6 * h]
            if not nxt:
                break
            cur = min(nxt, key=lambda j: glyphs[j][2])
            chain.append(cur)
        word = "".join(glyphs[j][0] for j in chain)
        best = max((w for w in MARK_WORDS if word.startswith(w)), key=len, default=None)
        if best is None:
            continue
        chain = chain[:len(best)]
        # a mark stands alone: nothing else sits right next to it on its first character's line
        c0 = glyphs[chain[0]]
        cy0 = (c0[2] + c0[4]) / 2
        if any(j not in chain and abs((glyphs[j][2] + glyphs[j][4]) / 2 - cy0) < 0.4 * h
               and 0 <= glyphs[j][1] - c0[3] < 0.3 * h for j in near(by_y, cy0)):
            continue
        top, bottom = glyphs[chain[0]][2], glyphs[chain[-1]][4]
        marks.append((MARK_WORDS[best], max(glyphs[j][3] for j in chain), top - h, bottom + h))
        used.update(chain)
    return marks, used


def _role(marks, x: float, y: float):
    best = None
    for role, mx1, top, bottom in marks:
        if mx1 <= x + 0.5 and top <= y <= bottom and (best is None or mx1 > best[1]):
            best = (role, mx1)
    return best[0] if best else None


def rows_of(items, page: int = 1) -> list[Row]:
    """The items of one page as rows of text, top to bottom."""
    glyphs = _glyphs(items)
    if not glyphs:
        return []
    marks, used = _marks(glyphs)
    rest = [g for i, g in enumerate(glyphs) if i not in used]
    rest.sort(key=lambda g: g[2] + g[4])
    groups: list[list] = []
    sy = sh = 0.0  # sums of the current row's glyph centres and heights
    for g in rest:
        cy, h = (g[2] + g[4]) / 2, g[4] - g[2]
        if groups:
            n = len(groups[-1])
            gy, gh = sy / n, sh / n
            lo, hi = min(h, gh), max(h, gh)
            # text of another size (a small label beside a big title) must share the centre line more closely
            tol = 0.45 * lo + 0.05 * hi if hi < 1.5 * lo else 0.2 * lo
            if abs(cy - gy) <= tol:
                groups[-1].append(g)
                sy, sh = sy + cy, sh + h
                continue
        groups.append([g])
        sy, sh = cy, h
    rows = []
    for grp in groups:
        grp.sort(key=lambda g: g[1])
        h = median(g[4] - g[2] for g in grp) or 1.0
        row = Row(page)
        row.top, row.bottom = min(g[2] for g in grp), max(g[4] for g in grp)
        # letter-spaced text (characters placed one by one with tracking) has a wide gap between every two
        # characters: what counts as a space is measured against the row's usual gap
        gaps = [max(0.0, b[1] - a[3]) for a, b in zip(grp, grp[1:])]
        usual = median(gaps) if gaps else 0.0
        space, column = max(0.3 * h, 1.8 * usual), max(1.5 * h, 3.5 * usual)
        spaced = _letter_spaced(gaps, h) if gaps and max(gaps) > space else None
        prev = None
        for i, (ch, x0, y0, x1, y1, conf, sp) in enumerate(grp):
            if prev is not None:
                gap = x0 - prev[3]
                if spaced is not None and spaced[i - 1]:
                    pass  # inside a letter-spaced run (one value drawn with tracking): no break
                elif gap > column:
                    row.add("  ", None, 1.0)  # a column break: values end here
                elif gap > space or sp and gap > max(-0.3 * h, 1.3 * usual):
                    row.add(" ", None, 1.0)
                elif spaced is not None and gap > h and gap > 3 * min(gaps[max(0, i - 2):i + 1]) \
                        and not _alike(gaps, i - 1, h):
                    # letter-spaced runs widen the row's usual gap; beside tighter text (a price after its
                    # quantity) a gap three times that text's own, like neither neighbour, is still a break
                    row.add(" ", None, 1.0)
            row.add(ch, (x0, y0, x1, y1), conf, _role(marks, x0, (y0 + y1) / 2) if marks else None)
            prev = (ch, x0, y0, x1, y1)
        rows.append(row)
    return rows + _cells_below(rows)


def _letter_spaced(gaps: list[float], h: float) -> list[bool]:
    """Which gaps lie inside a letter-spaced run: characters set one by one with a uniform wide gap (tracking),
    as OFD→PDF converters and some issuers draw every value — ``9 2 5 1 0 1 2 4 M A 6 B …`` is one tax ID and
    ``*现 代 服 务*`` one item name. A run is at least three gaps in a row, each wider than a word space
    (0.5–2.5 line heights) and each close to the next; a lone wide gap (between a quantity and a price, or a
    word space in ordinary text) is not part of one, nor are a table's evenly spread headers (wider gaps). An OCR
    line's characters share its box without gaps, so OCR words, however evenly set, never form such a run."""
    n = len(gaps)
    out = [False] * n
    wide = [0.5 * h <= g <= 2.5 * h for g in gaps]
    k = 0
    while k < n:
        if not wide[k]:
            k += 1
            continue
        j = k
        while j + 1 < n and wide[j + 1] and _close(gaps[j], gaps[j + 1], h):
            j += 1
        if j - k + 1 >= 3:
            out[k:j + 1] = [True] * (j - k + 1)
        k = j + 1
    return out


def _close(a: float, b: float, h: float) -> bool:
    return abs(a - b) <= 0.2 * max(a, b) + 0.1 * h


def _alike(gaps: list[float], k: int, h: float) -> bool:
    """Gap k continues the spacing of a neighbouring gap (a short letter-spaced label such as ``名 称 ：``)."""
    return any(0 <= j < len(gaps) and _close(gaps[k], gaps[j], h) for j in (k - 1, k + 1))


def _cells_below(rows: list[Row]) -> list[Row]:
    """Extra rows "label value" for labels that end their row segment with nothing after them, taking the
    text right under the label (overlapping it horizontally, within ~2.5 line heights)."""
    out: list[Row] = []
    paired: list[tuple[Row, int, int]] = []
    for ri, row in enumerate(rows):
        segs = list(_segments(row.text))
        if sum(1 for s, e in segs if CELL_LABEL_RE.fullmatch(row.text[s:e])) >= 3 or len(segs) >= 6:
            continue  # a table header (名称 规格 单位 数量 金额 …): its values are the rows below, read as items
        for k, (seg_start, seg_end) in enumerate(segs):
            seg = row.text[seg_start:seg_end]
            m = CELL_LABEL_RE.fullmatch(seg)
            if not m:
                continue
            # text after it in its row is its value — unless a value on a shifted baseline starts nearer (a
            # stray mark at the page edge must not stand in for the tax ID printed right after the label)
            in_row = k + 1 < len(segs) and not CELL_LABEL_RE.fullmatch(row.text[segs[k + 1][0]:segs[k + 1][1]])
            lb, _ = row.span(seg_start + m.start(), seg_start + m.end())
            if lb is None:
                continue
            h = lb[3] - lb[1]
            label_end = seg_start + m.end()
            # the same row to the right: text set a little higher or lower than the label (another font's
            # baseline) lands in a row of its own that overlaps the label's vertically
            nxt = [s for s, e in segs if s > seg_end]
            limit = row.span(nxt[0], nxt[0] + 1)[0][0] if nxt and row.span(nxt[0], nxt[0] + 1)[0] else float("inf")
            right = None
            for other in rows:
                if other is row or other.page != row.page:
                    continue
                overlap = min(other.bottom, lb[3]) - max(other.top, lb[1])
                if overlap < 0.3 * h:
                    continue
                for s, e in _segments(other.text):
                    vb, _ = other.span(s, e)
                    if vb and lb[2] - 0.5 * h <= vb[0] < limit and not CELL_LABEL_RE.search(other.text[s:e]) and (
                            right is None or vb[0] < right[0]):
                        right = (vb[0], other, s, e)
            if right is not None:
                out.append(_pair(row, seg_start + m.start(), label_end, right[1], right[2], right[3]))
                paired.append((row, seg_start + m.start(), label_end))
                continue
            if in_row:
                continue
            for below in rows[ri + 1:]:
                if below.top - lb[3] > 2.5 * h:
                    break
                for s, e in _segments(below.text):
                    vb, _ = below.span(s, e)
                    if vb and vb[0] < lb[2] + 2 * h and vb[2] > lb[0] - h and not CELL_LABEL_RE.search(below.text[s:e]):
                        out.append(_pair(row, seg_start + m.start(), label_end, below, s, e))
                        paired.append((row, seg_start + m.start(), label_end))
                        break
                else:
                    continue
                break
    for row, a, b in paired:  # the label now lives in its "label value" row: an empty copy would read as a value
        row.text = row.text[:a] + " " * (b - a) + row.text[b:]
    return out


def _pair(row: Row, a: int, b: int, other: Row, s: int, e: int) -> Row:
    """A row "label value" from the label row[a:b] and the value other[s:e]."""
    cell = Row(row.page)
    cell.top, cell.bottom = min(row.top, other.top), max(row.bottom, other.bottom)
    cell.text = row.text[a:b] + " " + other.text[s:e]
    cell.boxes = row.boxes[a:b] + [None] + other.boxes[s:e]
    cell.confs = row.confs[a:b] + [1.0] + other.confs[s:e]
    cell.roles = row.roles[a:b] + [None] + other.roles[s:e]
    return cell


def _segments(text: str):
    """(start, end) of the parts of a row between column breaks."""
    start = 0
    for m in re.finditer(r"\s{2,}", text):
        if m.start() > start:
            yield start, m.start()
        start = m.end()
    if start < len(text):
        yield start, len(text)


def extract_pages(pages, *, max_pages: int | None = None) -> dict:
    """``{"type", "fields", "checks"}`` from the items of several pages (a list of item lists, page 1 first)."""
    rows: list[Row] = []
    for n, items in enumerate(pages, 1):
        if max_pages is not None and n > max_pages:
            break
        rows.extend(rows_of(items, n))
    return parse_rows(rows)


def extract_fields(items, *, page: int = 1) -> dict:
    """``{"type", "fields", "checks"}`` from one page's ``(text, box, confidence)`` items (box: x0, y0, x1, y1 with y
    downwards, or four corner points; any unit). Each field carries ``value``, ``source_text`` (the row it was
    read from), ``page``, ``box`` and, below 1, ``confidence``."""
    rows = rows_of(items, page)
    return parse_rows(rows)


def parse_rows(rows: list[Row]) -> dict:
    from tradeshield.invoice.fields import normalize, parse_lines

    lines = []
    keep = []
    for r in rows:
        norm = normalize(r.text)
        if norm:
            lines.append((r.text.strip(), norm))
            keep.append(r)

    def role_at(i: int, offset: int):
        row = keep[i]
        stripped = len(row.text) - len(row.text.lstrip())
        j = offset + stripped
        roles = row.roles[j:j + 6]
        for r in roles:
            if r:
                return r
        return None

    doc = parse_lines(lines, role_at=role_at)
    locate(doc["fields"], keep)
    return doc


def locate(fields: dict, rows: list[Row]) -> None:
    """Add ``page`` and ``box`` (and ``confidence`` below 1) to each field from the row its source text names."""
    by_text: dict[str, list[Row]] = {}
    for r in rows:
        by_text.setdefault(r.text.strip(), []).append(r)
    for key, f in fields.items():
        if key == "items":
            taken = {k: list(v) for k, v in by_text.items()}  # identical item rows: each takes the next one
            for it in f.get("value") or []:
                _place(it, taken, it.get("name"), consume=True)
            boxes = [it["box"] for it in f.get("value") or [] if it.get("box")]
            if boxes:
                f["page"] = (f["value"][0].get("page"))
        else:
            _place(f, by_text, f.get("value"))


def _place(f: dict, by_text: dict, value, consume: bool = False) -> None:
    src = (f.get("source_text") or "").split("\n")[0]
    cands = by_text.get(src)
    if not cands:
        return
    row = cands.pop(0) if consume and len(cands) > 1 else cands[0]
    text = row.text
    off = len(text) - len(text.lstrip())
    start = end = None
    for probe in _probes(value):
        i = text.find(probe)
        if i >= 0:
            start, end = i, i + len(probe)
            break
    if start is None:
        start, end = off, len(text)
    box, conf = row.span(start, end)
    f["page"] = row.page
    if box:
        f["box"] = box
    if conf is not None and conf < 1:
        f["confidence"] = round(conf, 3)


def _probes(value):
    if value is None or isinstance(value, (list, dict)):
        return []
    v = str(value)
    out = [v]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", v):
        y, m, d = v[:4], v[5:7], v[8:10]
        out += [f"{y}年{m}月{d}日", f"{y}年{int(m)}月{int(d)}日", f"{y}-{m}-{d}", f"{y}/{m}/{d}", f"{y}.{m}.{d}"]
    if re.fullmatch(r"-?\d+\.\d{2}", v):
        out += [f"{float(v):,.2f}", v.rstrip("0").rstrip(".")]
    if re.fullmatch(r"\d{20}", v):
        out.append(" ".join(v[i:i + 5] for i in range(0, 20, 5)))
    return out


# ---------------------------------------------------------------- PDF characters

def pdf_page_items(page, textpage=None) -> list[tuple]:
    """Items (one per character, with pdfium's loose character box) of a pypdfium2 page, y downwards in points."""
    tp = textpage or page.get_textpage()
    try:
        n = tp.count_chars()
        if n <= 0:
            return []
        text = tp.get_text_range(0, n)
        if len(text) != n:  # characters outside the BMP: read one at a time
            text = "".join(tp.get_text_range(i, 1)[:1] or " " for i in range(n))
        height = page.get_height()
        items = []
        space = False
        for i, ch in enumerate(text):
            if ch in " \t\u3000\xa0":  # a space in the text (the file's own, or one pdfium put at a gap)
                space = True
                continue
            if ch.isspace() or ch == "\ufffe":
                space = False
                continue
            # the loose box (font ascent to descent) keeps a line's characters at one height
            left, bottom, right, top = tp.get_charbox(i, loose=True)
            if right <= left or top <= bottom:
                continue
            box = (left, height - top, right, height - bottom)
            items.append((" " + ch, box, 1.0, (box, box)) if space else (ch, box, 1.0))
            space = False
        return items
    finally:
        if textpage is None:
            tp.close()
