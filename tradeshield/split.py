"""Split any text into the fewest numbered messages that fit a per-message limit.

    >>> from tradeshield.split import split_text
    >>> r = split_text("第一句。第二句，很长的补充说明。", limit=15)
    >>> r.messages
    ['（1/2）第一句。第二句，', '（2/2）很长的补充说明。']

Counting follows the platform's text box: ``utf16`` (default; what a web ``maxlength``
counts — a CJK character is 1, most emoji 2), ``codepoints`` or ``bytes`` (UTF-8).
Breaks fall at paragraph ends, then sentence ends (。！？.!?), then semicolons, then clause marks,
then spaces, and as a last resort between two CJK characters — never inside a protected span:
a number, date, time, amount, URL, order/tracking number, hash, seal code, quotation, a speaker
with their quoted words (``远方私人（05-26 20:11）：「…」``), a list of IMEIs or serials, and a
list item (a line starting ``1.`` / ``-`` / ``①``) when the item fits one message.
``breaks="sentence"`` allows only paragraph, line and sentence ends, so every message ends a
sentence (statements use it).

The message count is the minimum possible; among minimal splits the one with the best breaks
wins. Above ``SMALL_CHARS`` characters the split is made window by window (the best break within
each message's reach; linear time and memory, a 50 MB single line takes seconds) and the count may
exceed the minimum by the numbering's width. Joining the parts gives back the input except the
whitespace at the breaks.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from tradeshield import i18n
from tradeshield.config import LIMITS
from tradeshield.errors import InputError, UsageError

COUNT_MODES = ("utf16", "codepoints", "bytes")
STYLES = ("zh", "en")

i18n.register({
    "split.bad_count": ("未知计数方式：{mode}（可用：utf16、codepoints、bytes）",
                        "unknown counting mode: {mode} (use utf16, codepoints or bytes)"),
    "split.bad_limit": ("每条上限 {limit} 太小（编号本身就占 {need}）",
                        "limit {limit} is too small (the numbering alone takes {need})"),
    "split.unbreakable": ("有一段无法断开的文字长 {length}，超过每条上限 {room}：「{run}」（请在其中加标点或空格）",
                          "an unbreakable run of {length} exceeds the room of {room} per message: \"{run}\" "
                          "(add punctuation or a space inside it)"),
})

# Break quality: lower is better. A break is a position between two characters.
PARAGRAPH, LINE, SENTENCE, SEMI, CLAUSE, SPACE, CJK = 0, 1, 2, 3, 4, 7, 12
BREAK_MODES = ("any", "sentence")
SMALL_CHARS = 50_000      # above this, the linear window-by-window split
_SENT_END = set("。！？…!?.")
_SEMI = set("；;")
_CLAUSE = set("，、：,:")
_CLOSERS = set("」』”’》）)]】〕\"'")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_QUOTES = (r"「[^「」]*」", r"『[^『』]*』", r"“[^“”]*”", r"‘[^‘’]*’", r"《[^《》]*》", r"\"[^\"]*\"")
_PROTECTED = [re.compile(p) for p in (
    r"https?://[^\s<>\"'「」『』“”‘’《》（）()，。！？；、]+",            # URL (trailing . , trimmed below)
    r"www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9/_%?=&#.-]+)+",
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",                        # e-mail
    r"TS1-[A-Za-z0-9-]+",                                               # seal code
    r"(?<!\d)\d{4}\s?[-/.年]\s?\d{1,2}\s?[-/.月]\s?\d{1,2}\s?日?"                # date, with an optional time
    r"(?:(?:\s*|T)\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    r"(?<!\d)\d{1,2}[:：]\d{2}(?:[:：]\d{2})?",                          # time
    r"[¥￥$€£]\s?\d[\d,]*(?:\.\d+)?",                                    # amount with symbol
    r"(?<![\d,.])\d[\d,]*(?:\.\d+)?\s?(?:元|块|RMB|CNY|yuan)",           # amount with unit
    r"(?<!\d)\d[\d,.:/-]*\d",                                           # number with separators
    r"(?<!\d)\d+(?: \d+)+",                                             # digit groups: IMEI, tracking no.
    r"(?<![A-Za-z0-9_-])[A-Za-z0-9][A-Za-z0-9_-]*\d[A-Za-z0-9_-]*",     # order number, hash, serial
    *_QUOTES,
    # a list of IMEIs / serials / long numbers, each optionally with a bracketed note
    r"(?<!\d)\d{6,}(?:\s?[（(][^（）()\n]{1,30}[）)])?(?:\s?(?:[、,，/]|和|及|and)\s?\d{6,}(?:\s?[（(][^（）()\n]{1,30}[）)])?)+",
)]
_NOT_NAME = set(" \t\r\n\u3000，。；！？、：:「」『』“”‘’《》（）(),.;!?\"'")
# list items: protected only when the item fits one message (a longer item still has to be cut)
_SOFT = [re.compile(r"(?m)^[ \t]*(?:\d{1,3}[.、)）][ \t]*|[-•*·][ \t]+|[①-⑳][ \t]*)\S[^\n]*")]
_QUOTE_RX = re.compile("|".join(_QUOTES))


def measure(text: str, mode: str = "utf16") -> int:
    if mode == "utf16":
        return len(text.encode("utf-16-le")) // 2
    if mode == "codepoints":
        return len(text)
    if mode == "bytes":
        return len(text.encode("utf-8"))
    raise UsageError("split.bad_count", mode=mode)


def numbering(i: int, n: int, style: str) -> str:
    """The prefix of message ``i`` of ``n`` (none when the text fits one message)."""
    if n <= 1:
        return ""
    return f"（{i}/{n}）" if style == "zh" else f"({i}/{n}) "


def detect_style(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def protected_spans(text: str, room: int | None = None, count: str = "utf16",
                    line_start: bool = True) -> list[tuple[int, int]]:
    """Merged (start, end) spans that no break may fall strictly inside.

    List items are included when they fit ``room`` units (always when ``room`` is None);
    ``line_start=False``: ``text`` is a slice that does not begin a line."""
    spans = []
    for rx in _PROTECTED:
        for m in rx.finditer(text):
            s, e = m.span()
            if rx is _PROTECTED[0]:
                while e > s and text[e - 1] in ".,;:!?":
                    e -= 1
            if e - s > 1:
                spans.append((s, e))
    for m in _QUOTE_RX.finditer(text):
        s, e = m.span()
        sp = _speaker_start(text, s)
        if sp is not None:
            spans.append((sp, e))
    for rx in _SOFT:
        for m in rx.finditer(text):
            s, e = m.span()
            e = s + len(m.group().rstrip())
            if s == 0 and not line_start:
                continue
            if e - s > 1 and (room is None or measure(text[s:e], count) <= room):
                spans.append((s, e))
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _speaker_start(text: str, s: int) -> int | None:
    """Start of "speaker（time）：" / "speaker (time): " right before the quotation at ``s``, if any."""
    j = s
    if j > 0 and text[j - 1] == " ":
        j -= 1
    if j == 0 or text[j - 1] not in "：:":
        return None
    j -= 1
    if j > 0 and text[j - 1] in "）)":
        k = text.rfind("（" if text[j - 1] == "）" else "(", max(0, j - 42), j - 1)
        if k < 0:
            return None
        j = k - 1 if k > 0 and text[k - 1] == " " else k
    k = j
    while k > 0 and j - k < 16 and text[k - 1] not in _NOT_NAME:
        k -= 1
    return k if k < j else None


def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation, marks included."""
    return [m.span() for m in _QUOTE_RX.finditer(text)]


def _level_after(text: str, p: int) -> int | None:
    """Quality of a break whose previous message ends with text[:p] (text[p-1] not whitespace)."""
    j = p - 1
    while j >= 0 and text[j] in _CLOSERS:
        j -= 1
    prev = text[j] if j >= 0 else ""
    if prev == "." and j > 0 and text[j - 1].isdigit():
        k = j - 1
        while k > 0 and text[k - 1].isdigit():
            k -= 1
        if j - k <= 3 and (k == 0 or text[k - 1].isspace()):
            return None  # "1. item" — a list number, not a sentence end ("at 20:19." is one)
    if prev in _SENT_END:
        return SENTENCE
    if prev in _SEMI:
        return SEMI
    if prev in _CLAUSE:
        return CLAUSE
    return None


def _level_at(text: str, p: int) -> int | None:
    """Quality of a break at ``p`` (the next message starts with text[p]); None: no break here."""
    a, b = text[p - 1], text[p]
    if b.isspace():
        return None
    if a.isspace():
        q = p
        while q > 0 and text[q - 1].isspace():
            q -= 1
        gap = text[q:p]
        if gap.count("\n") >= 2:
            return PARAGRAPH
        if "\n" in gap:
            return LINE
        level = _level_after(text, q)
        return SPACE if level is None else level
    level = _level_after(text, p)
    if level is not None and not (a in "。！？；…，、：」』”’》）】〕" or _CJK.match(b) or not b.isalnum()):
        level = None  # ASCII punctuation glued to a word: "a.b", "1,000", "e.g"
    if level is None and _CJK.match(a) and _CJK.match(b):
        level = CJK
    return level


def break_points(text: str, room: int | None = None, count: str = "utf16") -> list[tuple[int, int]]:
    """Candidate breaks as (position, level), in order; none inside protected spans."""
    spans = protected_spans(text, room, count)
    starts = [s for s, _ in spans]
    first = len(text) - len(text.lstrip())
    out = []
    for p in range(first + 1, len(text)):
        level = _level_at(text, p)
        if level is None:
            continue
        k = bisect.bisect_right(starts, p) - 1
        if k >= 0 and spans[k][0] < p < spans[k][1]:
            continue
        out.append((p, level))
    return out


@dataclass
class SplitResult:
    messages: list[str]                       # with numbering
    parts: list[str]                          # without numbering
    counts: list[int]                         # units per message, numbering included
    limit: int
    count: str
    style: str
    breaks: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"limit": self.limit, "count": self.count, "style": self.style, "total": len(self.messages),
                "messages": [{"n": i + 1, "text": m, "units": c} for i, (m, c) in
                             enumerate(zip(self.messages, self.counts))]}


class _Text:
    """Unit counts of stripped slices in O(1)."""

    def __init__(self, text: str, mode: str):
        self.text = text
        cum = [0]
        for ch in text:
            cum.append(cum[-1] + measure(ch, mode))
        self.cum = cum
        solid = [0]
        for ch, (a, b) in zip(text, zip(cum, cum[1:])):
            solid.append(solid[-1] + (0 if ch.isspace() else b - a))
        self.solid = solid
        # widest whitespace run, in units: the most a single break can drop
        self.max_gap = max((sum(measure(c, mode) for c in m.group()) for m in re.finditer(r"\s+", text)), default=0)
        n = len(text)
        self.next_solid = [n] * (n + 1)   # first non-space index >= i
        for i in range(n - 1, -1, -1):
            self.next_solid[i] = i if not text[i].isspace() else self.next_solid[i + 1]
        self.solid_end = [0] * (n + 1)    # index after the last non-space char before i
        for i in range(1, n + 1):
            self.solid_end[i] = i if not text[i - 1].isspace() else self.solid_end[i - 1]

    def cost(self, a: int, b: int) -> int:
        s, e = self.next_solid[a], self.solid_end[b]
        return self.cum[e] - self.cum[s] if e > s else 0

    def part(self, a: int, b: int) -> str:
        return self.text[a:b].strip()


def split_text(text: str, limit: int | None = None, count: str = "utf16", style: str | None = None,
               first_break: int | None = None, breaks: str = "any") -> SplitResult:
    """Fewest numbered messages of at most ``limit`` units; ``first_break`` forces a break there.

    ``breaks="sentence"``: only paragraph, line and sentence ends are candidates."""
    limit = LIMITS.message_chars if limit is None else int(limit)
    measure("", count)
    style = style or detect_style(text)
    if style not in STYLES:
        raise UsageError("split.bad_count", mode=style)
    if breaks not in BREAK_MODES:
        raise UsageError("split.bad_count", mode=breaks)
    need = measure(numbering(1, 2, style), count) + 1
    if limit < need:
        raise UsageError("split.bad_limit", limit=limit, need=need - 1)
    if not text.strip():
        return SplitResult([], [], [], limit, count, style)
    max_level = SENTENCE if breaks == "sentence" else CJK
    if len(text) > SMALL_CHARS:
        return _split_large(text, limit, count, style, first_break, max_level)
    t = _Text(text, count)
    room = limit - measure(numbering(1, 2, style), count)
    cands = [(p, lv) for p, lv in break_points(text, room, count) if lv <= max_level]
    if first_break is not None:
        cands = [(p, lv) for p, lv in cands if p >= first_break]
    points = [0] + [p for p, _ in cands] + [len(text)]
    levels = [0] + [lv for _, lv in cands] + [0]
    forced = 1 if first_break is not None and cands and cands[0][0] == first_break else None
    plan = _plan(t, points, levels, limit, count, style, forced)
    return _result(text, [points[b] for b in plan], limit, count, style)


def _result(text: str, cuts: list[int], limit: int, count: str, style: str) -> SplitResult:
    parts = [text[a:b].strip() for a, b in zip(cuts, cuts[1:])]
    n = len(parts)
    messages = [numbering(i + 1, n, style) + p for i, p in enumerate(parts)]
    return SplitResult(messages, parts, [measure(m, count) for m in messages], limit, count, style, cuts[1:-1])


# ---------------------------------------------------------------- large inputs: window by window

_WS = re.compile(r"\s*")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_MARGIN = 90    # context read around a candidate break to find the short spans it may fall in


def _reach(text: str, pos: int, cap: int, count: str) -> int:
    """Largest end e with text[pos:e] (pos at a non-space) within ``cap`` units, e <= len(text)."""
    e = min(len(text), pos + cap)   # every mode counts a character as at least one unit
    if count == "codepoints":
        return e
    lo, hi = pos, e
    while lo < hi:                  # units only grow with e: the largest e that fits
        mid = (lo + hi + 1) // 2
        if measure(text[pos:mid], count) <= cap:
            lo = mid
        else:
            hi = mid - 1
    return lo


_CAND = re.compile(r"\s+|[。！？…!?.；;，、：,:][」』”’》）)\]】〕\"']*(?=\S)")


def _best_break(text: str, pos: int, end: int, max_level: int, spans: "_Spans") -> int | None:
    """The best break in (pos, end]: lowest level, then furthest; never inside a protected span."""
    cands = []
    for m in _CAND.finditer(text, pos + 1, end + 1):
        p = m.end()
        if p <= end and p < len(text):
            lv = _level_at(text, p)
            if lv is not None and lv <= max_level:
                cands.append((lv, -p))
    for lv, negp in sorted(cands):
        p = -negp
        if not spans.inside(p):
            return p
    if max_level >= CJK:   # between two CJK characters, the last such place outside the spans: a last resort
        for p in range(min(end, len(text) - 1), pos, -1):
            if _CJK.match(text[p - 1]) and _CJK.match(text[p]) and not spans.inside(p):
                return p
    return None


_PAIRS = (("「", "」"), ("『", "』"), ("“", "”"), ("‘", "’"), ("《", "》"))


class _Spans:
    """Protected spans of a large text, computed block by block (each block read with a margin on both sides,
    so a short span across a block edge is seen whole) and cached for the blocks the split is in."""

    BLOCK = 65_536

    def __init__(self, text: str, room: int, count: str):
        self.text, self.room, self.count = text, room, count
        self.cache: dict[int, tuple[list[int], list[int]]] = {}   # the two most recent blocks

    def inside(self, p: int) -> bool:
        k = p // self.BLOCK
        if k not in self.cache:
            lo = max(0, k * self.BLOCK - _MARGIN)
            hi = min(len(self.text), (k + 1) * self.BLOCK + _MARGIN)
            spans = protected_spans(self.text[lo:hi], self.room, self.count,
                                    line_start=lo == 0 or self.text[lo - 1] == "\n")
            if len(self.cache) >= 2:
                del self.cache[min(self.cache)]
            self.cache[k] = ([a + lo for a, _ in spans], [b + lo for _, b in spans])
        starts, ends = self.cache[k]
        i = bisect.bisect_right(starts, p) - 1
        if i >= 0 and starts[i] < p < ends[i]:
            return True
        return _inside_long_quote(self.text, p, self.room)


def _inside_long_quote(text: str, p: int, room: int) -> bool:
    """A quotation longer than the margin around ``p`` (a longer one than the room cannot fit anyway)."""
    reach = 2 * room + 2
    lo = max(0, p - _MARGIN)
    for op, cl in _PAIRS:
        i = text.rfind(op, max(0, p - reach), lo)
        if i >= 0 and text.find(cl, i, p) < 0 and text.find(op, i + 1, p) < 0:
            j = text.find(cl, p, min(len(text), i + reach))
            if j >= 0:
                return True
    return False


def _split_large(text: str, limit: int, count: str, style: str, first_break: int | None,
                 max_level: int) -> SplitResult:
    """Linear split: each message takes the best break within its reach (uniform room per message)."""
    total = measure(text, count) if count != "codepoints" else len(text)
    n_guess = max(2, total // max(1, limit - measure(numbering(9, 9, style), count)) + 1)
    while True:
        room = limit - measure(numbering(n_guess, n_guess, style), count)
        if room < 1:
            raise UsageError("split.bad_limit", limit=limit, need=limit - room)
        cuts = _windows(text, room, count, first_break, max_level)
        n = len(cuts) - 1
        if len(str(n)) <= len(str(n_guess)):
            return _result(text, cuts, limit, count, style)
        n_guess = n


def _windows(text: str, room: int, count: str, first_break: int | None, max_level: int) -> list[int]:
    n = len(text)
    pos = _WS.match(text, 0).end()
    cuts = [0]
    rest_end = len(text.rstrip())
    spans = _Spans(text, room, count)
    while True:
        end = _reach(text, pos, room, count)
        if end >= rest_end and not (first_break is not None and len(cuts) == 1 and pos < first_break < n):
            cuts.append(n)
            return cuts
        if first_break is not None and len(cuts) == 1 and pos < first_break <= end:
            p = first_break
        else:
            # a break may sit just after the whitespace that follows the reach
            stop = _WS.match(text, end).end() if end < n else n
            p = _best_break(text, pos, min(stop, n - 1), max_level, spans)
        if p is None:
            q = text.find(" ", end)
            _unbreakable_run(text, pos, q if q > 0 else min(n, end + 40), count, room)
        cuts.append(p)
        pos = p


def _unbreakable_run(text: str, a: int, b: int, count: str, room: int):
    run = text[a:b].strip()
    shown = run if len(run) <= 40 else run[:18] + "…" + run[-18:]
    raise InputError("split.unbreakable", run=shown, length=measure(run, count), room=room)


def _caps(n: int, limit: int, count: str, style: str) -> list[int]:
    return [limit - measure(numbering(i, n, style), count) for i in range(1, n + 1)]


def _plan(t: _Text, points: list[int], levels: list[int], limit: int, count: str, style: str,
          forced: int | None) -> list[int]:
    """Indexes into ``points`` of the chosen breaks (first 0, last len-1)."""
    last = len(points) - 1
    if t.cost(0, len(t.text)) <= limit and forced is None:
        return [0, last]
    room = limit - measure(numbering(1, 2, style), count)
    for j in range(last):
        if t.cost(points[j], points[j + 1]) > room:
            _unbreakable(t, points[j], points[j + 1], room)
    # every cap is at most `room`, and with uniform caps the furthest-reaching split is optimal:
    # its count under `room` is a lower bound on the answer
    n = max(2, _greedy_count(t, points, [room] * (last + 1), forced) or 2)
    widest = max(t.cost(points[j], points[j + 1]) for j in range(last))
    while n <= last + 1:
        caps = _caps(n, limit, count, style)
        # when every gap fits every message, the furthest-reaching split is optimal: skip counts it disproves
        if widest <= min(caps) and (_greedy_count(t, points, caps, forced) or n + 1) > n:
            n += 1
            continue
        plan = _solve(t, points, levels, caps, forced)
        if plan is not None:
            return plan
        n += 1
    # no count works: with more messages the numbering itself grows ("（10/10）" takes 11 bytes), so the
    # room to report is what is left in the longest split tried, not the room of a two-message split
    worst = max(range(last), key=lambda j: t.cost(points[j], points[j + 1]))
    _unbreakable(t, points[worst], points[worst + 1], max(0, min(_caps(last + 1, limit, count, style))))
    raise AssertionError("unreachable")


def _unbreakable(t: _Text, a: int, b: int, room: int):
    run = t.part(a, b)
    shown = run if len(run) <= 40 else run[:18] + "…" + run[-18:]
    raise InputError("split.unbreakable", run=shown, length=t.cost(a, b), room=room)


def _far(t: _Text, points: list[int], j: int, cap: int) -> int:
    """Largest point index k >= j with message points[j]..points[k] within cap (cost grows with k)."""
    lo, hi = j, len(points) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if t.cost(points[j], points[mid]) <= cap:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _greedy_count(t: _Text, points: list[int], caps: list[int], forced: int | None) -> int | None:
    """Messages the furthest-reaching split needs under ``caps`` (None if it cannot finish)."""
    j, last = 0, len(points) - 1
    for i, cap in enumerate(caps):
        k = _far(t, points, j, cap)
        if i == 0 and forced is not None:
            if k < forced:
                return None
            k = forced
        if k == j:
            return None
        if k == last:
            return i + 1
        j = k
    return None


def _solve(t: _Text, points: list[int], levels: list[int], caps: list[int], forced: int | None):
    """Exactly len(caps) messages, message i within caps[i]; least total break penalty, or None.

    Layer by layer over the reachable break points; for each target the valid sources form a
    sliding window (cost only grows as the source moves back), so a monotone deque gives the
    cheapest one in O(1) amortised.
    """
    from collections import deque

    n, last = len(caps), len(points) - 1
    room_after = [sum(caps[i + 1:]) for i in range(n)]
    end_solid, end, gap = t.solid[-1], len(t.text), t.max_gap
    src, pen = [0], {0: 0}
    layers: list[dict[int, int]] = []
    for i in range(n):
        cap, back, npen = caps[i], {}, {}
        dq: deque = deque()
        add = left = 0
        q = src[0] + 1
        while q <= last:
            while add < len(src) and src[add] < q:
                p = src[add]
                while dq and pen[dq[-1]] >= pen[p]:
                    dq.pop()
                dq.append(p)
                add += 1
            while left < add and t.cost(points[src[left]], points[q]) > cap:
                left += 1
            floor = src[left] if left < add else q   # sources below it cannot reach q
            while dq and dq[0] < floor:
                dq.popleft()
            if not dq:
                if add == len(src):
                    break  # every source is too far behind: later targets are out of reach
                q += 1
                continue
            # what is left must fit the messages left: breaks drop at most `gap` units each
            rest = max(end_solid - t.solid[points[q]], t.cost(points[q], end) - max(n - i - 2, 0) * gap)
            if (i < n - 1) != (q == last) and rest <= room_after[i] and not (i == 0 and forced not in (None, q)):
                npen[q] = pen[dq[0]] + (levels[q] if q != last else 0)
                back[q] = dq[0]
            q += 1
        if not npen:
            return None
        layers.append(back)
        src, pen = sorted(npen), npen
    if last not in pen:
        return None
    plan, k = [last], last
    for i in range(n - 1, -1, -1):
        k = layers[i][k]
        plan.append(k)
    return plan[::-1]
