"""Parsing and formatting of times with an explicit UTC offset.

    >>> from tradeshield.timeutil import parse_time, parse_offset
    >>> parse_time("2021-05-23 10:12", parse_offset("+08:00")).isoformat()
    '2021-05-23T10:12:00+08:00'

Every time tradeshield stores carries its offset; naive input times are read in the case's
timezone (default +08:00, Beijing time).
"""
from __future__ import annotations

import datetime as dt
import re

from tradeshield import i18n
from tradeshield.errors import InputError

i18n.register({
    "time.bad": ("无法识别的时间：{text}（例：2021-05-23 10:12 或 2021-05-23T10:12+08:00）",
                 "cannot read the time: {text} (e.g. 2021-05-23 10:12 or 2021-05-23T10:12+08:00)"),
    "time.bad_offset": ("无法识别的时区偏移：{text}（例：+08:00）", "cannot read the UTC offset: {text} (e.g. +08:00)"),
})

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)
_CN = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?秒?)?$")
_ISHISH = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")


def parse_offset(text: str | None) -> dt.timezone:
    if not text:
        return dt.timezone(dt.timedelta(hours=8))
    text = text.strip()
    if text.upper() in ("Z", "UTC", "GMT"):
        return dt.timezone.utc
    m = _OFFSET.match(text)
    if not m:
        raise InputError("time.bad_offset", text=text)
    sign = -1 if m.group(1) == "-" else 1
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if hours > 14 or minutes > 59:
        raise InputError("time.bad_offset", text=text)
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def format_offset(tz: dt.tzinfo) -> str:
    off = dt.datetime.now(tz).utcoffset() or dt.timedelta(0)
    total = int(off.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 60:02d}:{total % 60:02d}"


def parse_time(text: str, tz: dt.tzinfo | None = None) -> dt.datetime:
    """Read a user- or export-written time; naive times get ``tz`` (default +08:00)."""
    tz = tz or parse_offset(None)
    s = text.strip()
    m = _ISHISH.match(s)
    try:
        if m:
            y, mo, d, h, mi, sec, frac, off = m.groups()
            when = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0),
                               int((frac or "0").ljust(6, "0")))
            if off:
                return when.replace(tzinfo=parse_offset("+00:00" if off == "Z" else off))
            return when.replace(tzinfo=tz)
        m = _CN.match(s)
        if m:
            y, mo, d, h, mi, sec = m.groups()
            return dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0), tzinfo=tz)
        when = fromiso(s)
    except ValueError:
        raise InputError("time.bad", text=text) from None
    return when if when.tzinfo else when.replace(tzinfo=tz)


_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_FRACTION = re.compile(r"\.(\d+)(?=[+-]\d{2}:?\d{2}$|$)")


def fromiso(text: str) -> dt.datetime:
    """``datetime.fromisoformat`` as Python 3.11 reads it, also on 3.10: a trailing ``Z``, an offset without a colon
    (``+0300``, QuickTime's creationdate) and fractions of any length are accepted. ValueError otherwise."""
    s = text.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        return dt.datetime.fromisoformat(s)
    except ValueError:
        s = _OFFSET_NO_COLON.sub(r"\1:\2", s)
        s = _FRACTION.sub(lambda m: "." + m[1][:6].ljust(6, "0"), s)
        return dt.datetime.fromisoformat(s)


def iso(when: dt.datetime) -> str:
    return when.isoformat()


def to_zone(value, tz: dt.tzinfo) -> dt.datetime | None:
    """An ISO string or datetime in ``tz`` (naive values are read as ``tz``); None when unreadable."""
    if isinstance(value, dt.datetime):
        t = value
    else:
        try:
            t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return (t if t.tzinfo else t.replace(tzinfo=tz)).astimezone(tz)


def show_time(value, tz: dt.tzinfo, offset: bool = True, seconds: bool = False) -> str:
    """A time as people read it, in the case's zone: ``2021-05-25 16:20 +08:00``."""
    t = to_zone(value, tz)
    if t is None:
        return str(value)
    text = t.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} {format_offset(tz)}" if offset else text


def format_duration(seconds: float, lang: str = "zh") -> str:
    """A duration in natural units: 8分钟, 3小时5分钟, 12天 / 8 minutes, 1 day 3 hours (two units at most)."""
    mins = max(0, int(seconds // 60))
    if seconds > 0 and mins == 0:
        mins = 1
    d, h, m = mins // 1440, mins % 1440 // 60, mins % 60
    units = (("天", "day"), ("小时", "hour"), ("分钟", "minute"))
    parts = [(n, u) for n, u in zip((d, h, m), units) if n]
    if d:
        parts = [p for p in parts if p[1][1] != "minute"]
    parts = parts[:2] or [(0, units[2])]
    if lang == "zh":
        return "".join(f"{n}{u[0]}" for n, u in parts)
    return " ".join(f"{n} {u[1]}{'' if n == 1 else 's'}" for n, u in parts)
