"""Check sheets for screenshot chats: each message's crop from the original screenshot beside the parsed text.

    >>> from tradeshield.ocr.render import render_checks
    >>> pages = render_checks(case, messages)      # doctest: +SKIP
    >>> pages[0]["path"]                           # doctest: +SKIP
    'derived/chat/5d41402abc4b/check-01.jpg'

So a reader (the user, the platform's staff) can see that the text came from the picture: left the pixels of
the bubble as the screenshot shows them (the original is never changed), right the time, side, sender and text
read, and the recognition confidence — low ones in red.
"""
from __future__ import annotations

from tradeshield import i18n
from tradeshield.imaging import wrap_text

PAGE_W, PAGE_H = 1240, 1754
CROP_W = 560
MAX_PAGES = 20

i18n.register({
    "shot.check_title": ("截图识别核对（左：原图截取；右：识别结果）", "screenshot check (left: crop of the original; right: what was read)"),
    "shot.check_low": ("置信度低，请核对", "low confidence: check"),
})


def render_checks(case, messages, progress=None) -> list[dict]:
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font
    from tradeshield.imaging import save_case_pages

    by_sha = {e.sha256: e for e in case.evidence()}
    opened: dict[str, object] = {}
    font, small = load_font(26), load_font(20)
    pages, page, y = [], None, 0
    title = i18n.t("shot.check_title")

    def new_page():
        im = Image.new("RGB", (PAGE_W, PAGE_H), "white")
        ImageDraw.Draw(im).text((40, 30), title, font=font, fill=(0, 0, 0))
        return im, 90

    for m in messages:
        item = by_sha.get(m.source)
        if item is None or not m.box:
            continue
        if m.source not in opened:
            from tradeshield.photo import upright

            opened[m.source] = upright(Image.open(case.evidence_path(item)))
        src = opened[m.source]
        x0, y0, x1, y1 = m.box
        crop = src.crop((max(0, x0 - 6), max(0, y0 - 6), min(src.width, x1 + 6), min(src.height, y1 + 6)))
        scale = min(1.0, CROP_W / crop.width, 420 / crop.height)
        crop = crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))))
        lines = wrap_text(m.text, font, PAGE_W - CROP_W - 120)
        h = max(crop.height, 34 * (len(lines) + 1) + 10) + 24
        if page is None or y + h > PAGE_H - 30:
            if page is not None:
                pages.append(page)
            if len(pages) >= MAX_PAGES:
                page = None
                break
            page, y = new_page()
        d = ImageDraw.Draw(page)
        page.paste(crop, (40, y))
        d.rectangle((40, y, 40 + crop.width, y + crop.height), outline=(180, 180, 180))
        tx = 40 + CROP_W + 40
        head = f"{m.time.strftime('%Y-%m-%d %H:%M') if m.time else '—'}  {m.role}  {m.sender}  {m.confidence:.0%}"
        low = getattr(m, "low_confidence", False)
        d.text((tx, y), head + ("  " + i18n.t("shot.check_low") if low else ""), font=small,
               fill=(200, 0, 0) if low else (110, 110, 110))
        for k, ln in enumerate(lines):
            d.text((tx, y + 30 + 34 * k), ln, font=font, fill=(0, 0, 0))
        d.line((40, y + h - 12, PAGE_W - 40, y + h - 12), fill=(230, 230, 230))
        y += h
    if page is not None:
        pages.append(page)
    sha0 = messages[0].source if messages else "none"
    out = save_case_pages(case, pages, f"chat/{sha0[:12]}/check", progress)
    if out:
        case.record_derived([case.root / i["path"] for i in out], action="chat-screenshot-check",
                            sources=sorted({m.source for m in messages}), params={"pages": len(out)})
    return out
