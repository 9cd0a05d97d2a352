"""Chat as phone-screenshot-like images: left/right bubbles, times, senders, key events highlighted.

    >>> from tradeshield.chat.render import render_pages
    >>> pages = render_pages(messages, event_lines={(12, 14)}, sha="ab12…")     # doctest: +SKIP
    >>> pages[0].size                                                          # doctest: +SKIP
    (1080, 4096)

Pages are at most ``LIMITS.image_long_side`` tall and written with ``save_jpeg_within`` (size
limit); a footer on each names the source file's SHA-256 prefix and the line range shown, so
every bubble can be checked against the original export. Long chats are cut to the messages
around key events and to ``LIMITS.images_per_submission`` pages (the result says so).
"""
from __future__ import annotations

import json

from tradeshield import i18n
from tradeshield.config import LIMITS
from tradeshield.imaging import wrap_text

W = 1080
PAD = 28
BUBBLE_MAX = 700
FONT, SMALL = 34, 24
COLORS = {"me": (149, 236, 105), "them": (255, 255, 255), "system": (225, 225, 225)}
HIGHLIGHT = (255, 96, 64)
ALL_LIMIT = 300      # chats up to this many messages are drawn whole
CONTEXT = 2          # messages kept on each side of a key event in longer chats

i18n.register({
    "chat.no_cjk_font": ("未找到中文字体，中文将无法正常显示（请安装 fonts-wqy-microhei 或设置 TRADESHIELD_FONT）",
                         "no CJK font found: Chinese will not render (install fonts-wqy-microhei or set TRADESHIELD_FONT)"),
    "chat.render_cut": ("聊天较长：只绘制了关键事件前后的 {shown}/{total} 条消息",
                        "long chat: drew {shown} of {total} messages (those around key events)"),
})


def _layout(m: dict, font, small) -> tuple[list[str], int, int]:
    lines = [ln for para in (m["text"] or " ").split("\n") for ln in wrap_text(para, font, BUBBLE_MAX - 2 * PAD)]
    lh = FONT + 12
    width = min(BUBBLE_MAX, int(max(font.getlength(ln) for ln in lines)) + 2 * PAD)
    height = lh * len(lines) + 2 * 18 + SMALL + 10
    return lines, max(width, 220), height


def _draw(draw, m: dict, y: int, font, small, hot: bool) -> int:
    lines, bw, bh = _layout(m, font, small)
    role = m["role"]
    x = W - PAD - bw if role == "me" else PAD if role == "them" else (W - bw) // 2
    meta = f"{(m.get('time') or '')[:16].replace('T', ' ')}  {m.get('sender') or ''}  L{m['lines'][0]}"
    draw.text((x if role != "me" else x + bw - small.getlength(meta), y), meta, font=small, fill=(110, 110, 110))
    y += SMALL + 10
    draw.rounded_rectangle([x, y, x + bw, y + bh - SMALL - 10], radius=18, fill=COLORS.get(role, COLORS["them"]),
                           outline=HIGHLIGHT if hot else (210, 210, 210), width=6 if hot else 2)
    for i, ln in enumerate(lines):
        draw.text((x + PAD, y + 18 + i * (FONT + 12)), ln, font=font, fill=(20, 20, 20))
    return y + bh - SMALL - 10 + 22


def render_pages(messages: list[dict], event_lines: set, sha: str, title: str = "") -> list:
    """PIL images, each ≤ the platform's long side, holding as many bubbles as fit."""
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font

    font, small = load_font(FONT), load_font(SMALL)
    max_h = LIMITS.image_long_side
    footer = SMALL * 2 + 40
    pages, chunk, used = [], [], 90
    for m in messages:
        h = _layout(m, font, small)[2] + 22
        if chunk and used + h + footer > max_h:
            pages.append(chunk)
            chunk, used = [], 90
        chunk.append((m, h))
        used += h
    if chunk:
        pages.append(chunk)
    images = []
    for n, page in enumerate(pages, 1):
        height = 90 + sum(h for _, h in page) + footer
        img = Image.new("RGB", (W, height), (237, 237, 237))
        d = ImageDraw.Draw(img)
        d.rectangle([0, 0, W, 70], fill=(246, 246, 246))
        d.text((PAD, 18), (title or i18n.t("chat.render.title"))[:40], font=small, fill=(0, 0, 0))
        y = 90
        for m, _ in page:
            y = _draw(d, m, y, font, small, tuple(m["lines"]) in event_lines)
        first, last = page[0][0]["lines"][0], page[-1][0]["lines"][1]
        d.line([(0, height - footer), (W, height - footer)], fill=(190, 190, 190), width=2)
        d.text((PAD, height - footer + 12), i18n.t("chat.render.lines", sha=sha[:16], first=first, last=last),
               font=small, fill=(60, 60, 60))
        d.text((PAD, height - footer + 16 + SMALL), i18n.t("chat.render.page", n=n, total=len(pages)), font=small,
               fill=(60, 60, 60))
        images.append(img)
    return images


def _select(path, sha: str, event_lines: set) -> tuple[list[dict], int]:
    needle = sha.encode()
    msgs = []
    total = 0
    with open(path, "rb") as f:
        for ln in f:
            if needle in ln:
                total += 1
                if total <= ALL_LIMIT:
                    msgs.append(json.loads(ln))
    if total <= ALL_LIMIT:
        return msgs, total
    keep, window = [], []   # long chat: a second pass keeping messages around events
    after = 0
    with open(path, "rb") as f:
        for ln in f:
            if needle not in ln:
                continue
            m = json.loads(ln)
            if tuple(m["lines"]) in event_lines:
                keep.extend(window)
                window = []
                keep.append(m)
                after = CONTEXT
            elif after:
                keep.append(m)
                after -= 1
            else:
                window = (window + [m])[-CONTEXT:]
            if len(keep) > 400:
                break
    return keep, total


def render_case_chat(case, sha: str, me: str | None = None, progress=None) -> list[dict]:
    from tradeshield.fonts import cjk_font_path
    from tradeshield.imaging import save_case_pages

    facts = case.read_facts("chat", {}) or {}
    event_lines = {tuple(e["ref"]["lines"]) for e in facts.get("events", []) if e["ref"].get("source") == sha}
    msgs, total = _select(case.derived_dir / "chat.jsonl", sha, event_lines)
    # titled as the chat app titles it: the other side's name
    images = render_pages(msgs, event_lines, sha, title=case.info.get("counterparty") or "")
    cut = len(images) > LIMITS.images_per_submission or len(msgs) < total
    images = images[:LIMITS.images_per_submission]
    out = save_case_pages(case, images, f"chat/{sha[:12]}/chat", progress)
    case.record_derived([case.root / i["path"] for i in out], action="chat-render", sources=[sha],
                        params={"pages": len(out), "messages": len(msgs), "total": total})
    notes = []
    if cjk_font_path() is None:
        notes.append("chat.no_cjk_font")
    if cut:
        notes.append("chat.render_cut")
    for i in out:
        i["notes"] = [i18n.t(k, shown=len(msgs), total=total) for k in notes]
    return out


i18n.register({
    "chat.render.title": ("聊天记录", "chat"),
    "chat.render.lines": ("原件 SHA-256 {sha}… · 第 {first}–{last} 行", "original SHA-256 {sha}… · lines {first}–{last}"),
    "chat.render.page": ("第 {n}/{total} 页 · tradeshield 生成", "page {n}/{total} · made by tradeshield"),
})
