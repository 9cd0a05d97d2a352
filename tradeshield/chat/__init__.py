"""Chat exports → one normalized conversation, key events, an evidence image.

    >>> from tradeshield.chat import read_chat, find_events
    >>> conv = read_chat("聊天记录.txt", me="木白术")            # doctest: +SKIP
    >>> conv.format, len(conv.messages), conv.messages[0].line_start   # doctest: +SKIP
    ('taobao', 214, 1)
    >>> [e["kind"] for e in find_events(conv.messages)]           # doctest: +SKIP
    ['discount-request', 'refund-request']

Formats: Taobao 旺旺/千牛 text, QQ message-manager TXT, text copied from a QQ window, WeChat TXT/CSV/HTML
(WeChatMsg), WhatsApp TXT, Signal (signal-export) TXT, Telegram JSON, Instagram JSON, generic CSV, text typed or
pasted from a platform page (闲鱼, 转转). ``read_chat`` returns
messages oldest-first (stable for equal times), each traceable to its line range in the file.
``tradeshield.chat.store.import_chat`` is the streaming path the CLI uses for a case.
"""
from __future__ import annotations

import os
from typing import Iterator

from tradeshield import i18n
from tradeshield.chat.events import find_events  # noqa: F401  (public API)
from tradeshield.chat.model import Conversation, Message, message_from_record  # noqa: F401

i18n.register({
    "chat.skipped": ("跳过 {n} 条时间无效的消息（行 {lines}）", "skipped {n} messages with invalid times (lines {lines})"),
    "chat.bad_date": ("日期格式不对：{value}（应为 YYYY-MM-DD）", "bad date: {value} (use YYYY-MM-DD)"),
    "chat.nothing": ("没有读到任何消息：{path}（格式 {fmt}）", "no messages could be read from {path} (format {fmt})"),
    "chat.whatsapp_ambiguous": ("WhatsApp 日期顺序无法确定，按 日/月/年 读取（如不对，请检查）",
                                "WhatsApp date order is ambiguous; read as day/month/year (check it)"),
    "chat.paste_relative": ("“今天/昨天”按文件修改日期 {date} 推算（不对请用 --date 给出记录的日期）",
                            "\"today/yesterday\" counted from the file date {date} (if wrong, give the chat's date with "
                            "--date)"),
    "chat.paste_relative_given": ("“今天/昨天”按 --date {date} 推算", "\"today/yesterday\" counted from --date {date}"),
    "chat.newest_first": ("记录为倒序（最新在前），已按时间正序输出", "the export is newest-first; output is oldest-first"),
    "chat.mixed_order": ("记录时间顺序混乱，已按时间排序（同一时间保持原顺序）",
                         "the export's times are out of order; sorted by time (equal times keep file order)"),
})


def warning(key: str, **params) -> dict:
    return {"code": key.split(".", 1)[-1], "zh": i18n.t(key, "zh", **params), "en": i18n.t(key, "en", **params)}


def open_records(path, fmt: str = "auto", me=None, tz=None, encoding=None, side=None, progress=None, name=None,
                 ref=None):
    """(Source, Detection, Context, record iterator in file order) — the shared front half. ``name``: the user's file
    (its path, as messages call it) when ``path`` is the case's copy: its modification date, not the copy's (made at
    import), is the fallback guess for 今天/昨天; ``ref``: the day the export was made (the user's ``--date``: the
    year of dates written without one, the day of 今天/昨天)."""
    from tradeshield.chat.detect import FORMATS, Detection, choose, resolve
    from tradeshield.chat.engine import Context
    from tradeshield.chat.source import Source

    src = Source(path, encoding, name)
    sample = src.sample()
    if fmt in (None, "", "auto"):
        det = choose(sample, src.name)
    else:
        det = Detection(resolve(fmt), 1.0)
    ctx = Context(tz, me, side, ref, _mtime_date(path if name is None else name, tz))
    return src, det, ctx, FORMATS[det.format].records(src, ctx, sample, progress)


def finish_warnings(ctx, det) -> list[dict]:
    out = []
    if det.unsure:
        cands = ", ".join(f"{n} {s:.0%}" for n, s in det.candidates if n != det.format) or "-"
        out.append(warning("chat.unsure", fmt=det.format, conf=det.confidence, candidates=cands))
    seen = set()
    for key, params in ctx.notes:
        if key not in seen:
            seen.add(key)
            out.append(warning(key, **params))
    if ctx.bad_count:
        lines = ", ".join(map(str, ctx.bad_lines)) + (" …" if ctx.bad_count > len(ctx.bad_lines) else "")
        out.append(warning("chat.skipped", n=ctx.bad_count, lines=lines))
    return out


def order_of(times: list) -> str:
    """oldest-first / newest-first / mixed, for a list of ISO times (None carried forward)."""
    from tradeshield.chat.spool import OrderTracker

    tr = OrderTracker()
    for t in times:
        tr.add(t)
    return tr.order


def _mtime_date(path, tz):
    """The modification date of the file at ``path`` in ``tz`` (None when it cannot be read)."""
    import datetime as dt

    from tradeshield.timeutil import parse_offset

    try:
        return dt.datetime.fromtimestamp(os.stat(path).st_mtime,
                                         tz if isinstance(tz, dt.tzinfo) else parse_offset(tz)).date()
    except (OSError, ValueError, OverflowError):
        return None


def read_chat(path: str | os.PathLike, fmt: str = "auto", me: str | None = None, tz=None,
              encoding: str | None = None, *, side: str | None = None, stream: bool = False,
              progress=None, ref=None) -> Conversation:
    """Read an export into a ``Conversation`` (messages oldest-first; ``stream=True``: an iterator in file order;
    ``ref``: the day it was exported, a ``datetime.date``: see ``open_records``)."""
    from tradeshield.errors import InputError
    from tradeshield.evidence.fsutil import hash_file

    sha, _ = hash_file(path)
    src, det, ctx, records = open_records(path, fmt, me, tz, encoding, side, progress, ref=ref)
    conv = Conversation(format=det.format, confidence=det.confidence, sha256=sha, messages=[],
                        encoding=src.encoding, path=str(path))
    if stream:
        conv.messages = _stream(records, sha, ctx, det, conv)
        return conv
    recs = list(records)
    if not recs:
        raise InputError("chat.nothing", path=str(path), fmt=det.format)
    conv.order = order_of([r[0] for r in recs])
    recs = sort_records(recs, conv.order)
    conv.messages = [message_from_record(r, sha) for r in recs]
    conv.warnings = finish_warnings(ctx, det) + order_warning(conv.order)
    return conv


def _stream(records, sha, ctx, det, conv) -> Iterator[Message]:
    for r in records:
        yield message_from_record(r, sha)
    conv.warnings = finish_warnings(ctx, det)


def order_warning(order: str) -> list[dict]:
    if order == "newest-first":
        return [warning("chat.newest_first")]
    if order == "mixed":
        return [warning("chat.mixed_order")]
    return []


def sort_records(recs: list, order: str) -> list:
    if order == "newest-first":
        return recs[::-1]
    if order == "mixed":
        from tradeshield.chat.spool import sort_keys

        keys = sort_keys([r[0] for r in recs])
        return [recs[i] for i in sorted(range(len(recs)), key=keys.__getitem__)]
    return recs
