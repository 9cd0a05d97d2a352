"""One chat screenshot's layout: which text is a bubble, on which side, what is chrome, separator, system line.

    >>> from tradeshield.ocr.layout import analyse
    >>> blocks, info = analyse(rgb_array, lines)            # doctest: +SKIP
    >>> [(b["kind"], b.get("role"), b["text"]) for b in blocks][:2]   # doctest: +SKIP
    [('sep', None, '昨天 20:11'), ('text', 'them', '还在吗？')]

Works from the pixels and the OCR lines only, the same way for every app:
- the chat background is the colour of the screen's outer margins (bubbles and avatars never reach them);
  the rows at the top and bottom whose margins are not that colour are the status/navigation bar and the
  input bar or keyboard, and are ignored. Where the navigation bar has the chat's own colour (微信), the
  centred title line near the top marks it; the title is kept as the other side's name;
- a text line whose surroundings are not the background sits in a bubble: the bubble is found by flood fill
  from just beside the text (``cv2.floodFill``), lines in one bubble are one message, and the bubble's
  position gives the side (nearer the left edge: them; nearer the right: me); its fill colour is checked
  against the other bubbles of that side;
- a bubble whose top or bottom edge is a straight cut (no rounded corner) or that touches the chat area's
  edge is only partly visible and is left to a neighbouring screenshot;
- centred lines are time separators (when they read as a time) or system lines; a small line just above a
  left bubble and aligned with it is a group nickname; other small lines beside bubbles ("已读") are marks;
- a large non-background block without text beside an avatar is a picture or sticker (``[图片]``); a block
  almost as wide as the screen is an order card, read as a fact (title, price, status), not a message.
"""
from __future__ import annotations

import re

VERSION = 15
_CLOCK = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}\s*(?:AM|PM|am|pm)?$")     # a separator ends in a clock time
# a row's own time in the forwarded 聊天记录 view: a clock, maybe after a date or 上午/下午 (下午3:59, 05-26 20:11,
# 2021-05-26 20:11:33, 昨天 20:11)
_STAMP = re.compile(r"^(?:\d{4}\s*[-/.年]\s*)?(?:\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)?\s*(?:今天|昨天|前天|(?:星期|周)[一二三四五六日天])?"
                    r"\s*(?:凌晨|早上|上午|中午|下午|晚上)?\s*\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?\s*(?:AM|PM|am|pm)?$")
DATE_ONLY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_PRICE = re.compile(r"[¥￥]\s*\d[\d,]*(?:\.\d{1,2})?")
_STATUS = ("交易成功", "交易关闭", "待发货", "已发货", "待收货", "待付款", "退款中", "退款成功", "已签收", "待评价",
           "已完成", "已付款")


def _dist(a, b) -> float:
    return float(max(abs(int(a[0]) - int(b[0])), abs(int(a[1]) - int(b[1])), abs(int(a[2]) - int(b[2]))))


def _median(px):
    import numpy as np

    px = px.reshape(-1, 3)
    return tuple(int(v) for v in np.median(px, axis=0)) if len(px) else (0, 0, 0)


def background(arr) -> tuple:
    h, w, _ = arr.shape
    m = max(2, int(w * 0.018))
    strip = arr[int(h * 0.25):int(h * 0.75), 1:m]
    return _median(strip)


def chrome(arr, bg, tol: float = 6) -> tuple[int, int]:
    """(top, bottom) of the chat area: the run of rows around the middle whose outer margins are background."""
    import numpy as np

    h, w, _ = arr.shape
    m = max(2, int(w * 0.018))
    ref = np.array(bg, np.int16)
    # a bar (status, title, input, keyboard) spans the whole width; a bubble or picture can reach one side of a
    # tightly cropped screenshot (a real one cut to the bubbles), so one clear side margin is enough
    left = (np.abs(arr[:, 1:m].astype(np.int16) - ref).max(axis=2) <= tol).mean(axis=1) > 0.9
    right = (np.abs(arr[:, w - m:w - 1].astype(np.int16) - ref).max(axis=2) <= tol).mean(axis=1) > 0.9
    ok = left | right
    mid = h // 2
    if not ok[mid]:
        cand = np.flatnonzero(ok)
        if not len(cand):
            return 0, h
        mid = int(cand[np.argmin(np.abs(cand - mid))])
    top = mid
    while top > 0 and (ok[top - 1] or (top > 3 and ok[top - 4:top - 1].any())):
        top -= 1
    bot = mid
    while bot < h - 1 and (ok[bot + 1] or (bot < h - 4 and ok[bot + 2:bot + 5].any())):
        bot += 1
    return top, bot + 1


def _ring(arr, box, pad):
    h, w, _ = arr.shape
    x0, y0, x1, y1 = box
    parts = []
    for xa, xb in ((x0 - pad - 3, x0 - pad), (x1 + pad, x1 + pad + 3)):
        xa, xb = max(0, xa), min(w, xb)
        if xb > xa:
            parts.append(arr[max(0, y0):min(h, y1), xa:xb].reshape(-1, 3))
    import numpy as np

    return _median(np.concatenate(parts)) if parts else (0, 0, 0)


def _seed(arr, box, fill, pad):
    """A pixel of the bubble's own colour just beside a text line: left of it, else right of it, moving out
    a few pixels past a JPEG's ringing around the glyphs (a real screenshot saved as JPEG)."""
    h, w, _ = arr.shape
    cy = int((box[1] + box[3]) / 2)
    for step in range(0, 3 * pad + 2, max(1, pad // 2)):
        for x in (box[0] - pad - 1 - step, box[2] + pad + 1 + step):
            if 0 <= x < w and _dist(arr[cy, x], fill) <= 3:
                return (x, cy)
    return None


def _flood(arr, seed, top, bottom, tol=8, text_boxes=()):
    """Bounding rect (x0, y0, x1, y1) of the region of ``seed``'s colour inside the chat area, and how much of
    its top and bottom rows it fills (a rounded bubble: well under 1; one cut by the screen edge: 1)."""
    import cv2
    import numpy as np

    h, w, _ = arr.shape
    mask = np.zeros((h + 2, w + 2), np.uint8)
    mask[:top + 1] = 1          # the fill stops at the chat area's edges (a bar of the bubble's colour)
    mask[bottom + 1:] = 1
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
    _, _, _, (x, y, rw, rh) = cv2.floodFill(arr, mask, seed, (0, 0, 0), (tol,) * 3, (tol,) * 3, flags)
    region = (mask[1:-1, 1:-1] == 255).astype(np.uint8) * 255
    top_fill = float(region[y, x:x + rw].mean()) / 255 if rw else 0
    bot_fill = float(region[y + rh - 1, x:x + rw].mean()) / 255 if rw else 0
    # a rounded corner starts its edge row further in than the rows below it; a cut edge does not
    k = max(2, min(rh // 4, int(0.02 * w)))
    if rh > 2 * k and _square_edge(region, x, x + rw, y, y + k):
        top_fill = 1.0
    if rh > 2 * k and _square_edge(region, x, x + rw, y + rh - 1, y + rh - 1 - k):
        bot_fill = 1.0
    # a bubble is a rounded rectangle: points 10 % in from its corners are inside it; a round sticker's are not
    # (the text read on it is part of it: a large font's glyphs may cover those points)
    if text_boxes:
        region = region.copy()
        for bx0, by0, bx1, by1 in text_boxes:
            if x <= bx0 and bx1 <= x + rw and y <= by0 and by1 <= y + rh:
                region[int(by0):int(by1), int(bx0):int(bx1)] = 255
    dx, dy = max(rw // 10, int(0.025 * w)), max(1, rh // 10)      # (past the little tail beside the avatar)
    # (a small patch, not one pixel: the point may fall on a glyph of a long line of text)
    # (and at a few depths: in a large font a glyph can cover one patch; a circle's box corners stay outside it
    # to 0.14 in)
    r = max(2, int(0.004 * w))

    def inside(cx, cy, sx, sy):
        return any(region[max(0, yy - r):yy + r + 1, max(0, xx - r):xx + r + 1].mean() > 0.25 * 255
                   for k in (1.0, 1.4) for xx, yy in ((cx + sx * int(dx * k), cy + sy * int(dy * k)),))

    corners = sum(int(inside(cx, cy, sx, sy)) for cy, sy in ((y, 1), (y + rh - 1, -1))
                  for cx, sx in ((x, 1), (x + rw - 1, -1)))
    return (x, y, x + rw, y + rh), top_fill, bot_fill, corners, _holes(region, x, y, rw, rh, w)


def _holes(region, x, y, rw, rh, w) -> list:
    """Pictures inside a bubble (QQ sends text and pictures in one bubble): large parts of its box that are
    neither its colour nor text, away from its edges."""
    import cv2
    import numpy as np

    f = 4
    inv = (region[y:y + rh:f, x:x + rw:f] == 0).astype(np.uint8)
    if inv.size == 0 or inv.mean() < 0.05:
        return []
    n, _, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=8)
    out = []
    for i in range(1, n):
        hx, hy, hw, hh, area = stats[i]
        if hw * f < 0.12 * w or hh * f < 0.12 * w or area < 0.6 * hw * hh:
            continue
        if hx == 0 or hy == 0 or hx + hw >= inv.shape[1] or hy + hh >= inv.shape[0]:
            continue            # the outside of a rounded corner, not a hole
        out.append([int(x + hx * f), int(y + hy * f), int(x + (hx + hw) * f), int(y + (hy + hh) * f)])
    return out


_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_FULL = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"}


def cjk_punct(text: str) -> str:
    """ASCII , ? ! : ; ( ) next to a Chinese character as the full-width marks a Chinese keyboard types
    (OCR reads "，" and "," alike; the apps show what was typed, and Chinese text is typed full-width)."""
    return re.sub(rf"(?<={_CJK})[,?!:;()]|[,?!:;()](?={_CJK})", lambda m: _FULL[m.group(0)], text)


def _square_edge(region, x0, x1, edge: int, inner: int) -> bool:
    import numpy as np

    a = np.flatnonzero(region[edge, x0:x1])
    b = np.flatnonzero(region[inner, x0:x1])
    if not len(a) or not len(b):
        return False
    return a[0] - b[0] <= 1 and b[-1] - a[-1] <= 1


def _join(parts: list[str]) -> str:
    out = ""
    for p in parts:
        p = p.strip()
        if out and p and out[-1].isascii() and (out[-1].isalnum() or out[-1] in ",.!?;:") and p[0].isascii() \
                and p[0].isalnum():
            out += " "
        out += p
    return out


def text_rows(lines):
    """Lines grouped into visual rows (similar centre y), each row left to right."""
    rows = []
    for ln in sorted(lines, key=lambda l: (l.box[1] + l.box[3]) / 2):
        cy = (ln.box[1] + ln.box[3]) / 2
        if rows and abs(rows[-1][0] - cy) < 0.4 * (ln.box[3] - ln.box[1]):
            rows[-1][1].append(ln)
        else:
            rows.append([cy, [ln]])
    return [sorted(r[1], key=lambda l: l.box[0]) for r in rows]


def mask_emoji(arr):
    """A copy of the screen with emoji faces painted over by their surroundings, and their boxes.

    Inline emoji are pictures; OCR reads a face as 日, 田 or 8. Yellow round blobs about the size of a text
    line (HSV hue 10-35, saturated, bright) are found and filled with the median colour around them before
    OCR. On a yellow bubble (闲鱼) a face merges with the bubble and is left as it is."""
    import cv2
    import numpy as np

    hsv = cv2.cvtColor(arr, cv2.COLOR_RGB2HSV)
    yellow = cv2.inRange(hsv, (10, 110, 150), (35, 255, 255))
    n, _, stats, _ = cv2.connectedComponentsWithStats(yellow, connectivity=8)
    h, w, _ = arr.shape
    lo, hi = 0.02 * w, 0.075 * w          # text lines are ~0.045 × the screen width
    boxes = []
    out = None
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if not (lo <= bw <= hi and lo <= bh <= hi and 0.75 <= bw / bh <= 1.33 and area > 0.45 * bw * bh):
            continue
        # a face sits on a bubble of another colour; a yellow patch inside yellow (the counter of 图 or 回
        # on a 闲鱼/淘宝 bubble) does not
        d = int(bw * 0.6)
        around = np.concatenate([arr[max(0, y - d):max(0, y - d) + 2, x:x + bw].reshape(-1, 3),
                                 arr[min(h - 2, y + bh + d):min(h, y + bh + d + 2), x:x + bw].reshape(-1, 3),
                                 arr[y:y + bh, max(0, x - d):max(0, x - d) + 2].reshape(-1, 3),
                                 arr[y:y + bh, min(w - 2, x + bw + d):min(w, x + bw + d + 2)].reshape(-1, 3)])
        if len(around) and cv2.inRange(cv2.cvtColor(around.reshape(1, -1, 3), cv2.COLOR_RGB2HSV),
                                       (5, 90, 110), (40, 255, 255)).mean() > 0.25 * 255:
            continue
        if out is None:
            out = np.array(arr, copy=True)
        g = max(2, bw // 8)
        x0, y0, x1, y1 = max(0, x - g), max(0, y - g), min(w, x + bw + g), min(h, y + bh + g)
        ring = np.concatenate([out[y0:y1, max(0, x0 - 3):x0].reshape(-1, 3), out[y0:y1, x1:x1 + 3].reshape(-1, 3)])
        out[y0:y1, x0:x1] = np.median(ring, axis=0).astype(np.uint8) if len(ring) else 255
        boxes.append([int(x0), int(y0), int(x1), int(y1)])
    return (arr if out is None else out), boxes


def analyse(arr, lines) -> tuple[list[dict], dict]:
    """Blocks top to bottom (dicts: kind, box, text, role?, score, fill?, cut?) and screen info."""
    import cv2
    import numpy as np

    arr = np.array(arr, dtype=np.uint8, order="C")      # writable: cv2.floodFill wants one (mask-only: unchanged)
    h, w, _ = arr.shape
    bg = background(arr)
    top, bottom = chrome(arr, bg)
    info = {"bg": list(bg), "size": [w, h], "chat_top": top, "chat_bottom": bottom, "title": None,
            "dark": sum(bg) < 3 * 90}
    measured = True         # the top edge is a colour change, not an estimate from the title
    record = record_view(arr, lines, bg, top, bottom)
    if record is not None:              # the forwarded 聊天记录 view: rows, not bubbles
        info["view"] = "record"
        first = min((b["box"][1] for b in record if b.get("record")), default=bottom)
        titles = [b for b in record if b["kind"] == "centre" and b["box"][3] <= first
                  and not DATE_ONLY.match(b["text"]) and not _CLOCK.search(b["text"])]
        if titles:          # the navigation bar's title (「群聊」的聊天记录), not a line of the chat
            info["title"] = titles[0]["text"]
            record = [b for b in record if b not in titles]
        return [_plain(b) for b in record], _plain(info)
    # 微信-like screens: the navigation bar has the chat's colour; its centred title marks where the chat starts
    # (in widths, not heights: a long capture is a phone screen with a very long middle)
    heads = [ln for ln in lines if (ln.box[1] + ln.box[3]) / 2 < max(top, 0) + 0.29 * w
             and abs((ln.box[0] + ln.box[2]) / 2 - w / 2) < 0.08 * w and (ln.box[3] + ln.box[1]) / 2 > 0.045 * w
             and not _CLOCK.search(ln.text.strip())]    # (a screenshot cropped to the chat starts at a separator)
    if top < 0.045 * w and heads:
        t = min(heads, key=lambda ln: ln.box[1])
        # (on the chat's own colour: a line in a white bubble on #F8F8F8 is near-centred in a cropped shot too)
        if _dist(_ring(arr, t.box, 4), bg) <= 5:
            info["title"] = t.text
            top = int(t.box[3] + 0.4 * (t.box[3] - t.box[1]))
            measured = False
    elif top >= 0.045 * w:
        above = [ln for ln in lines if ln.box[3] <= top + 2 and abs((ln.box[0] + ln.box[2]) / 2 - w / 2) < 0.1 * w
                 and ln.box[1] > 0.055 * w]
        if above:
            info["title"] = max(above, key=lambda ln: ln.box[3] - ln.box[1]).text
    info["chat_top"], info["chat_bottom"] = top, bottom
    # a "line" taller than any text line is a picture read as a letter (a sticker's face as 0)
    body = [ln for ln in lines if top <= (ln.box[1] + ln.box[3]) / 2 <= bottom and ln.box[3] - ln.box[1] < 0.08 * w]
    bubbles: dict[tuple, dict] = {}
    bare = []
    for ln in body:
        lh = max(4, ln.box[3] - ln.box[1])
        pad = max(2, int(lh * 0.12))
        fill = _ring(arr, ln.box, pad)
        if _dist(fill, bg) <= 4:
            bare.append(ln)
            continue
        known = next((b for b in bubbles.values() if b["box"][0] <= ln.box[0] and ln.box[2] <= b["box"][2] + 4
                      and b["box"][1] <= ln.box[1] and ln.box[3] <= b["box"][3] + 4 and _dist(b["fill"], fill) < 14),
                     None)
        if known:
            known["lines"].append(ln)
            known["off"] += _dist(known["fill"], fill) > 6
            continue
        seed = _seed(arr, ln.box, fill, pad)
        if seed is None or _dist(arr[seed[1], seed[0]], bg) <= 4:
            bare.append(ln)
            continue
        # the tolerance stays under half the bubble/background difference: the fill never leaks out
        rect, tf, bf, corners, pics = _flood(arr, seed, top, bottom, tol=max(1, min(8, int(_dist(fill, bg)) // 2)),
                                             text_boxes=[l.box for l in body])
        if corners < 3 and not (tf > 0.985 or bf > 0.985):
            bare.append(ln)     # text read on something round (a sticker's face): no bubble
            continue
        if not (rect[0] - 3 <= ln.box[0] and ln.box[2] <= rect[2] + 3 and rect[1] - 3 <= ln.box[1]
                and ln.box[3] <= rect[3] + 3):
            bare.append(ln)     # beside a bubble, not in it (an avatar read as a letter)
            continue
        if rect[2] - rect[0] < (ln.box[2] - ln.box[0]) * 0.8 or rect[3] - rect[1] < lh * 0.8:
            bare.append(ln)     # text on a picture or a pattern: no bubble around it
            continue
        bubbles[rect] = {"box": rect, "fill": fill, "lines": [ln], "pics": pics, "off": 0,
                         "cut": tf > 0.985 or bf > 0.985
                         or rect[1] <= top + 1 or rect[3] >= bottom - 1}
    blocks = []
    # an order card spans the screen with a narrow margin on both sides; a long bubble always leaves the avatar
    # column free on its side (in a screenshot cropped to the bubbles it may still be > 0.8 of the width)
    cards = [b for b in bubbles.values() if _is_card(b["box"], w)]
    axis, left_at, right_at = _axis([b["box"] for b in bubbles.values() if b not in cards], w)
    info["axis"] = axis
    # a bubble from the left bubbles' start to the right ones' end (as wide as a bubble gets) is told by its
    # colour: the bubbles whose position is certain give each side's colour
    side_fill = {}
    for role in ("them", "me"):
        fills = [b["fill"] for b in bubbles.values() if b not in cards
                 and _side(*b["box"][0::2], axis, left_at, right_at, w) == (role, True)]
        if fills:
            side_fill[role] = _median(np.array(fills, np.uint8))
    if len(side_fill) == 2 and _dist(side_fill["them"], side_fill["me"]) <= 24:
        side_fill = {}
    for b in list(bubbles.values()):      # a button or label inside an order card belongs to the card
        if b in cards:
            continue
        home = next((c for c in cards if c["box"][0] <= b["box"][0] and b["box"][2] <= c["box"][2]
                     and c["box"][1] <= b["box"][1] and b["box"][3] <= c["box"][3]), None)
        if home:
            home["lines"].extend(b["lines"])
            del bubbles[b["box"]]
    for b in bubbles.values():
        x0, y0, x1, y1 = b["box"]
        rows = [_join([l.text for l in row]) for row in text_rows(b["lines"])]
        text = "\n".join(rows)
        score = min(l.score for l in b["lines"])
        if _is_card(b["box"], w):
            blocks.append({"kind": "card", "box": list(b["box"]), "text": text, "score": score, "cut": b["cut"],
                           "card": _card(b["lines"])})
            continue
        role, certain = _side(x0, x1, axis, left_at, right_at, w)
        at_anchor = (left_at is not None and abs(x0 - left_at) < 0.02 * w) or \
            (right_at is not None and abs(x1 - right_at) < 0.02 * w)
        centred = abs((x0 + x1) / 2 - axis) < 0.012 * w and not at_anchor
        if centred:                    # a grey pill: a system line or separator
            bare_text = text.replace("\n", "")
            blocks.append({"kind": "centre", "box": list(b["box"]), "text": bare_text, "score": score,
                           "cut": b["cut"], "pill": True})
            continue
        if not certain and len(side_fill) == 2:
            role = min(side_fill, key=lambda r: _dist(b["fill"], side_fill[r]))
        if b.get("pics") and b["off"] * 3 >= len(b["lines"]) and len(b["lines"]) >= 3:
            # a picture of a chat sent in the chat (a screenshot, a generated image): a block with a picture in
            # it and many of its lines on patches of other colours (that image's own bubbles) is one picture
            blocks.append({"kind": "image", "role": role, "box": list(b["box"]), "text": "[图片]", "score": 1.0,
                           "cut": b["cut"], "read": cjk_punct(_join(rows))})
            continue
        if b.get("pics"):           # pictures inside the bubble, in their place among its lines
            at = [(row[0].box[1], _join([l.text for l in row])) for row in text_rows(b["lines"])]
            at += [(p[1], "[图片]") for p in b["pics"]]
            rows = [t for _, t in sorted(at)]
        blocks.append({"kind": "text", "role": role, "box": list(b["box"]), "text": cjk_punct(_join(rows)),
                       "rows": rows, "score": score, "fill": list(b["fill"]), "cut": b["cut"]})
    msgs = [b for b in blocks if b["kind"] == "text"]
    for ln in bare:
        cx = (ln.box[0] + ln.box[2]) / 2
        box = list(ln.box)
        beside = [m for m in blocks if m["kind"] in ("text", "card") and m["box"][1] - 4 <= ln.box[1]
                  and ln.box[3] <= m["box"][3] + 4 and (0 <= m["box"][0] - ln.box[2] < 0.1 * w
                                                         or 0 <= ln.box[0] - m["box"][2] < 0.1 * w)]
        if beside:            # "已读", "未读", a send-state mark beside a bubble
            blocks.append({"kind": "mark", "box": box, "text": ln.text, "score": ln.score})
            continue
        if abs(cx - axis) < 0.02 * w:
            blocks.append({"kind": "centre", "box": box, "text": ln.text, "score": ln.score,
                           "cut": (measured and ln.box[1] < top - 2) or ln.box[3] > bottom + 2})
            continue
        under = [m for m in msgs if m["role"] == "them" and abs(m["box"][0] - ln.box[0]) < 0.04 * w
                 and 0 <= m["box"][1] - ln.box[3] < 1.6 * (ln.box[3] - ln.box[1])]
        if under:
            under[0]["nick"] = ln.text.strip()
            continue
        blocks.append({"kind": "mark", "box": box, "text": ln.text, "score": ln.score})
    blocks.extend(_pictures(arr, bg, top, bottom, blocks, bare, w, measured, axis, side_fill, left_at, right_at))
    # colour check: a bubble whose fill is unlike the other bubbles of its side is less certain
    for role in ("me", "them"):
        fills = [tuple(b["fill"]) for b in blocks if b["kind"] == "text" and b["role"] == role]
        if len(fills) >= 2:
            ref = _median(np.array(fills, np.uint8))
            other = [tuple(b["fill"]) for b in blocks if b["kind"] == "text" and b["role"] != role]
            for b in blocks:
                if b["kind"] == "text" and b["role"] == role and _dist(b["fill"], ref) > 24:
                    closer = other and min(_dist(b["fill"], o) for o in other) < _dist(b["fill"], ref)
                    b["colour_doubt"] = True
                    b["score"] = b["score"] * (0.6 if closer else 0.85)
    blocks.sort(key=lambda b: (b["box"][1], b["box"][0]))
    del cv2
    return [_plain(b) for b in blocks], _plain(info)


def _is_card(box, w) -> bool:
    return box[2] - box[0] > 0.8 * w and box[0] < 0.1 * w and w - box[2] < 0.1 * w


def _axis(rects, w) -> tuple[float, float | None, float | None]:
    """The chat's centre line and where the left bubbles start and the right ones end.

    Left bubbles all start at one x (after the avatar column), right ones all end at one x; the screen's centre
    is midway. A screenshot cropped unevenly (a real one, cut to the bubbles) has its centre elsewhere than the
    image's: separators and system lines are centred on the chat, not on the image."""
    rects = [r for r in rects if abs((r[0] + r[2]) / 2 - w / 2) >= 0.012 * w]     # not a centred pill
    clear = [r for r in rects if r[2] - r[0] < 0.65 * w]
    lefts = [r[0] for r in clear if r[0] < w - r[2]]
    rights = [r[2] for r in clear if r[0] >= w - r[2]]
    if not lefts or not rights:         # one side has only long bubbles: take those (still short of a card)
        more = [r for r in rects if r[2] - r[0] < 0.8 * w]
        lefts = lefts or [r[0] for r in more if r[0] < w - r[2]]
        rights = rights or [r[2] for r in more if r[0] >= w - r[2]]
    la = min(lefts) if lefts else None
    ra = max(rights) if rights else None
    if la is not None and ra is not None and abs((la + ra) / 2 - w / 2) < 0.15 * w and ra - la > 0.5 * w:
        return (la + ra) / 2, la, ra
    if la is not None and ra is not None:       # the two do not make a screen: trust neither
        return w / 2, None, None
    return w / 2, la, ra


def _side(x0, x1, axis, left_at, right_at, w) -> tuple[str, bool]:
    """(them|me, certain): a bubble starting where left bubbles start is theirs, one ending where right bubbles
    end is mine (a long bubble can be nearer the other edge); else the nearer side of the centre, not certain."""
    near_l = left_at is not None and abs(x0 - left_at) < 0.02 * w
    near_r = right_at is not None and abs(x1 - right_at) < 0.02 * w
    if near_l != near_r:
        return ("them" if near_l else "me"), True
    return ("them" if (x0 + x1) / 2 < axis else "me"), False


def _plain(v):
    """numpy scalars → Python ones, so blocks go to JSON (the cache) as they are."""
    import numpy as np

    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _pictures(arr, bg, top, bottom, blocks, bare, w, measured: bool = True, axis: float | None = None,
              side_fill: dict | None = None, left_at=None, right_at=None) -> list[dict]:
    """Pictures and stickers: large non-background blocks without text, beside an avatar; and bubbles in which
    OCR read nothing (「。。。」, a faint or tiny glyph): a solid block of a side's bubble colour, as tall as a
    bubble, where the bubbles of that side start or end, becomes a ``text`` block marked ``unreadable``."""
    import cv2
    import numpy as np

    f = 4
    sub = arr[top:bottom:f, ::f].astype(np.int16)
    if not sub.size:
        return []
    mask = (np.abs(sub - np.array(bg, np.int16)).max(axis=2) > 6).astype(np.uint8)
    for b in blocks:
        x0, y0, x1, y1 = b["box"]
        mask[max(0, (y0 - top) // f - 1):max(0, (y1 - top) // f + 2), max(0, x0 // f - 1):x1 // f + 2] = 0
    for ln in bare:
        x0, y0, x1, y1 = ln.box
        mask[max(0, (y0 - top) // f):max(0, (y1 - top) // f + 1), max(0, x0 // f):x1 // f + 1] = 0
    # bubbles OCR read nothing in: one solid block each in the mask as it is (closing would join them to the
    # avatar beside them)
    out = []
    if side_fill:
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        for i in range(1, n):
            x, y, bw, bh, area = stats[i]
            X0, Y0, X1, Y1 = x * f, y * f + top, (x + bw) * f, (y + bh) * f + top
            empty = _empty_bubble(arr, (X0, Y0, X1, Y1), area / max(1, bw * bh), w, side_fill, left_at, right_at)
            if empty:
                out.append({"kind": "text", "role": empty, "box": [int(X0), int(Y0), int(X1), int(Y1)], "text": "",
                            "rows": [], "score": 0.0, "unreadable": True, "fill": list(side_fill[empty]),
                            # (under a title bar of the chat's colour the top is estimated: a bubble cut by the
                            # bar, its glyphs too cut to read, must not pass for an empty one)
                            "cut": Y0 <= top + (f if measured else int(0.05 * w)) or Y1 >= bottom - f})
                mask[y:y + bh, x:x + bw] = 0
    # a photo's parts near the background's colour would break it up: close small gaps first
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8), iterations=2)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        X0, Y0, X1, Y1 = x * f, y * f + top, (x + bw) * f, (y + bh) * f + top
        if X1 - X0 < 0.15 * w or Y1 - Y0 < 0.15 * w or area < 0.4 * bw * bh:
            continue                  # avatars, icons, emoji, dividers
        if X1 - X0 > 0.8 * w:
            continue
        role = "them" if (X0 + X1) / 2 < (w / 2 if axis is None else axis) else "me"
        # (where the chat's top is only estimated from the title, a picture just under it may be cut by the bar)
        cut = Y0 <= top + (f if measured else int(0.05 * w)) or Y1 >= bottom - f
        out.append({"kind": "image", "role": role, "box": [int(X0), int(Y0), int(X1), int(Y1)], "text": "[图片]",
                    "score": 1.0, "cut": cut})
    return out


def _card(lines) -> dict:
    price = status = None
    rest = []
    for ln in sorted(lines, key=lambda l: (l.box[1], l.box[0])):
        m = _PRICE.search(ln.text)
        if m and price is None:
            price = m.group(0).replace("￥", "¥").replace(" ", "")
            continue
        if ln.text.strip() in _STATUS and status is None:
            status = ln.text.strip()
            continue
        rest.append(ln.text.strip())
    return {"title": rest[0] if rest else None, "price": price, "status": status, "other": rest[1:]}


def record_view(arr, lines, bg, top: int, bottom: int) -> list[dict] | None:
    """Blocks of the forwarded chat-history view (微信/QQ 「聊天记录」), or None when the screen is not one.

    That view has no bubbles and no sides: every row is a nickname on the left with the row's own time flush
    right on the same line (``刘备 … 下午3:59``), the message under the nickname at the same left edge, a
    divider between rows; the avatar is shown only when the sender changes; a centred date line
    (``2018-3-31``) heads each day. A screen is taken for this view when at least two rows have such a
    header and the other lines start at the nicknames' left edge. Each row becomes one block with ``nick``
    and ``stamp`` (its time as shown); a row whose message OCR did not read (an emoji, a sticker, a blurred
    line) stays, marked ``unreadable``."""
    import numpy as np

    h, w, _ = arr.shape
    body = [ln for ln in lines if top <= (ln.box[1] + ln.box[3]) / 2 <= bottom]
    rows = text_rows(body)
    heads = []
    for row in rows:
        if len(row) < 2:
            continue
        t = row[-1]
        name = row[-2]          # (an avatar further left may be read as a letter)
        if t.box[2] > 0.75 * w and name.box[0] < 0.4 * w and _STAMP.match(t.text.strip()) \
                and not _STAMP.match(name.text.strip()) and name.box[2] < t.box[0]:
            heads.append((name, t, row))
    if len(heads) < 2:
        return None
    xs = sorted(n.box[0] for n, _, _ in heads)
    x_left = xs[len(xs) // 2]
    if xs[-1] - xs[0] > 0.04 * w:
        return None
    head_ids = {id(l) for _, _, r in heads for l in r}
    # what is left of the nicknames' edge is the avatar column (a face read as 日 or 8): not text of the chat
    rest = [ln for ln in body if id(ln) not in head_ids and ln.box[2] > x_left]
    aligned = [ln for ln in rest if abs(ln.box[0] - x_left) < 0.03 * w]
    # (a date line is centred on the phone's screen; a screenshot cropped off the avatar column moves it)
    centred = [ln for ln in rest if ln not in aligned and (abs((ln.box[0] + ln.box[2]) / 2 - w / 2) < 0.05 * w
                                                         or DATE_ONLY.match(ln.text.strip()))]
    if rest and len(aligned) + len(centred) < 0.6 * len(rest):
        return None
    heads.sort(key=lambda hd: hd[0].box[1])
    blocks = []
    for ln in centred:
        blocks.append({"kind": "centre", "box": list(ln.box), "text": ln.text.strip(), "score": ln.score,
                       "cut": ln.box[1] <= top + 1 or ln.box[3] >= bottom - 1})
    for k, (name, t, _) in enumerate(heads):
        y_end = heads[k + 1][0].box[1] if k + 1 < len(heads) else bottom
        under = [ln for ln in aligned if name.box[3] - 2 <= ln.box[1] and ln.box[3] <= y_end + 2
                 and not any(ln is c for c in centred)]
        rws = [_join([l.text for l in r]) for r in text_rows(under)]
        box = [min([name.box[0]] + [l.box[0] for l in under]), name.box[1], max(t.box[2], *[l.box[2] for l in under] or [0]),
               max([name.box[3]] + [l.box[3] for l in under])]
        b = {"kind": "text", "role": None, "nick": name.text.strip(), "stamp": t.text.strip(), "box": box,
             "text": cjk_punct(_join(rws)), "rows": rws, "score": min([name.score, t.score] + [l.score for l in under]),
             "record": True, "cut": False}
        if not under:
            # nothing read under the header: an emoji or sticker, or text OCR could not read; the space to the
            # next row tells whether anything is drawn there
            y0, y1 = int(name.box[3] + 2), int(min(y_end, name.box[3] + 0.12 * w))
            patch = arr[y0:y1, int(x_left):int(0.95 * w)].astype(np.int16) if y1 > y0 else None
            drawn = patch is not None and patch.size and \
                (np.abs(patch - np.array(bg, np.int16)).max(axis=2) > 24).mean() > 0.004
            b.update({"unreadable": True, "text": "", "score": 0.0, "drawn": bool(drawn)})
            if drawn:
                ys = np.flatnonzero((np.abs(patch - np.array(bg, np.int16)).max(axis=2) > 24).any(axis=1))
                box[3] = int(y0 + ys[-1] + 1)
        # the last row may run past the screen's bottom: more of its message may follow
        # (a whole row has its padding and divider under the text: ~0.04 of the width)
        b["cut"] = k + 1 == len(heads) and bottom - box[3] < 0.04 * w
        blocks.append(b)
    blocks.sort(key=lambda b: (b["box"][1], b["box"][0]))
    return blocks


def _empty_bubble(arr, box, solid: float, w, side_fill, left_at, right_at) -> str | None:
    """The side of a bubble without readable text at ``box`` (from the picture search's mask), or None.

    A bubble is a solid rounded block (its mask fills most of its box), 0.03–0.15 of the width tall and wider
    than 0.06 of it, whose colour is within 24 of the median of one side's text bubbles and which starts
    where that side's bubbles start (them) or ends where they end (me). An avatar is square-ish and of no
    bubble's colour; an emoji is yellow and small."""
    x0, y0, x1, y1 = box
    if not side_fill or solid < 0.8 or not (0.03 * w <= y1 - y0 <= 0.15 * w) or x1 - x0 < 0.06 * w:
        return None
    import numpy as np

    inner = arr[y0 + (y1 - y0) // 4:y1 - (y1 - y0) // 4, x0 + (x1 - x0) // 8:x1 - (x1 - x0) // 8].reshape(-1, 3)
    if not len(inner):
        return None
    med = _median(inner)
    if (np.abs(inner.astype(np.int16) - np.array(med, np.int16)).max(axis=1) <= 10).mean() < 0.75:
        return None                   # not one colour: a photo, an avatar
    for role, fill in side_fill.items():
        if _dist(med, fill) > 24:
            continue
        if role == "them" and (left_at is None or abs(x0 - left_at) < 0.03 * w):
            return role
        if role == "me" and (right_at is None or abs(x1 - right_at) < 0.03 * w):
            return role
    return None
