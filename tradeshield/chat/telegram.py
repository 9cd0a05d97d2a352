"""Telegram Desktop JSON (``result.json``: one chat, or ``chats.list`` for "export all"), and Meta DM JSON.

    >>> from tradeshield.chat.telegram import TELEGRAM
    >>> TELEGRAM.score('{"messages": [{"date_unixtime": "1544006350"}]}')
    1.0

Text may be a string or a list of entities (bold, link …), which are joined. Each message's line
range is that of its JSON object in the file (found with ``raw_decode`` from its opening brace).
"""
from __future__ import annotations

import json
import re

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
INSTAGRAM = MetaDM()
