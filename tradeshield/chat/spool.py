"""Bounded-memory ordering of JSON-lines files: order tracking, reversal, sorting, merging by time.

    >>> from tradeshield.chat.spool import OrderTracker
    >>> tr = OrderTracker()
    >>> for t in ["2024-01-02T10:00:00+08:00", "2024-01-01T10:00:00+08:00"]: tr.add(t)
    >>> tr.order
    'newest-first'

Every line starts with ``{"time":"<ISO>"`` or ``{"time":null`` so the key is read without parsing
JSON. Newest-first files are reversed by reading the spool backwards in blocks; mixed files are
sorted through an array of keys and byte offsets (16 bytes a line), never the lines themselves.
"""
from __future__ import annotations

import datetime as dt
import mmap
import os
import re
from array import array
from operator import itemgetter
from typing import Iterable, Iterator

BLOCK = 4 * 1024 * 1024


_MIDNIGHT: dict = {}     # "YYYY-MM-DD" + offset → epoch of that midnight


def epoch(iso: str | None) -> float | None:
    """Seconds since the epoch of an ISO time (None when missing or unreadable). The times the grammars write
    (``YYYY-MM-DDTHH:MM:SS±HH:MM``) take a fast path: the midnight of their day and offset, cached, plus the clock."""
    if not iso:
        return None
    if len(iso) == 25 and iso[10] == "T" and iso[13] == ":" and iso[16] == ":" and iso[19] in "+-":
        key = iso[:10] + iso[19:]
        day = _MIDNIGHT.get(key)
        if day is None:
            try:
                day = _MIDNIGHT[key] = dt.datetime.fromisoformat(iso[:10] + "T00:00:00" + iso[19:]).timestamp()
            except ValueError:
                day = _MIDNIGHT[key] = False
        h, m, s = iso[11:13], iso[14:16], iso[17:19]
        if day is not False and h.isdigit() and m.isdigit() and s.isdigit() and h < "24" and m < "60" and s < "60":
            return day + int(h) * 3600 + int(m) * 60 + int(s)
    try:
        return dt.datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None


class OrderTracker:
    def __init__(self):
        self.prev = None
        self.up = self.down = False

    def add(self, t: str | None) -> None:
        p = self.prev
        if t is None:
            return
        if p is not None and t != p:
            if t[19:] == p[19:]:          # same offset (and no fractions): ISO strings compare as times
                later = t > p
            else:
                later = epoch(t) > epoch(p)
            if later:
                self.up = True
            else:
                self.down = True
        self.prev = t

    @property
    def order(self) -> str:
        if self.down and self.up:
            return "mixed"
        return "newest-first" if self.down else "oldest-first"


def sort_keys(times: Iterable[str | None]) -> list[float]:
    """Epoch keys with missing times carried forward (a message without time stays where it was)."""
    out, last = [], float("-inf")
    for t in times:
        e = epoch(t)
        if e is not None:
            last = e
        out.append(last)
    return out


def line_time(line: bytes) -> str | None:
    if line.startswith(b'{"time":"'):
        return line[9:line.index(b'"', 9)].decode()
    return None


def reversed_lines(path) -> Iterator[bytes]:
    """Lines of ``path`` last to first, reading blocks from the end."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        pos = f.tell()
        rest = b""
        while pos > 0:
            n = min(BLOCK, pos)
            pos -= n
            f.seek(pos)
            buf = f.read(n) + rest
            lines = buf.split(b"\n")
            rest = lines[0]
            for ln in reversed(lines[1:]):
                if ln:
                    yield ln + b"\n"
        if rest:
            yield rest + b"\n"


def sorted_lines(path) -> Iterator[bytes]:
    """Lines of ``path`` stably sorted by their time (missing times carried forward)."""
    offsets = array("q")
    keys = array("d")
    last = float("-inf")
    with open(path, "rb") as f:
        pos = 0
        for ln in f:
            e = epoch(line_time(ln))
            if e is not None:
                last = e
            keys.append(last)
            offsets.append(pos)
            pos += len(ln)
    order = sorted(range(len(keys)), key=keys.__getitem__)
    del keys
    if not order:
        return
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for i in order:
            start = offsets[i]
            end = mm.find(b"\n", start)
            yield mm[start:end + 1]


MERGE_BLOCK = 8000
_PREFIX, _ISO, _OFFSET = (itemgetter(slice(0, 9)), itemgetter(slice(9, 28)), itemgetter(slice(28, 35)))
_OFFSET_RE = re.compile(rb'[+-][0-2][0-9]:[0-5][0-9]"')


class _RawKeys:
    """Keys of a block of lines as the bytes of their times (``YYYY-MM-DDTHH:MM:SS``, compared as bytes = in time
    order) when every line starts ``{"time":"`` with such a time and the one UTC offset all blocks so far had;
    else None (``offset`` becomes False for good). Picked by slices mapped in C, no Python call per line."""

    def __init__(self):
        self.offset = None

    def keys(self, lines: list):
        offsets = set(map(_OFFSET, lines))
        if len(offsets) != 1 or set(map(_PREFIX, lines)) != {b'{"time":"'}:
            return None
        (off,) = offsets
        if not _OFFSET_RE.fullmatch(off) or self.offset not in (None, off):
            return None
        self.offset = off
        return list(map(_ISO, lines))



def merge_by_time(*streams: Iterable[bytes]) -> Iterator[bytes]:
    """Merge already-sorted line streams by time (stable: earlier streams first on ties; a line without a time
    keeps the time of the line before it in its stream).

    Blocks of ``MERGE_BLOCK`` lines at a time: the entries ``(time, stream, position, line)`` of every stream up to
    the smallest last entry buffered from a stream not yet exhausted are safe to write (nothing read later sorts
    before them); ``sorted`` merges those runs in C. Memory holds about two blocks per stream. While every line has
    a grammar-written time with one and the same UTC offset (``_RawKeys``), the time's bytes are the key.
    """
    from bisect import bisect_right
    from itertools import count, islice, repeat

    its = [iter(s) for s in streams]
    fast = _RawKeys()
    bufs: list[list] = [[] for _ in its]
    last = [float("-inf")] * len(its)
    pos = [count() for _ in its]
    live = [True] * len(its)
    while True:
        for i, it in enumerate(its):
            if live[i] and len(bufs[i]) < MERGE_BLOCK:
                lines = list(islice(it, MERGE_BLOCK))
                if not lines:
                    live[i] = False
                    continue
                keys = fast.keys(lines) if fast.offset is not False else None
                if keys is None:
                    if fast.offset is not False:     # the raw keys so far become epochs: one kind of key throughout
                        off = fast.offset[:-1].decode() if fast.offset else ""
                        fast.offset = False
                        for j, buf in enumerate(bufs):
                            buf[:] = [(epoch(e[0].decode() + off), e[1], e[2], e[3]) for e in buf]
                            if isinstance(last[j], bytes):
                                last[j] = epoch(last[j].decode() + off)
                    keys = []
                    k = last[i]
                    for ln in lines:
                        e = epoch(line_time(ln))
                        if e is not None:
                            k = e
                        keys.append(k)
                last[i] = keys[-1]
                bufs[i].extend(zip(keys, repeat(i), pos[i], lines))
        if not any(bufs):
            return
        open_ = [bufs[i][-1] for i in range(len(its)) if live[i]]
        if open_:
            k, i, n, _ = min(open_)
            bound = (k, i, n + 1)
            parts = []
            for buf in bufs:
                cut = bisect_right(buf, bound)
                if cut:
                    parts.extend(buf[:cut])
                    del buf[:cut]
        else:
            parts = [e for buf in bufs for e in buf]
            for buf in bufs:
                buf.clear()
        parts.sort()
        for e in parts:
            yield e[3]
