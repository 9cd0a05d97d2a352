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
    total = t.cost(0, len(t.text))
    n = max(2, -(-total // limit))
    while n <= last + 1:
        plan = _solve(t, points, levels, _caps(n, limit, count, style), forced)
        if plan is not None:
            return plan
        n += 1
    worst = max(range(last), key=lambda j: t.cost(points[j], points[j + 1]))
    _unbreakable(t, points[worst], points[worst + 1], room)
    raise AssertionError("unreachable")


def _unbreakable(t: _Text, a: int, b: int, room: int):
    run = t.part(a, b)
    shown = run if len(run) <= 40 else run[:18] + "…" + run[-18:]
    raise InputError("split.unbreakable", run=shown, length=t.cost(a, b), room=room)


def _solve(t: _Text, points: list[int], levels: list[int], caps: list[int], forced: int | None):
    """Exactly len(caps) messages, message i within caps[i]; least total break penalty, or None."""
    n, last = len(caps), len(points) - 1
    room_after = [sum(caps[i + 1:]) for i in range(n)]
    end_solid, end = t.solid[-1], len(t.text)
    gap = t.max_gap
    best: dict[int, tuple[int, int]] = {0: (0, -1)}     # point index -> (penalty, previous index)
    layers = []
    for i in range(n):
        nxt: dict[int, tuple[int, int]] = {}
        for j, (pen, _) in best.items():
            k = j + 1
            while k <= last and t.cost(points[j], points[k]) <= caps[i]:
                # what is left must fit the messages left: breaks drop at most `gap` units each
                left = max(end_solid - t.solid[points[k]], t.cost(points[k], end) - max(n - i - 2, 0) * gap)
                if (i < n - 1) != (k == last) and left <= room_after[i]:
                    cand = pen + (levels[k] if k != last else 0)
                    if k not in nxt or cand < nxt[k][0]:
                        nxt[k] = (cand, j)
                if i == 0 and forced is not None and k == forced:
                    break
                k += 1
        if i == 0 and forced is not None:
            nxt = {k: v for k, v in nxt.items() if k == forced}
        layers.append(nxt)
        best = nxt
        if not best:
            return None
    if last not in best:
        return None
    plan, k = [last], last
    for i in range(n - 1, -1, -1):
        k = layers[i][k][1]
        plan.append(k)
    return plan[::-1]
