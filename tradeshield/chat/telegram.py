"""Telegram Desktop JSON (``result.json``: one chat, or ``chats.list`` for "export all"), Telegram Desktop HTML
(``messages.html``, its default export), and Meta DM JSON.

    >>> from tradeshield.chat.telegram import TELEGRAM
    >>> TELEGRAM.score('{"messages": [{"date_unixtime": "1544006350"}]}')
    1.0

Text may be a string or a list of entities (bold, link …), which are joined. Each message's line
range is that of its JSON object in the file (found with ``raw_decode`` from its opening brace).
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from tradeshield import i18n
from tradeshield.chat.engine import Context
from tradeshield.errors import InputError

i18n.register({"chat.bad_json": ("JSON 无法解析：{reason}", "the JSON cannot be read: {reason}")})

_MEDIA = {"photo": "[图片]", "video_file": "[视频]", "voice_message": "[语音]", "sticker": "[表情]",
          "animation": "[动画表情]", "audio_file": "[语音]", "video_message": "[视频]"}


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        out, prev_entity = "", False
        for v in value:
            piece = _text(v)
            entity = isinstance(v, dict)
            if entity and prev_entity and out and not out[-1].isspace() and piece and not piece[0].isspace():
                out += " "        # two formatted entities back to back: Telegram shows them apart
            out += piece
            prev_entity = entity
        return out
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return ""


def _load(source):
    text = source.text()
    try:
        return text, json.loads(text)
    except ValueError as e:
        raise InputError("chat.bad_json", reason=str(e).split(":")[0]) from None


def _object_lines(text: str, key_re: re.Pattern, count: int) -> list[tuple[int, int]]:
    """Line ranges of the first ``count`` JSON objects that contain ``key_re`` (in file order)."""
    dec = json.JSONDecoder()
    out, pos, line, lpos = [], 0, 1, 0
    for m in key_re.finditer(text):
        if len(out) >= count:
            break
        start = text.rfind("{", pos, m.start())
        if start < 0:
            continue
        try:
            _, end = dec.raw_decode(text, start)
        except ValueError:
            continue
        line += text.count("\n", lpos, start)
        lpos = start
        out.append((line, line + text.count("\n", start, end)))
        pos = end
    return out


class Telegram:
    name = "telegram"

    def score(self, sample: str) -> float:
        head = sample.lstrip()[:1]
        if head != "{":
            return 0.0
        if '"date_unixtime"' in sample or ('"messages"' in sample and '"from"' in sample):
            return 1.0
        return 0.3 if '"messages"' in sample else 0.0

    def records(self, source, ctx: Context, sample: str, progress=None):
        text, data = _load(source)
        msgs = []
        if isinstance(data, dict) and isinstance(data.get("chats"), dict):
            for chat in data["chats"].get("list") or []:
                msgs.extend(chat.get("messages") or [])
        elif isinstance(data, dict):
            msgs = data.get("messages") or []
        lines = _object_lines(text, re.compile(r'"date(?:_unixtime)?"\s*:'), len(msgs))
        whole = (1, text.count("\n") + 1)
        for i, msg in enumerate(msgs):
            if not isinstance(msg, dict):
                continue
            a, b = lines[i] if i < len(lines) else whole
            iso = ctx.from_epoch(msg["date_unixtime"]) if msg.get("date_unixtime") else None
            if iso is None and msg.get("date"):
                iso = ctx.iso(*str(msg["date"]).replace("T", " ").split(" ", 1)) if "T" in str(msg["date"]) else None
            if iso is None:
                ctx.skip(a)
                continue
            body = _text(msg.get("text"))
            media = _MEDIA.get(msg.get("media_type")) or ("[图片]" if msg.get("photo") else "")
            if media:
                body = (body + "\n" + media).strip()
            if msg.get("type") == "service":
                yield iso, msg.get("actor") or "", "system", body or str(msg.get("action", "")), a, b
                continue
            sender = str(msg.get("from") or msg.get("actor") or "")
            yield iso, sender, ctx.role_of(sender), body, a, b


# Telegram Desktop's default export is HTML (``messages.html``, then ``messages2.html`` … a thousand messages each):
# a ``message default clearfix`` div per message with the time in its date div's title (``15.05.2026 23:45:54
# UTC+03:00``; older exports without the offset), ``from_name`` and ``text`` divs; a ``joined`` message (the same
# sender again) has no ``from_name``; ``message service`` divs are the date separators and group notices (no time).
# The layout as Telegram Desktop writes it and as public parsers' tests copy it; no real export was at hand.
_TG_TIME = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}) (\d{1,2}:\d{2}(?::\d{2})?)(?: UTC([+-]\d{2}):?(\d{2}))?")
_TG_MEDIA = (("photo_wrap", "[图片]"), ("media_photo", "[图片]"), ("video_file_wrap", "[视频]"), ("media_video", "[视频]"),
             ("media_voice_message", "[语音]"), ("sticker", "[表情]"), ("animated_wrap", "[动画表情]"),
             ("media_file", "[文件]"))       # (``media_*``: a file the export left out, "Not included …")


class _TgPage(HTMLParser):
    """Collects (line_start, line_end, classes of the message div, title of its date div, its sender, its text,
    media notes) per message div, in file order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list = []
        self.msg = None           # the message being read: [a, b, classes, title, sender, text parts, media]
        self.depth = 0            # div depth inside it
        self.grab = None          # "sender" / "text" while inside that div (at this div depth)
        self.grab_depth = 0
        self.skip = 0             # div depth of a reply_to / forwarded header being skipped
        self.mute = False         # inside the sender's ``<span class="details">via @bot</span>``

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            if self.grab == "text":
                self.msg[5].append("\n")
            return
        attrs = dict(attrs)
        cls = (attrs.get("class") or "").split()
        if tag != "div":      # a photo is an <a class="photo_wrap …">, a voice message or a file a div
            if self.grab == "sender" and tag == "span" and "details" in cls:
                self.mute = True
            elif self.msg is not None and cls and not (self.skip or self.grab):
                self._media(cls)
            return
        if self.msg is None:
            if "message" in cls:
                self.msg, self.depth = [self.getpos()[0], 0, set(cls), None, None, [], []], 1
            return
        self.depth += 1
        if self.skip or self.grab:
            return
        if "date" in cls and "details" in cls and self.msg[3] is None:
            self.msg[3] = attrs.get("title")
        elif "reply_to" in cls or "forwarded" in cls:
            self.skip = self.depth
        elif "from_name" in cls and self.msg[4] is None:
            self.grab, self.grab_depth, self.msg[4] = "sender", self.depth, []
        elif "text" in cls and not self.msg[5]:
            self.grab, self.grab_depth = "text", self.depth
        else:
            self._media(cls)

    def _media(self, cls: list) -> None:
        for key, note in _TG_MEDIA:
            if key in cls and note not in self.msg[6]:
                self.msg[6].append(note)

    def handle_endtag(self, tag):
        if tag == "span":
            self.mute = False
        if tag != "div" or self.msg is None:
            return
        if self.grab and self.depth == self.grab_depth:
            self.grab = None
        if self.skip and self.depth == self.skip:
            self.skip = 0
        self.depth -= 1
        if self.depth == 0:
            self.msg[1] = self.getpos()[0]
            self.out.append(self.msg)
            self.msg = None

    def handle_data(self, data):
        if self.grab == "sender":
            if not self.mute:
                self.msg[4].append(data)
        elif self.grab == "text":
            self.msg[5].append(data)


class TelegramHtml:
    name = "telegram-html"

    def score(self, sample: str) -> float:
        if 'class="message default clearfix' not in sample and 'class="message service' not in sample:
            return 0.0
        return 1.0 if 'class="pull_right date details"' in sample or 'class="from_name"' in sample else 0.5

    def records(self, source, ctx: Context, sample: str, progress=None):
        page = _TgPage()
        page.feed(source.text())
        page.close()
        sender = ""
        for a, b, cls, title, name, parts, media in page.out:
            if "service" in cls:       # a date separator or a group notice: no time of its own
                continue
            m = _TG_TIME.match((title or "").strip())
            if m is None:
                ctx.skip(a)
                continue
            d, mo, y, clock, oh, om = m.groups()
            day, hms = ctx.date(y, mo, d), ctx.clock(clock)
            if day is None or hms is None or (oh is not None and (abs(int(oh)) > 14 or int(om) > 59)):
                ctx.skip(a)
                continue
            iso = day + "T" + hms + (ctx.offset if oh is None else f"{oh}:{om}")     # (the offset the export wrote)
            if name is not None:
                sender = " ".join("".join(name).split())
            text = "\n".join(ln.strip() for ln in "".join(parts).split("\n")).strip()
            if media:
                text = (text + "\n" + "\n".join(media)).strip()
            yield iso, sender, ctx.role_of(sender), text, a, b


class MetaDM:
    """Instagram / Facebook DM JSON: ``messages[]`` with ``sender_name``, ``timestamp_ms``, ``content``."""

    name = "instagram"

    def score(self, sample: str) -> float:
        return 1.0 if sample.lstrip()[:1] == "{" and '"timestamp_ms"' in sample and '"sender_name"' in sample else 0.0

    def records(self, source, ctx: Context, sample: str, progress=None):
        text, data = _load(source)
        msgs = data.get("messages") or [] if isinstance(data, dict) else []
        lines = _object_lines(text, re.compile(r'"timestamp_ms"\s*:'), len(msgs))
        for i, msg in enumerate(msgs):
            a, b = lines[i] if i < len(lines) else (1, text.count("\n") + 1)
            iso = ctx.from_epoch(msg["timestamp_ms"] / 1000) if isinstance(msg.get("timestamp_ms"), (int, float)) else None
            if iso is None:
                ctx.skip(a)
                continue
            sender = str(msg.get("sender_name") or "")
            body = _fix_mojibake(str(msg.get("content") or ""))
            if msg.get("photos"):
                body = (body + "\n[图片]").strip()
            yield iso, sender, ctx.role_of(sender), body, a, b


def _fix_mojibake(s: str) -> str:
    """Meta writes UTF-8 bytes as \\u00XX escapes; undo it when that is what happened."""
    try:
        return s.encode("latin-1").decode("utf-8") if any(0x80 <= ord(c) < 0x100 for c in s) else s
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


TELEGRAM = Telegram()
TELEGRAM_HTML = TelegramHtml()
INSTAGRAM = MetaDM()
