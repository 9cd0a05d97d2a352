"""A learned finder of the events the rules miss (issue 19): a per-kind classifier over every message.

    >>> from tradeshield.conversation.finder import load_finder
    >>> f = load_finder()
    >>> "defect-claim" in f.found("收到的耳机左边没声音", "buyer")
    True
    >>> f.found("收到的耳机左边没声音", "seller")          # a buyer's kind: never the seller's
    ()

The rules (``data/chat_rules.toml``) find what their words say; on chats written by people who never saw them they
find about two events in three. This model reads each message on its own — the char 1–3-grams of each of its
clauses (numbers as 0) and the speaker's side — and gives each kind a probability; a kind at or above the threshold
(``threshold_beside``, higher, in a message where the rules found a kind) that the rules did not find in the message
is added as an event with ``"found": "model"`` and ``"matched": null`` (no rule word matched), on the
clause the model scores highest. It never takes an event away and never changes what the rules find after it (the
dialogue goes on from the rules' own events), a kind keeps its side (a discount request is the buyer's), and it
counts only where the talk is about a trade (a trade word in the message or the five before, or a chat's first
message), as the rules' ``[kind.context]`` words do.

It reads only near what the rules found: in a chat's first ``QUIET`` messages and in the ``QUIET`` after a message
where the rules found an event (in real chats about nothing for sale, where the rules find an event in a few
messages per thousand, it reads next to nothing), and only messages no longer than the longest it learnt from.

It is a logistic regression per kind (weights under 0.1 left out: most are zero), made deterministically by
``bench/events_finder.py train`` from ``bench/data/events``' tuning part and measured there batch-out: rules alone
against rules with the finder on batches neither saw (``bench/events_finder.py cv``; README.md "Session 9").
Its events are suggestions like every other (``"status": "suggested"``): the user confirms or rejects them.
``TRADESHIELD_EVENT_FINDER=0`` turns it off; it is off with a user's own rules file.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from tradeshield.conversation.clauses import split_clauses
from tradeshield.conversation.model import gram_set, norm

DATA = Path(__file__).resolve().parent.parent / "data" / "event_finder.json"
QUIET = 10      # messages after the last one with a rule event (or the chat's start) where the finder still reads
_MEMO = 4096      # entries per cache (a clause's logits are ~0.7 KB: a 1,000,000-message import must stay flat)


def pieces(text: str) -> list:
    """The clauses the finder reads a text in (``clauses.split_clauses``: the reader's cut); in the reader, those of
    the text as it reads it (links blanked). A gram counts once per clause it is in."""
    return [c.text for c in split_clauses(text)]


class Finder:
    """``found(text, side)`` → the kinds (names, in the model's order) it finds in a message said on ``side``.
    A message's logits are the sum of its clauses' (cached per clause: chats repeat their clauses)."""

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
        self._grams: dict = data["grams"]       # gram → [[kind index, weight], …] (as loaded: no copy)
        self._allowed = {side: frozenset(k for k, name in enumerate(self.kinds)
                                         if name not in self.sides or side in self.sides[name])
                         for side in ("buyer", "seller")}
        self._memo: dict = {}           # clause as normalized → logits
        self._norm_memo: dict = {}      # clause as written → as normalized
        self._found: dict = {}          # (side, normalized clauses) → ``found_in``
        self._sided = frozenset(data["side"])       # it learnt every message with its side: none, no reading

    def _normal(self, c: str) -> str:
        """A clause as the model reads it (``model.norm``: 「订单号：6101…」 and 「订单号：5302…」 are one clause to it)."""
        n = self._norm_memo.get(c)
        if n is None:
            if len(self._norm_memo) >= _MEMO:
                self._norm_memo.clear()
            n = self._norm_memo[c] = norm(c)
        return n

    def _clause(self, n: str) -> tuple:
        """The logits of a normalized clause (cached)."""
        v = self._memo.get(n)
        if v is None:
            z = [0.0] * len(self.kinds)
            get = self._grams.get
            for g in gram_set(n, 3):
                row = get(g)
                if row is not None:
                    for k, w in row:
                        z[k] += w
            if len(self._memo) >= _MEMO:
                self._memo.clear()
            v = self._memo[n] = tuple(z)
        return v

    def logits_of(self, clauses, side) -> tuple:
        """Each kind's logit for a message of ``clauses`` (texts) said on ``side``."""
        base = self._base.get(side) or self._base[None]
        return tuple(map(sum, zip(base, *[self._clause(self._normal(c)) for c in clauses])))

    def logits(self, text: str, side) -> list:
        """Each kind's logit for ``text`` said on ``side``."""
        return list(self.logits_of(pieces(text), side))

    def found_in(self, clauses, side, length: int) -> tuple:
        """``found`` for a message of ``clauses`` (texts) and ``length`` characters, each kind with its logit (cached
        per side and normalized clauses: chats repeat their messages' forms even more than their texts)."""
        if length > self.max_chars or side not in self._sided:
            return ()
        ns = tuple(map(self._norm_memo.get, clauses))
        if None in ns:
            ns = tuple(map(self._normal, clauses))
        got = self._found.get((side, ns))
        if got is None:
            get = self._memo.get
            z = tuple(map(sum, zip(self._base[side], *[get(n) or self._clause(n) for n in ns])))
            lim = self._logit
            if max(z) < lim:
                got = ()
            else:
                ok = self._allowed[side]
                got = tuple((self.kinds[k], v) for k, v in enumerate(z) if v >= lim and k in ok)
            if len(self._found) >= _MEMO:
                self._found.clear()
            self._found[side, ns] = got
        return got

    def found(self, text: str, side, beside: bool = False) -> tuple:
        """The kinds at or above the threshold that ``side`` may say; none in a text longer than the longest it learnt
        from, nor with no side (a chat read without the case's role: it learnt every message with its side). ``beside``: the rules found a kind in the message — the finder must be
        surer there (``threshold_beside``)."""
        lim = self.logit_beside if beside else self._logit
        return tuple(k for k, v in self.found_in(pieces(text), side, len(text)) if v >= lim)

    def best_clause(self, clauses, side, kind: str) -> int:
        """The index of the clause (texts) the model scores highest for ``kind`` (the first of equals)."""
        if len(clauses) < 2:
            return 0
        k = self.kinds.index(kind)
        scores = [self.logits_of((c,), side)[k] for c in clauses]
        return scores.index(max(scores))


_LOADED: list = []


def load_finder(path: Path | None = None) -> Finder:
    """The packaged model (loaded once)."""
    if path is not None:
        return Finder(json.loads(Path(path).read_text(encoding="utf-8")))
    if not _LOADED:
        _LOADED.append(Finder(json.loads(DATA.read_text(encoding="utf-8"))))
    return _LOADED[0]
