"""Shared parsing machinery: the context (timezone, me, warnings) and the header-regex engine.

    >>> import re
    >>> from tradeshield.chat.engine import Context, LineFormat, parse_chunks
    >>> fmt = LineFormat("demo", re.compile(r"\\n(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d) (\\S+)$", re.M))
    >>> fmt.make = lambda m, ctx: (ctx.iso(m[1], m[2]), m[3], ctx.role_of(m[3]), None)
    >>> [r[1:] for r in parse_chunks(fmt, ["2024-01-02 10:00:00 A\\nhi\\n"], Context())]
    [('A', 'them', 'hi', 1, 2)]

Line-oriented exports (Taobao, QQ, WeChat txt, WhatsApp …) differ only in their header line(s);
the text between two headers is the message body. The engine runs the header regex over large
decoded chunks (the regex engine scans in C), carries the unfinished last message to the next
chunk, and counts newlines to give every message its 1-based line range in the original.
"""
from __future__ import annotations

import datetime as dt
import re
from itertools import accumulate, repeat
from typing import Callable, Iterable, Iterator

from tradeshield.timeutil import format_offset, parse_offset

MAX_BAD_LINES = 20  # line numbers quoted in the warning; the count is always complete


class Context:
    """Per-parse state: timezone, who "me" is, caches and skipped-line bookkeeping."""

    def __init__(self, tz=None, me: str | None = None, side: str | None = None, ref: dt.date | None = None,
                 file_date: dt.date | None = None):
        self.ref = ref                    # the day the export was made (the user's ``--date``), or None
        self.file_date = file_date        # the user's file's modification date (a guess when ``ref`` is None)
        self.tzinfo = tz if isinstance(tz, dt.tzinfo) else parse_offset(tz)
        self.offset = format_offset(self.tzinfo)
        self.me = (me or "").strip() or None
        self.side = side                  # "buyer"/"seller": which Taobao role line is "me"
        self._dates: dict[str, str | None] = {}
        # the clock and role caches are read directly by a grammar's hot loop (whatsapp.make) before it calls
        # ``clock`` / ``role_of`` on a miss: the keys are theirs (clock + ampm; sender, or sender NUL hint)
        self.times: dict[str, str | None] = {}
        self.roles: dict[str, str] = {}
        self.bad_lines: list[int] = []
        self.bad_count = 0
        self.notes: list[tuple[str, dict]] = []   # (i18n key, params) warnings a parser wants to raise
        self.cache: dict = {}                     # per-grammar caches (e.g. WhatsApp's raw date → ISO date)

    # ---------------------------------------------------------------- times
    def date(self, y: str, mo: str, d: str) -> str | None:
        key = y + "-" + mo + "-" + d
        hit = self._dates.get(key, 0)
        if hit != 0:
            return hit
        try:
            norm = dt.date(int(y), int(mo), int(d)).isoformat()
        except ValueError:
            norm = None
        self._dates[key] = norm
        return norm

    def clock(self, t: str, ampm: str | None = None) -> str | None:
        key = t if ampm is None else t + ampm
        hit = self.times.get(key, 0)
        if hit != 0:
            return hit
        self.times[key] = norm = _norm_clock(t, ampm)
        return norm

    def iso(self, date: str, clock: str, ampm: str | None = None) -> str | None:
        """``date`` as YYYY-MM-DD (or Y-M-D), ``clock`` as H:MM[:SS]; None when impossible."""
        d = self._dates.get(date, 0)
        if d == 0:
            parts = re.split(r"[-/.]", date)
            d = self.date(*parts) if len(parts) == 3 else None
            self._dates[date] = d
        c = self.clock(clock, ampm)
        if d is None or c is None:
            return None
        return d + "T" + c + self.offset

    def from_epoch(self, seconds: float) -> str | None:
        try:
            return dt.datetime.fromtimestamp(float(seconds), self.tzinfo).isoformat()
        except (ValueError, OverflowError, OSError):
            return None

    def skip(self, line: int) -> None:
        self.bad_count += 1
        if len(self.bad_lines) < MAX_BAD_LINES:
            self.bad_lines.append(line)

    # ---------------------------------------------------------------- roles
    def role_of(self, sender: str, hint: str | None = None) -> str:
        """me / them / system for a sender; ``hint`` is what the format itself says (may be None)."""
        key = sender if hint is None else sender + "\x00" + hint
        r = self.roles.get(key)
        if r is None:
            if len(self.roles) >= _SENDERS:      # a bounded cache: memory stays flat whatever the senders
                self.roles.clear()
            r = self.roles[key] = self._role(sender, hint)
        return r

    def _role(self, sender: str, hint: str | None) -> str:
        if hint in ("me", "system"):
            return hint
        if self.me:   # an explicit --me decides; the buyer/seller side is only a fallback
            if sender == self.me or sender.startswith(self.me + ":") or sender.startswith(self.me + "("):
                return "me"
            return "them" if sender else "system"
        if hint in ("买家", "卖家") and self.side:
            return "me" if (hint == "卖家") == (self.side == "seller") else "them"
        if not sender:
            return "system"
        return "them"


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


_CANON_CLOCK = re.compile(r"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]")     # HH:MM:SS as written back


# senders whose role (``Context.role_of``) or JSON (``writer.Writer``) is kept: a shop's export names one buyer per
# conversation, so an export of 1,000,000 messages has ~30,000 of them (~4 MB kept, grown with the file, before)
_SENDERS = 4096


def _norm_clock(t: str, ampm: str | None) -> str | None:
    if ampm is None and _CANON_CLOCK.fullmatch(t) is not None:
        # already what the general path writes back (f"{h:02d}:{mi:02d}:{s:02d}"): clocks with seconds are mostly
        # all different (Taobao, WeChat, QQ exports), so this is the path of ~every message there
        return t if t < "24" else None
    m = _CLOCK.match(t.strip())
    if not m:
        return None
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    if ampm:
        pm = ampm.strip().lower().replace(".", "").replace(" ", "") in ("pm", "下午", "晚上")
        if h > 12 or h == 0 and pm:
            return None
        h = (h % 12) + (12 if pm else 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return f"{h:02d}:{mi:02d}:{s:02d}"


class LineFormat:
    """A line-oriented export: ``header`` (re.M) marks where each message starts.

    ``make(match, ctx) -> (iso | None | False, sender, role, first_text | None)``; iso None skips the
    message as an invalid date (counted), False keeps it without a time; ``make`` returning None means the
    header line is not a message (it only set state, e.g. a date line). ``clean(body)`` may drop format noise such as 已读.
    """

    per_message = 2.0     # typical lines per message, used by detection
    markers: tuple[str, ...] = ()

    def __init__(self, name: str, header: re.Pattern, make: Callable | None = None):
        self.name = name
        self.header = header
        if make is not None:
            self.make = make

    def make(self, m, ctx):  # pragma: no cover - replaced per format
        raise NotImplementedError

    def clean(self, body: str) -> str:
        return body

    def prepare(self, sample: str) -> "LineFormat":
        """A format tuned to this file (e.g. WhatsApp's date order); notes go to ``self.notes``."""
        return self

    def records(self, source, ctx: "Context", sample: str, progress=None) -> Iterator[tuple]:
        fmt = self.prepare(sample)
        ctx.notes.extend(getattr(fmt, "notes", ()))
        return parse_chunks(fmt, source.chunks(progress=progress), ctx)

    def score(self, sample: str) -> float:
        lines = [ln for ln in sample.split("\n") if ln.strip()]
        if not lines:
            return 0.0
        ctx = Context()
        n = ok = 0
        for m in self.header.finditer("\n" + sample):
            head = self.make(m, ctx)
            if head is None:
                continue
            n += 1
            if head[0] is not None:
                ok += 1
        if not n:
            return 0.0
        density = min(1.0, n * self.per_message / len(lines))
        bonus = 0.15 if any(mk in sample for mk in self.markers) else 0.0
        return min(1.0, density * (ok / n) + bonus)


def parse_chunks(fmt: LineFormat, chunks: Iterable[str], ctx: Context) -> Iterator[tuple]:
    """Records ``(iso, sender, role, text, line_start, line_end)`` in file order.

    Every header regex starts with a literal ``\\n`` (the regex engine then jumps from newline to
    newline instead of trying ``^`` at every character); the stream gets one leading newline, so
    "line 0" is that virtual line and the header's first line is the one after ``m.start()``.
    A chunk's messages are handled as columns (slices, strips and newline counts mapped in C); the
    grammar's ``make`` is the one Python call per message.
    """
    header, make, clean = fmt.header, fmt.make, fmt.clean
    plain = type(fmt).clean is LineFormat.clean
    carry, carry_line = "\n", 0
    it = iter(chunks)
    nxt = next(it, None)
    while nxt is not None:
        chunk, nxt = nxt, next(it, None)
        final = nxt is None
        text = carry + chunk
        tail = ""
        if not final:
            cut = text.rfind("\n")
            text, tail = text[:cut], text[cut:]
        ms = list(header.finditer(text))
        if not ms:
            if final:
                return
            # a header may span the chunk boundary (and look one character behind its first newline)
            keep = max(0, _last_lines_start(text, 3) - 1)
            carry_line += text.count("\n", 0, keep)
            carry = text[keep:] + tail
            continue
        starts = list(map(_START, ms))
        if final:
            upto, ends = len(ms), starts[1:] + [len(text)]
        else:
            upto, ends = len(ms) - 1, starts[1:]
            keep = max(0, starts[-1] - 1)       # the last header again, with the character before it
            carry = text[keep:] + tail
        yield from _records(text, ms[:upto], starts[:upto], ends, carry_line, make, clean, plain, ctx)
        if not final:
            carry_line += text.count("\n", 0, keep)


_START, _END = re.Match.start, re.Match.end


def _records(text, ms, starts, ends, line0, make, clean, plain, ctx):
    nl = "\n"
    count = text.count
    lines = list(accumulate(map(count, repeat(nl), [0] + starts[:-1], starts), initial=line0 + 1))[1:]
    hends = list(map(_END, ms))
    hdr_nl = list(map(count, repeat(nl), map((1).__add__, starts), hends))
    bodies = list(map(text.__getitem__, map(slice, hends, ends)))
    stripped = list(map(str.lstrip, bodies, repeat(nl)))
    texts = list(map(str.rstrip, stripped))
    lasts = [ln + h + (len(b) - len(st) + t.count(nl) if t else 0)
             for ln, h, b, st, t in zip(lines, hdr_nl, bodies, stripped, texts)]
    if not plain:
        texts = [clean(t) if t else t for t in texts]
    heads = list(map(make, ms, repeat(ctx)))
    # line breaks between the header line and the rest of the text (2+: blank lines the message itself holds, kept
    # after text on the header line — 「How are you?」 + blank line + 「Is everything alright?」, Pustur's WhatsApp test)
    gaps = list(map(int.__sub__, map(len, bodies), map(len, stripped)))
    for head, body, line, last, gap in zip(heads, texts, lines, lasts, gaps):
        if head is None:   # a line that only sets state (e.g. a date line): not a message
            continue
        iso, sender, role, first = head
        if first:
            body = first + nl * (gap if gap > 1 else 1) + body if body else first
        if iso is None:
            ctx.skip(line)
            continue
        if iso is False:  # a header without any time (some pasted layouts)
            iso = None
        yield (iso, sender, role, body, line, last)


def _last_lines_start(text: str, n: int) -> int:
    """Index of the newline that starts the last ``n`` lines of ``text`` (0 if fewer)."""
    pos = len(text)
    for _ in range(n):
        pos = text.rfind("\n", 0, pos)
        if pos <= 0:
            return 0
    return pos
