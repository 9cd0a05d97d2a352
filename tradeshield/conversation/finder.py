"""A learned finder of the events the rules miss (issue 19): a per-kind classifier over every message.

    >>> from tradeshield.conversation.finder import load_finder
    >>> f = load_finder()
    >>> "defect-claim" in f.found("收到的耳机左边没声音", "buyer")
    True
    >>> f.found("收到的耳机左边没声音", "seller")          # a buyer's kind: never the seller's
    ()

The rules (``data/chat_rules.toml``) find what their words say; on chats written by people who never saw them they
find about two events in three. This model reads each message — the char 1–3-grams of each of its clauses
(numbers as 0), the speaker's side, and its place in the talk (``talk_bits``: its amount against the one the other
side named last, whether they put something up, a bare acceptance word …: 「行」 after 「三个页面1500 两周交」 accepts
a price, after 「三个页面 两周交」 only acknowledges) — and gives each kind a probability; a kind at or above the
threshold (``threshold_beside``, higher, in a message where the rules found a kind) that the rules did not find in the message
is added as an event with ``"found": "model"`` and ``"matched": null`` (no rule word matched), on the
clause the model scores highest. It never takes an event away and never changes what the rules find after it (the
dialogue goes on from the rules' own events), a kind keeps its side (a discount request is the buyer's), and it
counts only where the talk is about a trade (a trade word in the message or the five before, or a chat's first
message), as the rules' ``[kind.context]`` words do.

It reads only near what the rules found: in a chat's first ``QUIET`` messages and in the ``QUIET`` after a message
where the rules found an event (in real chats about nothing for sale, where the rules find an event in a few
messages per thousand, it reads next to nothing), and only messages no longer than the longest it learnt from.

It is a logistic regression per kind (weights under 0.1 left out: most are zero; each with three decimals, added as
exact thousandths, every kind at once: ``_pack``), made deterministically by
``bench/events_finder.py train`` from ``bench/data/events``' tuning part and measured there batch-out: rules alone
against rules with the finder on batches neither saw (``bench/events_finder.py cv``; README.md "Session 9").
Its events are suggestions like every other (``"status": "suggested"``): the user confirms or rejects them.
``TRADESHIELD_EVENT_FINDER=0`` turns it off; it is off with a user's own rules file.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from tradeshield.conversation.clauses import prohibited, split_clauses
from tradeshield.conversation.money import amount_values
from tradeshield.conversation.model import gram_set, load_model, norm

DATA = Path(__file__).resolve().parent.parent / "data" / "event_finder.json"
QUIET = 10      # messages after the last one with a rule event (or the chat's start) where the finder still reads
_MEMO = 4096      # entries per cache (bounded: a 1,000,000-message import must stay flat; a clause's packed logits
                  # are ~0.2 KB)


# The model reads grams, not scope: 「不用加我微信」 has every gram of 「加我微信」. A kind it finds on a clause a
# prohibitive or no-need negator opens (``clauses.prohibited``) is not said there; the refusals, and the kinds whose own
# words are negative (「不能开机」 a defect, 「别太花哨」 a requirement, 「别烦我 神经病」), keep it.
_SAYS_NO = frozenset({"discount-refused", "refund-refused", "defect-claim", "partial-delivery", "requirement", "insult"})


def negated(kind: str, clause: str) -> bool:
    """Whether the finder's ``kind`` on ``clause`` is under a negator that opens the clause (「不用加我微信」: no
    off-platform ask), so is not an event there."""
    return kind not in _SAYS_NO and prohibited(clause)


# The message's place in the talk (session 12): what a bare 「行 130」, 「那就120」, 「两千五行不」 or 「2550吧」 is depends on the
# amounts around it. Read from the texts alone (no event of the rules: what the finder learnt and what it reads agree).
_PROPOSES = re.compile(r"(?:吧|吗|嘛|不|么|呢|[?？]|行不行|可以不|ok\??|okay\??|deal\??)\s*$", re.I)
_ACCEPTS = re.compile(r"\s*(?:好|行|可以|成|没问题|ok|okay|deal|sure|fine|同意|嗯|那就|就)", re.I)
_SIDE_MARK = {"buyer": "b", "seller": "s"}
_ACC_FIRST = frozenset("好行可成没同嗯那就OoDdSsFf\u017f")        # (the first characters ``_ACCEPTS`` can match)
_PUT_LAST = frozenset("吧吗嘛不么呢?？行KkYyLl\u212a")            # (the last characters ``_PROPOSES`` can match)
_NUMERAL = re.compile(r"[\d一二两三四五六七八九十百千]")        # (a text without one has no amount: its clauses
                                                             #  are not looked at for ``money.amount_values``)


TALK_CLAUSES = 3       # the place in the talk is read for messages of at most this many clauses: replies, counter-offers,
                       # bare acceptances (96 % of the labelled messages; batch-out the same scores as with no limit;
                       # the bench chat's canned messages run to 4.6 clauses on average: most of them skip it)
_TALK = ("amt", "oamt", "lt", "eq", "gt", "inoa", "mylt", "myeq", "mygt", "oprop", "acc", "short", "first", "cont")
_BIT = {f: 1 << k for k, f in enumerate(_TALK)}
(_AMT, _OAMT, _LT, _EQ, _GT, _INOA, _MYLT, _MYEQ, _MYGT, _OPROP, _ACC, _SHORT, _FIRST, _CONT) = (_BIT[f] for f in _TALK)


def talk_bits(text: str, first: bool, again: bool, mine: str | None, theirs: str | None, clauses=None) -> int:
    """A message's place in the talk, as bits of ``_TALK`` (texts as read; ``clauses``: the text's clauses when the
    caller has them, each a text or a tuple whose first item is its text — the reader's piece infos): whether it
    names an amount, and how that compares with the amounts of the other side's last message (``theirs``: lower,
    equal, higher; one of them) and of the speaker's own last one (``mine``); whether their last message puts
    something up (ends in 吧/吗/?…); whether it opens with an acceptance word, is short (≤ 6 characters), is the
    chat's ``first``, or follows the speaker's own message (``again``). None (0) for a message of more than
    ``TALK_CLAUSES`` clauses: it says what it says on its own."""
    if clauses is None:
        clauses = pieces(text)
    if len(clauses) > TALK_CLAUSES:
        return 0
    get = _OWN.get      # (a text seen before: one look-up, no call)
    a, bits = get(text) or _own(text, clauses)
    bits &= _ACC | _SHORT
    if theirs is not None:
        oa, their_bits = get(theirs) or _own(theirs)
        if their_bits & _PUTS_UP:
            bits |= _OPROP
        if oa:
            bits |= _OAMT
            if a:
                x, y = a[0], oa[-1]
                bits |= _LT if x < y else _EQ if x == y else _GT
                if x in oa:
                    bits |= _INOA
    if a:
        bits |= _AMT
        if mine is not None:
            ma = (get(mine) or _own(mine))[0]
            if ma:
                x, y = a[0], ma[-1]
                bits |= _MYLT if x < y else _MYEQ if x == y else _MYGT
    if first:
        bits |= _FIRST
    if again:
        bits |= _CONT
    return bits


_OWN: dict = {}     # text as read → (its amounts, its own bits): each text read once (bounded)
_CLAUSE_OWN: dict = {}      # clause → (its amounts, its own bits): chats repeat their clauses (bounded)
_PUTS_UP = 1 << len(_TALK)      # (an own bit: the text ends as a proposal does)


def _own(text: str, clauses=None) -> tuple:
    """What a text says of itself for ``talk_bits``: its amounts (its clauses', in order: ``money.amount_values``),
    whether its first clause opens with an acceptance word, whether it ends as a proposal does (its last clause, or a
    question mark after it), and whether it is short. Read per clause (cached: chats repeat their clauses)."""
    v = _OWN.get(text)
    if v is None:
        cl = pieces(text) if clauses is None else clauses
        vals, bits = (), 0
        if cl:
            get = _CLAUSE_OWN.get
            c = cl[0] if type(cl[0]) is str else cl[0][0]
            bits = (get(c) or _clause_own(c))[1] & _ACC
            c = cl[-1] if type(cl[-1]) is str else cl[-1][0]
            bits |= (get(c) or _clause_own(c))[1] & _PUTS_UP
            if _NUMERAL.search(text):       # (no numeral, no amount: most texts)
                for c in cl:
                    if type(c) is not str:
                        c = c[0]
                    cv = (get(c) or _clause_own(c))[0]
                    if cv:
                        vals += cv
        end = text[-1:]
        if end in ("?", "？") or end.isspace() and text.rstrip()[-1:] in ("?", "？"):
            bits |= _PUTS_UP
        if len(text) <= 6 or len(text.strip()) <= 6:
            bits |= _SHORT
        if len(_OWN) >= _MEMO:
            _OWN.clear()
        v = _OWN[text] = (vals, bits)
    return v


def clear_talk() -> None:
    """Empty what was read of texts and clauses for ``talk_bits`` (``reader.clear_caches``)."""
    _OWN.clear()
    _CLAUSE_OWN.clear()


def _clause_own(c: str) -> tuple:
    """A clause's amounts and own bits (``_own``; cached)."""
    first, end = c[:1], c[-1:]
    bits = _ACC if (first in _ACC_FIRST or first.isspace()) and _ACCEPTS.match(c) else 0
    if (end in _PUT_LAST or end.isspace()) and _PROPOSES.search(c, len(c) - 12 if len(c) > 12 else 0):
        bits |= _PUTS_UP
    if len(_CLAUSE_OWN) >= _MEMO:
        _CLAUSE_OWN.clear()
    v = _CLAUSE_OWN[c] = (amount_values(c), bits)
    return v


def talk_features(bits: int, side) -> tuple:
    """The finder's features of ``talk_bits`` said on ``side``: each alone, with the side, and each pair with the side.

    >>> talk_features(talk_bits("行 130", False, False, "150", "130吧"), "seller")[:6]
    ('amt', 'oamt', 'eq', 'inoa', 'mylt', 'oprop')
    """
    f = [x for x in _TALK if bits & _BIT[x]]
    sd = _SIDE_MARK.get(side, "n")
    fs = sorted(f)
    return (*f, *(sd + x for x in f), *(sd + p + "&" + q for k, p in enumerate(fs) for q in fs[k + 1:]))


def pieces(text: str) -> list:
    """The clauses the finder reads a text in (``clauses.split_clauses``: the reader's cut); in the reader, those of
    the text as it reads it (links blanked). A gram counts once per clause it is in."""
    return [c.text for c in split_clauses(text)]


# Each kind's logit in thousandths (the model's weights have three decimals: ``bench/events_finder.py train``), all
# kinds of a clause packed in one integer (a field of _BITS bits a kind, the first kind lowest): adding integers adds
# every kind at once, exactly and in any order, and one AND says whether any kind a side may say reached the
# threshold. A field holds the clause's logit × 1000 + _OFF (never negative); a message of m clauses sums to
# base + Σ logit + (m + 1)·_OFF, and adding ``Finder._top_of(m)`` sets a field's top bit exactly when its kind reached
# the threshold. A clause's logit × 1000 stays under 2**22 in absolute value (≤ 3 grams a character of at most 161
# characters, each weight under 5): no field ever carries into the next.
_UNIT = 1000
_BITS = 48
_OFF = 1 << 32
_FIELD = (1 << _BITS) - 1
_TOP = 1 << (_BITS - 1)


class Finder:
    """``found(text, side)`` → the kinds (names, in the model's order) it finds in a message said on ``side``.
    A message's logits are its side's base plus the sum of its clauses' (cached per clause: chats repeat their
    clauses), in thousandths, all kinds at once (``_pack``): exact, whatever the order."""

    def __init__(self, data: dict):
        self.kinds: tuple = tuple(data["kinds"])
        self.threshold: float = float(data["threshold"])
        self.threshold_beside: float = float(data["threshold_beside"])     # in a message where the rules found a kind
        self.max_chars: int = int(data["max_chars"])
        self.sides: dict = {k: tuple(v) for k, v in data.get("sides", {}).items()}     # kind → the sides it may be said on
        self._logit = math.log(self.threshold / (1 - self.threshold))
        self.logit_beside = math.log(self.threshold_beside / (1 - self.threshold_beside))
        n = len(self.kinds)
        bias = data["bias"]
        self._base = {side: tuple(bias[k] + data["side"].get(str(side), [0.0] * n)[k] for k in range(n))
                      for side in ("buyer", "seller", None)}
        # (``bench/events_finder.py train`` writes every weight with three decimals; a test checks the packaged file)
        self._grams: dict = {g: tuple([(k, round(w * _UNIT)) for k, w in row]) for g, row in data["grams"].items()}
        self._allowed = {side: frozenset(k for k, name in enumerate(self.kinds)
                                         if name not in self.sides or side in self.sides[name])
                         for side in ("buyer", "seller")}
        self._packed_base = {side: _pack([_fixed(x) for x in self._base[side]]) for side in ("buyer", "seller", None)}
        self._mask = {side: sum(_TOP << (_BITS * k) for k in ok) for side, ok in self._allowed.items()}
        lim = math.ceil(self._logit * _UNIT)      # a logit reaches the threshold when its thousandths reach lim
        self._lim = lim
        self._top: dict = {}        # clauses → what a message of that many adds (``_top_of``)
        self._memo: dict = {}           # clause as normalized → its packed logits
        self._written: dict = {}        # clause as written → its packed logits (one look-up a clause seen before)
        self._sided = frozenset(data["side"])       # it learnt every message with its side: none, no reading
        self._dialogue: dict = {f: tuple([(k, round(w * _UNIT)) for k, w in row])
                                for f, row in data.get("dialogue", {}).items()}
        self._dmemo: dict = {}          # (talk bits, side) → their features' packed logits (None: no weight)

    def _talk(self, bits: int, side):
        """The packed logits of a message's place in the talk (``talk_bits``) said on ``side``, as one more clause;
        None when no feature of it has a weight (cached: a chat's messages have few combinations)."""
        v = self._dmemo.get((bits, side), _NONE)
        if v is _NONE:
            z = [0] * len(self.kinds)
            get = self._dialogue.get
            hit = False
            for f in talk_features(bits, side):
                row = get(f)
                if row is not None:
                    hit = True
                    for k, w in row:
                        z[k] += w
            if len(self._dmemo) >= _MEMO:
                self._dmemo.clear()
            v = self._dmemo[bits, side] = _pack(z) if hit else None
        return v

    def _top_of(self, m: int) -> int:
        """What sets a field's top bit of a message of ``m`` clauses exactly when its kind reached the threshold."""
        t = self._top.get(m)
        if t is None:
            t = self._top[m] = _pack([_TOP - self._lim - (m + 2) * _OFF] * len(self.kinds))     # (_pack adds one _OFF)
        return t

    def _packed(self, c: str) -> int:
        """The packed logits of a clause as written (cached; the clause as the model reads it is ``model.norm``'s:
        「订单号：6101…」 and 「订单号：5302…」 are one clause to it, cached once in ``_clause``)."""
        v = self._written.get(c)
        if v is None:
            if len(self._written) >= _MEMO:
                self._written.clear()
            v = self._written[c] = self._clause(norm(c))
        return v

    def _clause(self, n: str) -> int:
        """The packed logits of a normalized clause (cached)."""
        v = self._memo.get(n)
        if v is None:
            z = [0] * len(self.kinds)
            get = self._grams.get
            for g in gram_set(n, 3):
                row = get(g)
                if row is not None:
                    for k, w in row:
                        z[k] += w
            if len(self._memo) >= _MEMO:
                self._memo.clear()
            v = self._memo[n] = _pack(z)
        return v

    def _unpack(self, packed: int, m: int) -> list:
        """Each kind's logit (a float) from a message's packed sum of ``m`` clauses and its base."""
        off = (m + 1) * _OFF
        return [(((packed >> (_BITS * k)) & _FIELD) - off) / _UNIT for k in range(len(self.kinds))]

    def logits_of(self, clauses, side, talk: int = 0) -> tuple:
        """Each kind's logit for a message of ``clauses`` (texts) said on ``side`` at ``talk`` (``talk_bits``; exact:
        the weights' thousandths added)."""
        ns = [self._packed(c) for c in clauses]
        d = self._talk(talk, side) if talk else None
        if d is not None:
            ns.append(d)
        base = self._packed_base.get(side, self._packed_base[None])      # (no side: the bias alone)
        return tuple(self._unpack(sum(ns, base), len(ns)))

    def logits(self, text: str, side, talk: int = 0) -> list:
        """Each kind's logit for ``text`` said on ``side`` (``talk``: its place in the talk, ``talk_bits``)."""
        return list(self.logits_of(pieces(text), side, talk))

    def found_in(self, clauses, side, length: int, talk: int = 0) -> tuple:
        """``found`` for a message of ``clauses`` (texts) and ``length`` characters at ``talk`` (``talk_bits``), each
        kind with its logit: its clauses' packed logits (and its place in the talk's, as one more clause) added to its
        side's base, then one AND with the fields the side may say."""
        if length > self.max_chars or side not in self._sided:
            return ()
        get = self._written.get
        packed = self._packed_base[side]
        for c in clauses:
            packed += get(c) or self._packed(c)      # (a packed value is never 0: every field holds its offset)
        m = len(clauses)
        if talk:
            d = self._dmemo.get((talk, side), _NONE)
            if d is _NONE:
                d = self._talk(talk, side)
            if d is not None:
                packed += d
                m += 1
        hit = (packed + (self._top.get(m) or self._top_of(m))) & self._mask[side]
        if not hit:
            return ()
        got, off = [], (m + 1) * _OFF
        while hit:      # each top bit set, lowest (first kind) first
            low = hit & -hit
            hit ^= low
            k = (low.bit_length() - 1) // _BITS      # (the top bit of field k is bit 48k + 47)
            got.append((self.kinds[k], (((packed >> (_BITS * k)) & _FIELD) - off) / _UNIT))
        return tuple(got)

    def found(self, text: str, side, beside: bool = False, talk: int = 0) -> tuple:
        """The kinds at or above the threshold that ``side`` may say; none in a text longer than the longest it learnt
        from, nor with no side (a chat read without the case's role: it learnt every message with its side). ``beside``: the rules found a kind in the message — the finder must be
        surer there (``threshold_beside``)."""
        lim = self.logit_beside if beside else self._logit
        return tuple(k for k, v in self.found_in(pieces(text), side, len(text), talk) if v >= lim)

    def best_clause(self, clauses, side, kind: str) -> int:
        """The index of the clause (texts) the model scores highest for ``kind`` (the first of equals; the side's
        base is the same for every clause)."""
        if len(clauses) < 2:
            return 0
        shift = _BITS * self.kinds.index(kind)
        scores = [(self._packed(c) >> shift) & _FIELD for c in clauses]
        return scores.index(max(scores))


def _fixed(w: float) -> int:
    """A weight in thousandths (the model's weights have three decimals)."""
    return round(w * _UNIT)


def _pack(z) -> int:
    """Fixed-point logits (one a kind) as one integer: each + ``_OFF`` in its field, the first kind lowest."""
    v = 0
    for k, x in enumerate(z):
        v |= (x + _OFF) << (_BITS * k)
    return v


_NONE = object()
_LOADED: list = []


def load_finder(path: Path | None = None) -> Finder:
    """The packaged model (loaded once)."""
    return load_model(Finder, DATA, path, _LOADED)
