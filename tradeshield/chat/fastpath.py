"""Chunk-at-a-time import: JSON lines and key events for many messages per regex pass.

    >>> from tradeshield.chat.fastpath import Emitter
    >>> em = Emitter("ab" * 32)
    >>> out = em.emit(["2024-01-02T10:00:00+08:00"], ['"sender":"A","role":"them"'], ["能便宜50吗"], [1], [3])
    >>> out.kinds, out.messages.count(b"\\n")
    ({'discount-request': 1}, 1)

A chunk is a few thousand messages held as columns (times, sender+role JSON, texts, first and last
line). The trigger words are found by one scan over the chunk's texts joined with NUL and mapped back
to messages by bisecting the start offsets; the lines are joined as UTF-8 from encoded pieces mapped
over the columns in C (formatting wide strings and encoding them afterwards cost 7 % more). The output is
byte for byte what a per-message loop wrote before (``store._spool`` of earlier versions, and
``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``): the same keys, order and escaping.
Event lines of a text already seen in the chunk's process are taken from a cache.

Taobao exports of blank-line separated blocks also parse a chunk at a time (``taobao_columns``); any
chunk that is not entirely made of such blocks goes through the header-regex engine, so results never
depend on which path ran. ``run_raw`` cuts a UTF-8 file into byte chunks at places where the engine
must start a message and hands them to forked worker processes.
"""
from __future__ import annotations

import multiprocessing
import os
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate, chain, repeat
from json.encoder import encode_basestring as _q
from operator import add, gt, is_not, itemgetter, lt

from tradeshield.chat.events import Matcher
from tradeshield.chat.model import attachments_of
from tradeshield.chat.spool import OrderTracker

SEP = "\x00"                 # joins a chunk's texts for the trigger scan; no trigger word contains it
_LETTERS = re.compile("[A-Za-z][^\x00]*")   # one hit per message: the rest of the text is consumed
_START = re.Match.start
CACHE = 20_000           # texts whose events are remembered (chats repeat "好的", "在吗", auto-replies …)
_SUFFIX = itemgetter(slice(19, None))


@dataclass
class Out:
    """One chunk's result; ``merge`` folds chunk results in file order."""
    messages: bytes | memoryview = b""      # (columnar: a view of Polars' memory)
    events: bytes | memoryview = b""
    n: int = 0
    kinds: dict = field(default_factory=dict)
    head: str | None = None      # first and last time in file order (order tracking across chunks)
    tail: str | None = None
    lo: str | None = None        # smallest and largest time (as the ISO strings compare)
    hi: str | None = None
    up: bool = False
    down: bool = False
    bad: list = field(default_factory=list)   # first skipped line numbers
    bad_count: int = 0


class Emitter:
    """Formats columns of messages as chat.jsonl and chat-events.jsonl text."""

    def __init__(self, sha: str, rules: str | None = None):
        self.matcher = Matcher(rules)
        self.zh = self.matcher._zh
        self.joinable = not any(SEP in w for w in self.matcher.triggers)
        self.sha = sha
        self.sender_bytes: dict = {}
        self.src_bytes = (',"source":"' + sha + '","lines":[').encode("ascii")
        self.cache: dict = {}     # text → its events, formatted but for time, sender and lines

    def emit(self, times: list, sr: list, texts: list, a: list, b: list) -> Out:
        """``times`` ISO strings or None, ``sr`` '"sender":…,"role":"…"' fragments, ``a``/``b`` line ranges."""
        out = order_stats(times)
        out.n = len(texts)
        tq = list(map('"%s"'.__mod__, times)) if None not in times else ['"%s"' % t if t else "null" for t in times]
        qt = list(map(_q, texts))
        joined = SEP.join(texts)
        starts = list(accumulate(map((1).__add__, map(len, texts)), initial=0))
        att = ["[]"] * len(texts)
        for k in _attachment_candidates(joined, starts):
            found = attachments_of(texts[k])
            if found:
                att[k] = "[" + ",".join(map(_q, found)) + "]"
        out.messages = self._message_lines(tq, sr, qt, att, a, b)
        out.events, out.kinds = self._events(joined, starts, texts, tq, sr, qt, a, b)
        return out

    def _message_lines(self, tq, sr, qt, att, a, b) -> bytes:
        """The chat.jsonl lines as UTF-8, joined from encoded pieces (no wide-string formatting)."""
        srb = self.sender_bytes
        for frag in set(sr).difference(srb):
            srb[frag] = frag.encode("utf-8")
        n = len(qt)
        enc = str.encode
        pieces = zip(repeat(b'{"time":', n), map(enc, tq), repeat(b",", n), map(srb.__getitem__, sr),
                     repeat(b',"text":', n), map(enc, qt), repeat(b',"attachments":', n), map(enc, att),
                     repeat(self.src_bytes, n), map(b"%d,%d]}\n".__mod__, zip(a, b)))
        return b"".join(chain.from_iterable(pieces))

    def _events(self, joined, starts, texts, tq, sr, qt, a, b) -> tuple[bytes, dict]:
        found = self._found(joined, starts, texts)
        letters = set(_messages_hit(_LETTERS, joined, starts))
        for k in letters.difference(found):
            found[k] = ()
        keys = sorted(found) if letters else found
        resolve, cache = self.matcher.resolve, self.cache
        if len(cache) > CACHE:
            cache.clear()
        rows = []
        add_row = rows.append
        for k in keys:
            text = texts[k]
            evs = cache.get(text)
            if evs is None:
                evs = resolve(text, found[k], k in letters, starts[k] if self.joinable else 0)
                # the part of each event line that depends on the text alone, formatted and encoded once
                evs = cache[text] = [(kind, (',"text":%s,"matched":%s%s,"ref":{"source":"%s","lines":[' % (
                    qt[k], _q(matched), ',"amount":"%s"' % amount if amount else "", self.sha)).encode("utf-8"))
                    for kind, matched, amount in evs]
            for kind, tail in evs:
                add_row((k, kind, tail))
        if not rows:
            return b"", {}
        ks, kinds, tails = zip(*rows)
        n, srb = len(ks), self.sender_bytes
        pieces = zip(repeat(b'{"time":', n), map(str.encode, map(tq.__getitem__, ks)), repeat(b',"kind":"', n),
                     map(str.encode, kinds), repeat(b'",', n), map(srb.__getitem__, map(sr.__getitem__, ks)), tails,
                     map(b"%d,%d]}}\n".__mod__, zip(map(a.__getitem__, ks), map(b.__getitem__, ks))))
        return b"".join(chain.from_iterable(pieces)), dict(Counter(kinds))

    def _found(self, joined: str, starts: list, texts: list) -> dict:
        """{message index: its trigger matches}, from one scan of the joined texts grouped in C."""
        if not self.joinable:
            found = {}
            for k, text in enumerate(texts):
                ms = list(self.zh.finditer(text))
                if ms:
                    found[k] = ms
            return found
        ms = list(self.zh.finditer(joined))
        counts = Counter(map(bisect_right, repeat(starts), map(_START, ms)))   # k + 1 → hits, in order
        found, i = {}, 0
        for k1, c in counts.items():
            found[k1 - 1] = ms[i:i + c]
            i += c
        return found


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


def _messages_hit(pattern: re.Pattern, joined: str, starts: list) -> list[int]:
    """Indices of the messages in which ``pattern`` matches (each once, in order)."""
    out, nxt = [], -1
    for m in pattern.finditer(joined):
        s = m.start()
        if s >= nxt:
            k = bisect_right(starts, s) - 1
            out.append(k)
            nxt = starts[k + 1]
    return out


def order_stats(times: list) -> Out:
    """Order flags and extremes of a chunk's times, as ``OrderTracker`` and the old loop computed them."""
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


def merge(total: Out, part: Out, max_bad: int) -> None:
    """Fold ``part`` (the next chunk in file order) into ``total``; payloads are not kept."""
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
    total.bad.extend(part.bad[:max(0, max_bad - len(total.bad))])
    total.bad_count += part.bad_count


# ---------------------------------------------------------------- columns from records (any format)

class Senders:
    """'"sender":…,"role":"…"' fragments, cached: a chat has few distinct senders."""

    def __init__(self):
        self.cache: dict = {}

    def __call__(self, sender: str, role: str) -> str:
        key = (sender, role)
        frag = self.cache.get(key)
        if frag is None:
            frag = self.cache[key] = '"sender":%s,"role":"%s"' % (_q(sender), role)
        return frag


def record_columns(records: list, senders: Senders) -> tuple:
    times = [r[0] for r in records]
    sr = [senders(r[1], r[2]) for r in records]
    return times, sr, [r[3] for r in records], [r[4] for r in records], [r[5] for r in records]


# ---------------------------------------------------------------- Taobao blocks, a chunk at a time

# groups: "role\nnick" (one key for the sender cache), date, clock, text lines
_FAST = re.compile(r"\n\n((?:买家|卖家|自己|客服)\n[^\n]*)[ \t](\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\n([^\n]+(?:\n[^\n]+)*)")
# a body line the engine would read as a header (it ends with a date and time): not a plain block
_DATED_LINE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}[ \t]+\d{1,2}:\d{2}(?::\d{2})?[ \t]*$", re.M)
_PLAIN_CLOCK = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]").fullmatch   # the engine keeps these as is
NOISE_WORDS = "(?:已读|未读|发送中|当前用户来自|商品详情页|由 服务助手 转交给|原因：【离线留言自动分配】)"  # status lines
_NOISE_START = re.compile("\n" + NOISE_WORDS)


def taobao_columns(text: str, line0: int, ctx, who: dict) -> tuple | None:
    """Columns for a chunk made only of "role / nick time / text lines" blocks, or None.

    ``text`` starts at a line where the engine starts a message (``line0`` is its number) and ends
    with a blank line or the end of the file; None sends the chunk to the engine instead.
    """
    parts = _FAST.split("\n\n" + text)
    gaps = parts[0::5]
    if len(gaps) < 2 or "".join(gaps).strip("\n"):
        return None
    senders, dates, clocks, bodies = parts[1::5], parts[2::5], parts[3::5], parts[4::5]
    if any(_DATED_LINE.search(b) for b in bodies if ":" in b):
        return None
    times = _times(dates, clocks, ctx)
    if times is None:
        return None
    for key in set(senders).difference(who):
        who[key] = _who(*key.split("\n"), ctx)
    texts = list(map(str.rstrip, bodies))
    raw_nl = list(map(str.count, bodies, repeat("\n")))
    nl = raw_nl if not any(map(is_not, texts, bodies)) else list(map(str.count, texts, repeat("\n")))
    if "" in texts:
        return None
    if _NOISE_START.search(text):
        from tradeshield.chat.taobao import FORMAT

        texts = list(map(FORMAT.clean, texts))
    # role line, nick line, body lines, blank line, then any extra blank lines (the gap) before the next block
    steps = map(add, map((4).__add__, raw_nl), map(len, gaps[1:-1]))
    a = list(accumulate(steps, initial=line0 + len(gaps[0])))
    b = list(map(add, a, map((2).__add__, nl)))
    return times, list(map(who.__getitem__, senders)), texts, a, b


def _times(dates: list, clocks: list, ctx) -> list | None:
    dn = {d: ctx.date(d[:4], d[5:7], d[8:10]) for d in set(dates)}
    odd = {c: ctx.clock(c) for c in set(clocks) if _PLAIN_CLOCK(c) is None}
    if None in dn.values() or None in odd.values():
        return None   # an invalid time: the engine skips that message and counts it
    fmt = "%sT%s" + ctx.offset
    if odd or any(k != v for k, v in dn.items()):   # e.g. full-width digits: written as the engine normalizes them
        return list(map(fmt.__mod__, zip(map(dn.__getitem__, dates), (odd.get(c, c) for c in clocks))))
    return list(map(fmt.__mod__, zip(dates, clocks)))


def _who(role_line: str, nick: str, ctx) -> str:
    from tradeshield.chat.taobao import _ROLE_HINT, _STATUS_RE

    if nick and ("旺" in nick or "线" in nick):      # as Taobao.make does
        nick = _STATUS_RE.sub("", nick)
    if role_line == "自己" and not nick:
        nick = ctx.me or "自己"
    return '"sender":%s,"role":"%s"' % (_q(nick), ctx.role_of(nick, _ROLE_HINT[role_line]))


def taobao_chunk(text: str, line0: int, ctx, emitter: Emitter, who: dict, senders: Senders) -> Out:
    cols = taobao_columns(text, line0, ctx, who)
    if cols is not None:
        return emitter.emit(*cols)
    from tradeshield.chat.engine import parse_chunks
    from tradeshield.chat.taobao import FORMAT

    bad_before, count_before = len(ctx.bad_lines), ctx.bad_count
    shift = line0 - 1
    recs = [r[:4] + (r[4] + shift, r[5] + shift) for r in parse_chunks(FORMAT, [text], ctx)]
    bad = [n + shift for n in ctx.bad_lines[bad_before:]]
    del ctx.bad_lines[bad_before:]
    out = emitter.emit(*record_columns(recs, senders)) if recs else Out()
    out.bad, out.bad_count = bad, ctx.bad_count - count_before
    ctx.bad_count = count_before
    return out


# ---------------------------------------------------------------- raw UTF-8 chunks in worker processes

RAW_CHUNK = 2 * 1024 * 1024
_ROLES_B = "|".join(("买家", "卖家", "自己", "客服"))
# "\n\n" before a role line and a line ending in a date and time: the engine starts a message there
# whatever precedes it (no header can run across a blank line), so chunks cut there parse alike.
_CUT = re.compile(("\n\n(?=(?:" + _ROLES_B + r")\n[^\n]*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ \t]+[0-9]{1,2}:[0-9]{2}"
                   r"(?::[0-9]{2})?[ \t]*\n)").encode())
_STATE = None


def _init(cfg: dict, quiet: bool = True) -> None:
    global _STATE
    if quiet:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from tradeshield.chat.engine import Context

    ctx = Context(cfg["tz"], cfg["me"], cfg["side"])
    _STATE = (ctx, Emitter(cfg["sha"], cfg.get("rules")), {}, Senders(), cfg["encoding"])


def _work(raw: bytes, line0: int, first: bool) -> Out:
    ctx, emitter, who, senders, enc = _STATE
    text = raw.decode("utf-8", errors="replace")
    if first:
        if enc == "utf-8-sig" and text.startswith("\ufeff"):
            text = text[1:]
        if text.startswith("\ufeff"):     # as Source.chunks does
            text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return taobao_chunk(text, line0, ctx, emitter, who, senders)


def newlines(raw: bytes) -> int:
    """Lines a text editor counts in ``raw`` (CRLF, CR and LF each end one)."""
    n = raw.count(b"\n")
    if b"\r" in raw:
        n += raw.count(b"\r") - raw.count(b"\r\n")
    return n


def raw_chunks(f, size: int | None = None):
    """(bytes, first line number, is first) pieces of an open binary file, cut where a message starts
    (``pieces``). ``size`` defaults to ``RAW_CHUNK`` as it is when called (tests shrink it)."""
    line = 1
    for piece, first in pieces(f, size):
        yield piece, line, first
        line += newlines(piece)


WINDOW = 65536      # where a cut is looked for first: the last bytes read


def pieces(f, size: int | None = None):
    """(bytes, is first) pieces of an open binary file, each ending where a message starts.

    The file is read ``size`` bytes further each time and cut at the last message start so far
    (``_last_cut``), looked for in the last ``WINDOW`` bytes first; a chunk without one grows. Each
    piece is then read once, straight into its own bytes (no joining, slicing or counting of chunks
    while holding the GIL: the columnar threads read their chunks themselves).
    """
    size = size or RAW_CHUNK
    total = f.seek(0, os.SEEK_END)
    start = read_to = 0
    first = True
    while True:
        if read_to >= total:
            f.seek(start)
            rest = f.read()
            if rest:
                yield rest, first
            return
        read_to = min(read_to + size, total)
        low = max(start, read_to - WINDOW)
        f.seek(low)
        cut = _last_cut(f.read(read_to - low))
        if cut > 0:
            end = low + cut
        elif low > start:             # none near the end: anywhere in the chunk
            f.seek(start)
            cut = _last_cut(f.read(read_to - start))
            if cut <= 0:
                continue              # no safe place yet: the chunk grows until one appears
            end = start + cut
        else:
            continue
        f.seek(start)
        yield f.read(end - start), first
        start, first = end, False


def _last_cut(buf: bytes) -> int:
    """The end of the last blank line followed by a message's first two lines (``_CUT``), or -1.

    Found from the end with ``rfind``: two such blank lines cannot overlap, so the last one that
    matches is the last match a scan from the start would find."""
    end = len(buf)
    while True:
        i = buf.rfind(b"\n\n", 0, end)
        if i < 0:
            return -1
        if _CUT.match(buf, i):
            return i + 2
        end = i + 1             # "\n\n\n": the pair one byte earlier is looked at next


def worker_count() -> int:
    """Worker processes to fork: one per core (none on one core or without fork).

    Measured on the shared 2-core machine: two workers cut the 1M-message import from 23.8 s to
    17.7–21.2 s at load ~2.3 and cost ~5 % when every core is already busy (pickling chunks both ways).
    ``TRADESHIELD_CHAT_WORKERS`` overrides (0: parse in this process).
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    env = os.environ.get("TRADESHIELD_CHAT_WORKERS", "").strip()
    if env.isdigit():
        return int(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


def run_raw(path, cfg: dict, sink, progress=None, workers: int | None = None) -> Out:
    """Parse a UTF-8 Taobao export by raw chunks; ``sink(out)`` gets each chunk's Out in file order.

    ``cfg``: sha, tz, me, side, encoding, max_bad (and rules).
    """
    from collections import deque

    workers = worker_count() if workers is None else workers
    total = Out()
    size = os.path.getsize(path)
    label = os.path.basename(str(path))
    with open(path, "rb") as f:
        if workers <= 0:
            _init(cfg, quiet=False)
            for raw, line, first in raw_chunks(f):
                out = _work(raw, line, first)
                merge(total, out, cfg["max_bad"])
                sink(out)
                if progress:
                    progress(label, min(f.tell(), size), size)
            return total
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_init,
                                   initargs=(cfg,))
        try:
            pending: deque = deque()
            for raw, line, first in raw_chunks(f):
                pending.append(pool.submit(_work, raw, line, first))
                if len(pending) > 2 * workers:
                    _drain(pending.popleft(), total, sink, cfg)
                    if progress:
                        progress(label, min(f.tell(), size), size)
            while pending:
                _drain(pending.popleft(), total, sink, cfg)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return total


def _drain(fut, total: Out, sink, cfg: dict) -> None:
    out = fut.result()
    merge(total, out, cfg["max_bad"])
    sink(out)
