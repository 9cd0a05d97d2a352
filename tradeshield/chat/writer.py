"""The one writer: records of any grammar, a batch at a time → ``chat.jsonl`` and ``chat-events.jsonl`` lines.

    >>> from tradeshield.chat.writer import Writer
    >>> w = Writer("ab" * 32)
    >>> out = w.write([("2024-01-02T10:00:00+08:00", "A", "them", "能便宜50吗", 1, 3)])
    >>> out.kinds, out.messages.count(b"\\n")
    ({'discount-request': 1}, 1)

A batch is a list of records ``(iso | None, sender, role, text, line_start, line_end)`` in file order.
Message lines are formatted by hand (``json.dumps`` per message would cost half the time budget): the same
keys, order and escaping as ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``, joined as UTF-8
from encoded pieces mapped over the batch's columns. Events come from the one matcher entry point as lines,
``events.find_event_lines`` (the events ``find_events`` gives, every key written as ``json.dumps`` writes it); each
event line starts with its ``time`` so ``spool.line_time`` can read it without parsing JSON.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, chain, repeat
from json.encoder import encode_basestring as _q
from operator import add, gt, itemgetter, lt

from tradeshield.chat.engine import _SENDERS
from tradeshield.chat.events import find_event_lines
from tradeshield.chat.model import attachments_of
from tradeshield.chat.spool import OrderTracker

_SUFFIX = itemgetter(slice(19, None))


@dataclass
class Out:
    """One batch's result; ``merge`` folds batch results in file order."""
    messages: bytes = b""
    events: bytes = b""
    n: int = 0
    kinds: dict = field(default_factory=dict)
    head: str | None = None      # first and last time in file order (order tracking across batches)
    tail: str | None = None
    lo: str | None = None        # smallest and largest time (as the ISO strings compare)
    hi: str | None = None
    up: bool = False
    down: bool = False


class Writer:
    """Formats batches of records; ``context`` goes to ``find_events`` (e.g. the case's role)."""

    def __init__(self, sha: str, **context):
        self.sha = sha
        self.context = {"state": {}, **context}    # one dialogue state per import, carried across batches
        self.sender_bytes: dict = {}
        self.src_bytes = (',"source":"' + sha + '","lines":[').encode("ascii")
        self.total = Out()

    def write(self, recs: list, extras: list | None = None, events: bool = True) -> Out:
        """``extras``: per record, more ``"key":value`` JSON text to end its message line with (a screenshot's
        confidence and box), each starting with a comma; None for none. Without ``events`` the batch's events are
        read elsewhere (``background``; their counts come in through ``add_kinds``)."""
        times = [r[0] for r in recs]
        texts = [r[3] for r in recs]
        a = [r[4] for r in recs]
        b = [r[5] for r in recs]
        out = order_stats(times)
        out.n = len(recs)
        srb = self.sender_bytes
        sr = []
        for r in recs:
            key = (r[1], r[2])
            frag = srb.get(key)
            if frag is None:
                if len(srb) >= _SENDERS:      # bounded (memory flat in file size)
                    srb.clear()
                frag = srb[key] = ('"sender":%s,"role":"%s"' % (_q(r[1]), r[2])).encode("utf-8")
            sr.append(frag)
        tq = list(map('"%s"'.__mod__, times)) if None not in times else ['"%s"' % t if t else "null" for t in times]
        out.messages = self._message_lines(tq, sr, texts, a, b, extras)
        if events:
            out.events, out.kinds = self._events(recs)
        merge(self.total, out)
        return out

    def add_kinds(self, counts: dict) -> None:
        """Count a batch's events read elsewhere (``background``), batches in file order."""
        for k, v in counts.items():
            self.total.kinds[k] = self.total.kinds.get(k, 0) + v

    def _message_lines(self, tq, sr, texts, a, b, extras=None) -> bytes:
        att = ["[]"] * len(texts)
        joined = "\x00".join(texts)
        starts = list(accumulate(map((1).__add__, map(len, texts)), initial=0))
        for k in _attachment_candidates(joined, starts):
            found = attachments_of(texts[k])
            if found:
                att[k] = "[" + ",".join(map(_q, found)) + "]"
        n, enc = len(texts), str.encode
        pieces = zip(repeat(b'{"time":', n), map(enc, tq), repeat(b",", n), sr,
                     repeat(b',"text":', n), map(enc, map(_q, texts)), repeat(b',"attachments":', n), map(enc, att),
                     repeat(self.src_bytes, n),
                     map(b"%d,%d]}\n".__mod__, zip(a, b)) if extras is None else
                     map(b"%d,%d]%s}\n".__mod__, zip(a, b, map(enc, extras))))
        return b"".join(chain.from_iterable(pieces))

    def _events(self, recs: list) -> tuple[bytes, dict]:
        # the records as the reader takes them: (time, sender, role, text, line_start, line_end) + (source,)
        return find_event_lines(list(map(add, recs, repeat((self.sha,)))), **self.context)


_KEYS = ("time", "sender", "role", "text", "line_start", "line_end", "source")


def _attachment_candidates(joined: str, starts: list) -> list[int]:
    """Messages holding "[", "<" or "http" (what ``attachments_of`` looks at), by ``str.find``."""
    found = set()
    for needle in ("[", "<", "http"):
        i = joined.find(needle)
        while i >= 0:
            k = bisect_right(starts, i) - 1
            found.add(k)
            i = joined.find(needle, starts[k + 1])
    return sorted(found)


def order_stats(times: list) -> Out:
    """Order flags and extremes of a batch's times, as ``OrderTracker`` computes them."""
    ts = times if None not in times else [t for t in times if t]
    out = Out()
    if not ts:
        return out
    out.head, out.tail, out.lo, out.hi = ts[0], ts[-1], min(ts), max(ts)
    if len(set(map(_SUFFIX, ts))) == 1:    # one offset: ISO strings compare as times (as OrderTracker does)
        out.up = any(map(lt, ts, ts[1:]))
        out.down = any(map(gt, ts, ts[1:]))
    else:
        tr = OrderTracker()
        for t in ts:
            tr.add(t)
        out.up, out.down = tr.up, tr.down
    return out


def merge(total: Out, part: Out) -> None:
    """Fold ``part`` (the next batch in file order) into ``total``; payloads are not kept."""
    total.n += part.n
    for k, v in part.kinds.items():
        total.kinds[k] = total.kinds.get(k, 0) + v
    if part.head is not None:
        if total.tail is not None:
            tr = OrderTracker()
            tr.add(total.tail)
            tr.add(part.head)
            total.up, total.down = total.up or tr.up, total.down or tr.down
        else:
            total.head = part.head
        total.tail = part.tail
        total.lo = part.lo if total.lo is None or part.lo < total.lo else total.lo
        total.hi = part.hi if total.hi is None or part.hi > total.hi else total.hi
    total.up, total.down = total.up or part.up, total.down or part.down
