"""The normalized chat model: ``Message``, ``Conversation`` and the compact record parsers emit.

    >>> from tradeshield.chat.model import Message, message_from_record
    >>> m = message_from_record(("2024-03-02T14:05:11+08:00", "李四", "them", "还在吗？[图片]", 3, 4), "ab12")
    >>> m.role, m.attachments, m.line_start
    ('them', ['[图片]'], 3)

Parsers yield *records* — plain tuples ``(iso_time | None, sender, role, text, line_start, line_end)`` —
because a million dataclasses cost memory and time the streaming path cannot afford. ``Message``
objects are built only for the library API (``read_chat``) and the renderer.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # C-accelerated, keeps CJK as is (ensure_ascii=False)
from typing import Iterable, Iterator

ROLES = ("me", "them", "system")

# Non-text content as the export tools write it: [图片], [视频], [语音], [文件], [表情]…, plus bare links.
# A simple regex finds candidates and a set check keeps the known placeholders (an alternation of
# every word with IGNORECASE would cost tens of microseconds a message).
ATTACH_RE = re.compile(r"\[([^\[\]\n]{1,40})\]|<(Media omitted|attached: [^>\n]{1,120})>|(https?://[^\s`'\"<>，。）)]+)")
PLACEHOLDERS = ("图片", "视频", "语音", "文件", "表情", "动画表情", "链接", "音乐分享", "位置", "名片", "红包", "转账", "小程序",
                "image", "photo", "video", "voice", "sticker", "file", "audio", "gif", "link")


@dataclass
class Message:
    time: dt.datetime | None
    sender: str
    role: str                     # me / them / system
    text: str
    attachments: list[str] = field(default_factory=list)
    source: str = ""              # sha256 of the export file
    line_start: int = 0           # 1-based, inclusive, in the original file
    line_end: int = 0

    def to_dict(self) -> dict:
        return {"time": self.time.isoformat() if self.time else None, "sender": self.sender, "role": self.role,
                "text": self.text, "attachments": list(self.attachments), "source": self.source,
                "lines": [self.line_start, self.line_end]}

    @classmethod
    def from_dict(cls, d: dict) -> "Message":
        lines = d.get("lines") or [d.get("line_start", 0), d.get("line_end", 0)]
        t = d.get("time")
        return cls(time=dt.datetime.fromisoformat(t) if t else None, sender=d.get("sender", ""),
                   role=d.get("role", "them"), text=d.get("text", ""), attachments=list(d.get("attachments") or []),
                   source=d.get("source", ""), line_start=int(lines[0]), line_end=int(lines[1]))


@dataclass
class Conversation:
    format: str
    confidence: float
    sha256: str
    messages: list[Message] | Iterator[Message]
    warnings: list[dict] = field(default_factory=list)
    encoding: str = "utf-8"
    path: str = ""
    order: str = "oldest-first"   # as found in the file: oldest-first / newest-first / mixed


def attachments_of(text: str) -> list[str]:
    if "[" not in text and "http" not in text and "<" not in text:
        return []
    out = []
    for m in ATTACH_RE.finditer(text):
        inner = m[1]
        if inner is None or inner.lower().startswith(PLACEHOLDERS):
            out.append(m.group(0))
    return out


def message_from_record(rec: tuple, source: str) -> Message:
    t, sender, role, text, a, b = rec
    return Message(time=dt.datetime.fromisoformat(t) if t else None, sender=sender, role=role, text=text,
                   attachments=attachments_of(text), source=source, line_start=a, line_end=b)


def record_json(rec: tuple, source: str, kinds: Iterable[str] = ()) -> str:
    """One chat.jsonl line, formatted by hand: json.dumps per message would cost half the time budget."""
    t, sender, role, text, a, b = rec
    att = attachments_of(text)
    atts = "[" + ",".join(map(encode_basestring, att)) + "]" if att else "[]"
    ev = ',"events":[' + ",".join('"%s"' % k for k in kinds) + "]" if kinds else ""
    return ('{"time":%s,"sender":%s,"role":"%s","text":%s,"attachments":%s,"source":"%s","lines":[%d,%d]%s}\n'
            % ('"%s"' % t if t else "null", encode_basestring(sender), role, encode_basestring(text), atts,
               source, a, b, ev))
