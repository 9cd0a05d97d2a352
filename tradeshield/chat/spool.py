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
import heapq
import mmap
import os
from array import array
from typing import Iterable, Iterator

BLOCK = 4 * 1024 * 1024


def epoch(iso: str | None) -> float | None:
    if not iso:
        return None
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


def merge_by_time(*streams: Iterable[bytes]) -> Iterator[bytes]:
    """Merge already-sorted line streams by time (stable: earlier streams first on ties)."""
    def keyed(stream, idx):
        last = float("-inf")
        for n, ln in enumerate(stream):
            e = epoch(line_time(ln))
            if e is not None:
                last = e
            yield (last, idx, n), ln

    for _, ln in heapq.merge(*(keyed(s, i) for i, s in enumerate(streams)), key=lambda p: p[0]):
        yield ln
