"""Split any text into the fewest numbered messages that fit a per-message limit.

    >>> from tradeshield.split import split_text
    >>> r = split_text("第一句。第二句，很长的补充说明。", limit=15)
    >>> r.messages
    ['（1/2）第一句。第二句，', '（2/2）很长的补充说明。']

Counting follows the platform's text box: ``utf16`` (default; what a web ``maxlength``
counts — a CJK character is 1, most emoji 2), ``codepoints`` or ``bytes`` (UTF-8).
Breaks fall at paragraph ends, then sentence ends, then clause marks, then spaces, and as a
last resort between two CJK characters — never inside a protected token (number, date, time,
amount, URL, order/tracking number, hash, seal code, quotation). The message count is the
minimum possible; among minimal splits the one with the best breaks wins. Joining the parts
gives back the input except the whitespace at the breaks.
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
PARAGRAPH, LINE, SENTENCE, CLAUSE, SPACE, CJK = 0, 1, 2, 4, 7, 12
_SENT_END = set("。！？；…!?;.")
_CLAUSE = set("，、：,:")
_CLOSERS = set("」』”’》）)]】〕\"'")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_QUOTES = (r"「[^「」]*」", r"『[^『』]*』", r"“[^“”]*”", r"‘[^‘’]*’", r"《[^《》]*》", r"\"[^\"]*\"")
_PROTECTED = [re.compile(p) for p in (
    r"https?://[^\s<>\"'「」『』“”‘’《》（）()，。！？；、]+",            # URL (trailing . , trimmed below)
    r"www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9/_%?=&#.-]+)+",
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",                                    # e-mail
    r"TS1-[A-Za-z0-9-]+",                                               # seal code
    r"\d{4}\s?[-/.年]\s?\d{1,2}\s?[-/.月]\s?\d{1,2}\s?日?"                # date, with an optional time
    r"(?:(?:\s*|T)\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?",                                 # time
    r"[¥￥$€£]\s?\d[\d,]*(?:\.\d+)?",                                    # amount with symbol
    r"\d[\d,]*(?:\.\d+)?\s?(?:元|块|RMB|CNY|yuan)",                      # amount with unit
    r"\d[\d,.:/-]*\d",                                                  # number with separators
    r"\d+(?: \d+)+",                                                    # digit groups: IMEI, tracking no.
    r"[A-Za-z0-9][A-Za-z0-9_-]*\d[A-Za-z0-9_-]*",                       # order number, hash, serial
    *_QUOTES,
)]
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


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Merged (start, end) spans that no break may fall strictly inside."""
    spans = []
    for rx in _PROTECTED:
        for m in rx.finditer(text):
            s, e = m.span()
            if rx is _PROTECTED[0]:
                while e > s and text[e - 1] in ".,;:!?":
                    e -= 1
            if e - s > 1:
                spans.append((s, e))
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


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
        return None  # "1. item", "5." — a list number, not a sentence end
    if prev in _SENT_END:
        return SENTENCE
    if prev in _CLAUSE:
        return CLAUSE
    return None


def break_points(text: str) -> list[tuple[int, int]]:
    """Candidate breaks as (position, level), in order; none inside protected spans."""
    spans = protected_spans(text)
    starts = [s for s, _ in spans]
    first = len(text) - len(text.lstrip())
    out = []
    for p in range(first + 1, len(text)):
        a, b = text[p - 1], text[p]
        if b.isspace():
            continue
        if a.isspace():
            q = p
            while q > 0 and text[q - 1].isspace():
                q -= 1
            gap = text[q:p]
            if gap.count("\n") >= 2:
                level = PARAGRAPH
            elif "\n" in gap:
                level = LINE
            else:
                level = _level_after(text, q)
                level = SPACE if level is None else level
        else:
            level = _level_after(text, p)
            if level is not None and not (a in "。！？；…，、：」』”’》）】〕" or _CJK.match(b) or not b.isalnum()):
                level = None  # ASCII punctuation glued to a word: "a.b", "1,000", "e.g"
            if level is None and _CJK.match(a) and _CJK.match(b):
                level = CJK
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
               first_break: int | None = None) -> SplitResult:
    """Fewest numbered messages of at most ``limit`` units; ``first_break`` forces a break there."""
    limit = LIMITS.message_chars if limit is None else int(limit)
    measure("", count)
    style = style or detect_style(text)
    if style not in STYLES:
        raise UsageError("split.bad_count", mode=style)
    need = measure(numbering(1, 2, style), count) + 1
    if limit < need:
        raise UsageError("split.bad_limit", limit=limit, need=need - 1)
    t = _Text(text, count)
    if not text.strip():
        return SplitResult([], [], [], limit, count, style)
    cands = break_points(text)
    if first_break is not None:
        cands = [(p, lv) for p, lv in cands if p >= first_break]
    points = [0] + [p for p, _ in cands] + [len(text)]
    levels = [0] + [lv for _, lv in cands] + [0]
    forced = 1 if first_break is not None and cands and cands[0][0] == first_break else None
    breaks = _plan(t, points, levels, limit, count, style, forced)
    parts = [t.part(points[a], points[b]) for a, b in zip(breaks, breaks[1:])]
    n = len(parts)
    messages = [numbering(i + 1, n, style) + p for i, p in enumerate(parts)]
    return SplitResult(messages, parts, [measure(m, count) for m in messages], limit, count, style,
                       [points[b] for b in breaks[1:-1]])


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
