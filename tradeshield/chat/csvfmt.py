"""Generic CSV: a header row naming a time column, a sender column and a text column (any order).

    >>> from tradeshield.chat.csvfmt import GENERIC
    >>> GENERIC.score("time,sender,text\\n2024-03-02 14:05,李四,在吗\\n")
    0.9

Column names are matched in English and Chinese (时间/发送者/内容 …); an optional ``role`` or
``is_sender`` column says which rows are the user's. Times may be ``YYYY-MM-DD HH:MM[:SS]``, ISO
8601 with an offset, or unix seconds / milliseconds.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

from tradeshield.chat.engine import Context
from tradeshield.chat.wechat import CSV_COLUMNS

TIME = {"time", "timestamp", "date", "datetime", "时间", "日期", "发送时间", "消息时间", "createtime", "strtime"}
SENDER = {"sender", "from", "name", "author", "user", "speaker", "发送者", "发送人", "发言人", "昵称", "用户", "nickname"}
TEXT = {"text", "message", "content", "body", "msg", "内容", "消息", "消息内容", "聊天内容", "strcontent"}
ROLE = {"role", "is_sender", "issender", "is_me", "方向", "角色"}
_NUM = re.compile(r"^\d{9,13}(?:\.\d+)?$")


def _columns(header: list[str]) -> dict | None:
    norm = [h.strip().lower().lstrip("\ufeff") for h in header]
    found = {}
    for key, names in (("time", TIME), ("sender", SENDER), ("text", TEXT), ("role", ROLE)):
        for i, h in enumerate(norm):
            if h in names and i not in found.values():
                found[key] = i
                break
    return found if {"time", "sender", "text"} <= found.keys() else None


def _dialect(sample: str):
    first = sample.split("\n", 1)[0]
    delim = max(",;\t|", key=first.count)
    return delim


class GenericCsv:
    name = "csv"

    def score(self, sample: str) -> float:
        first = sample.split("\n", 1)[0]
        if not first or first.count(_dialect(sample)) < 2:
            return 0.0
        row = next(csv.reader(io.StringIO(first), delimiter=_dialect(sample)), [])
        if _columns(row) is None:
            return 0.0
        # a WeChatMsg / 留痕 header is ``wechat-csv``'s: read here, its IsSender and Type columns would be lost (the
        # 12-column 留痕 header also names StrTime, NickName and StrContent, and made every such import "unsure")
        return 0.0 if all(c in first for c in CSV_COLUMNS) else 0.9

    def records(self, source, ctx: Context, sample: str, progress=None):
        delim = _dialect(sample)
        with source.open_text() as f:
            reader = csv.reader(f, delimiter=delim)
            cols = _columns(next(reader, []))
            if cols is None:
                return
            prev = reader.line_num
            for row in reader:
                a, prev = prev + 1, reader.line_num
                if not row or not any(c.strip() for c in row):
                    continue
                rec = self._row(row, cols, ctx, a, prev)
                if rec is not None:
                    yield rec
                if progress and prev % 5000 == 0:
                    progress(source.path.name, min(f.buffer.tell(), source.size), source.size)

    def _row(self, row, cols, ctx: Context, a: int, b: int):
        get = lambda k: row[cols[k]].strip() if k in cols and cols[k] < len(row) else ""  # noqa: E731
        iso = parse_any_time(get("time"), ctx)
        if iso is None:
            ctx.skip(a)
            return None
        sender = get("sender")
        role = get("role").lower()
        hint = "me" if role in ("1", "me", "true", "yes", "我", "自己", "out", "sent") else (
            "system" if role in ("system", "系统") else None)
        return iso, sender, ctx.role_of(sender, hint), row[cols["text"]] if cols["text"] < len(row) else "", a, b


def parse_any_time(s: str, ctx: Context) -> str | None:
    if not s:
        return None
    if _NUM.match(s):
        v = float(s)
        return ctx.from_epoch(v / 1000 if v > 1e11 else v)
    s = s.replace("T", " ").replace("/", "-")
    if "+" in s[10:] or s.endswith("Z") or re.search(r"\d-\d\d:?\d\d$", s[10:]):
        try:
            return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).isoformat()
        except ValueError:
            return None
    parts = s.split(" ", 1)
    if len(parts) == 1:
        return ctx.iso(parts[0], "0:00")
    return ctx.iso(parts[0], parts[1].strip())


GENERIC = GenericCsv()
