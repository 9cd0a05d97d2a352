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
