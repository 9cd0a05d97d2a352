"""``imaging.wrap_text``, which the captions, the chat renders and the screenshot check sheets share: English breaks
between words (a WhatsApp line was cut as "encryp / ted"), CJK fills each line greedily, nothing is lost."""
from __future__ import annotations

from tradeshield.fonts import load_font
from tradeshield.imaging import wrap_text


def _greedy(text, font, width):
    out, cur = [], ""
    for ch in text:
        if cur and font.getlength(cur + ch) > width:
            out.append(cur)
            cur = ch
        else:
            cur += ch
    return out + [cur]


def test_english_breaks_between_words():
    font = load_font(40)
    text = "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read."
    lines = wrap_text(text, font, 700)
    assert len(lines) > 1 and " ".join(lines) == text
    assert all(font.getlength(ln) <= 700 for ln in lines)
    words = set(text.split())
    assert all(w in words for ln in lines for w in ln.split())


def test_cjk_fills_lines_greedily_and_long_words_still_fit():
    font = load_font(40)
    text = "买家签收后要求降价五十元被拒绝后立即申请退款理由是质量问题但照片模糊不清" * 3
    assert wrap_text(text, font, 700) == _greedy(text, font, 700)
    long = "x" * 200
    lines = wrap_text(long, font, 300)
    assert "".join(lines) == long and all(font.getlength(ln) <= 300 for ln in lines)


def test_chat_render_bubbles_break_english_between_words():
    from tradeshield.chat.render import BUBBLE_MAX, FONT, PAD, SMALL, _layout

    font, small = load_font(FONT), load_font(SMALL)
    text = "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read."
    lines, width, _ = _layout({"text": text + "\n第二段", "role": "them"}, font, small)
    assert lines[-1] == "第二段" and " ".join(lines[:-1]) == text, lines
    assert width <= BUBBLE_MAX and all(font.getlength(ln) <= BUBBLE_MAX - 2 * PAD for ln in lines)
