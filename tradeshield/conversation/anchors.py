"""Literal anchors of a rule regex: strings one of which every match must contain (a cheap pre-filter).

    >>> sorted(anchors(r"(?:不|不能)(?:给你)?(?:退款|退钱)"))
    ['退款', '退钱']
    >>> sorted(anchors(r"便宜(?:点|些|\\d+)"))
    ['便宜']
    >>> anchors(r"\\d+") is None, anchors(r"^\\d{2,}元?$", digits=True) == {DIGIT}
    (True, True)

A small reader of the regex subset the rules use (literals, groups, ``|``, ``? * + {m,n}``, classes,
escapes, anchors, lookarounds, back-references). For a sequence it keeps the most selective element's
set; for an alternation the union of the branches' sets. ``None`` means "no anchor": the rule is then
always tried. Lookarounds and optional parts constrain nothing.
"""
from __future__ import annotations

import functools


# stands for ``\d`` (any decimal digit, as the rules' str patterns read it) in the anchors ``anchors(digits=True)``
# gives; ``literal_re`` writes it back as ``\d``
DIGIT = "\x00"


class _P:
    def __init__(self, s: str, digits: bool = False):
        self.s, self.i, self.digits = s, 0, digits

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else ""


# characters so common in chat text that, alone, they select almost every message (「了」「不」「你」「发」…):
# a single one of them counts as half a character when the most selective required set is chosen
COMMON = frozenset("了不你我有能发要到就那再好行出把先多转只是的在个这也都说会吧吗呢啊哈亲给去来看和还没:：")


def _weight(w: str) -> float:
    return 0.5 if len(w) == 1 and (w.lower() in COMMON or w == DIGIT) else float(len(w))


def _best(sets):
    """The most selective of several required sets (longest shortest string — a lone common character counting
    half —, then fewest strings)."""
    sets = [s for s in sets if s]
    if not sets:
        return None
    return max(sets, key=lambda s: (min(map(_weight, s)), -len(s)))


def _alt(p: _P):
    branches = [_seq(p)]
    while p.i < len(p.s) and p.peek() == "|":
        p.i += 1
        branches.append(_seq(p))
    if any(b is None for b in branches):
        return None
    return set().union(*branches)


def _seq(p: _P):
    items = []        # (required set or None, literal char or None) per element
    while p.i < len(p.s) and p.peek() not in ("|", ")"):
        req, lit = _atom(p)
        q = p.peek()
        optional = False
        if q and q in "?*+{":
            if q == "{":
                j = p.s.find("}", p.i)
                body = p.s[p.i + 1:j]
                lo = body.split(",")[0]
                optional = not lo.strip() or int(lo) == 0
                p.i = j + 1
            else:
                optional = q in "?*"
                p.i += 1
            if p.peek() and p.peek() in "?+":   # lazy / possessive
                p.i += 1
            lit = None
            if optional:
                req = None
        items.append((req, lit))
    # join runs of literal characters into strings
    sets, run = [], ""
    for req, lit in items:
        if lit is not None:
            run += lit
            continue
        if run:
            sets.append({run})
            run = ""
        if req is not None:
            sets.append(req)
    if run:
        sets.append({run})
    return _best(sets)


def _atom(p: _P):
    c = p.peek()
    p.i += 1
    if c == "(":
        kind = ""
        if p.peek() == "?":
            j = p.i + 1
            if p.s[j] == ":":
                kind, p.i = "group", j + 1
            elif p.s[j] in ("=", "!"):
                kind, p.i = "look", j + 1
            elif p.s[j] == "<" and p.s[j + 1] in ("=", "!"):
                kind, p.i = "look", j + 2
            elif p.s[j:j + 2] == "P<":        # a named group: 「(?P<echo>…)」
                kind, p.i = "group", p.s.index(">", j) + 1
            elif p.s[j:j + 2] == "P=":        # a back-reference to one: constrains nothing here
                p.i = p.s.index(")", j) + 1
                return None, None
            else:
                raise ValueError("group")
        inner = _alt(p)
        if p.peek() != ")":
            raise ValueError("paren")
        p.i += 1
        return (None if kind == "look" else inner), None
    if c == "[":
        j = p.i
        if p.peek() == "^":
            j += 1
        j = p.s.find("]", j + 1)
        body = p.s[p.i:j]
        p.i = j + 1
        if body.startswith("^") or "\\" in body or "-" in body.strip("-") or len(body) > 8:
            return None, None
        return set(body), None
    if c == "\\":
        e = p.peek()
        p.i += 1
        if e == "d" and p.digits:
            return {DIGIT}, None
        if e.isalnum():          # \d \s \b \1 …
            return None, None
        return {e}, e
    if c in (".", "^", "$"):
        return None, None
    return {c}, c


@functools.lru_cache(maxsize=4096)    # (load_rules asks for one pattern's anchors up to four times)
def anchors(pattern: str, digits: bool = False) -> frozenset[str] | None:
    r"""``digits``: a ``\d`` the match needs may stand as an anchor (``DIGIT``), for pre-filters built with
    ``literal_re``; without it (anchors looked up by the text they match) a pattern with no literal has none."""
    try:
        p = _P(pattern, digits)
        out = _alt(p)
        if p.i != len(p.s):
            return None
    except (ValueError, IndexError):
        return None
    return frozenset(a.lower() for a in out) if out else None


def literal_re(words):
    """One regex for a set of literal strings, as a prefix tree (one branch followed per character)."""
    import re

    root: dict = {}
    for w in set(words):
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pat(node: dict) -> str:
        alts = [(r"\d" if ch == DIGIT else re.escape(ch)) + pat(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            body = "(?:" + body + ")?"
        return body

    return re.compile(pat(root) or "(?!)")
