"""A learned second look at the events the rules found (issue 19): keep or drop each one.

    >>> from tradeshield.conversation.model import load_veto
    >>> v = load_veto()
    >>> v.keeps("agreement", "seller", "me", "好吧", "好吧", frozenset({"agreement"}), "不行哦，已经很便宜了", frozenset({"discount-refused"}), True)
    False

The rules (``data/chat_rules.toml``) find events; on chats written by people who never saw the rules about one
event in eight they find is not one (agreement, price-agreed, off-platform and return-request the most). This
model looks only at events the rules found — so it costs a chat import nothing on the messages without one — and
drops an event when it is confident it is a false alarm. It is a logistic regression over binary features: the
kind; the speaker's side and role; char 1–3-grams of the event's clause; 1–2-grams of the whole message and of
the other side's previous message; the kinds the rules found in that previous message and the other kinds found
in this one (most crossed with the kind). Weights and threshold are packaged data
(``data/event_veto.json``), made deterministically by ``bench/events_model.py train`` from ``bench/data/events``'
tuning part and measured there leave-one-batch-out (``bench/events_model.py cv``; README.md "Session 6").

The reader applies it after the rules (``reader._read``): a dropped event is not an event — it is neither
written nor counted — but the dialogue state the rules keep (who asked what) is the rules' own, so the model never
changes what else the rules find. ``TRADESHIELD_EVENT_VETO=0`` turns it off; ``bench/bench_events.py --errors``
lists the events it drops on the tuning part.
"""
from __future__ import annotations

import json
import math
import re
from itertools import repeat
from operator import add
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "event_veto.json"

_NUM = re.compile(r"\d+(?:[.,]\d+)?")
_WS = re.compile(r"\s+")


def norm(t: str) -> str:
    """Lower case, every number as 0, runs of white space as one space."""
    return _WS.sub(" ", _NUM.sub("0", t.lower())).strip()


def grams(t: str, lo: int, hi: int) -> list[str]:
    """Char ``lo``..``hi``-grams of ``t`` between a start mark ^ and an end mark $."""
    t = "^" + t + "$"
    return [t[i:i + k] for k in range(lo, hi + 1) for i in range(len(t) - k + 1)]


def gram_set(t: str, hi: int) -> set:
    """``set(grams(t, 1, hi))`` for ``hi`` 2 or 3, made by C-level loops (the veto's hot path)."""
    t = "^" + t + "$"
    one = t[1:]
    two = list(map(add, t, one))
    out = set(t)
    out.update(two)
    if hi == 3:
        out.update(map(add, two, t[2:]))
    return out


def own_features(kind: str, side, mrole: str, clause: str, text: str, kinds_here) -> list[str]:
    """The features of an event that depend on its own message only."""
    K = kind
    cl, mt = norm(clause), norm(text)
    f = {"bias", K, K + "|s=" + str(side), K + "|r=" + str(mrole), K + ("|whole" if cl == mt else "|part"),
         K + "|len%d" % min(len(mt) // 8, 6)}
    for g in grams(cl, 1, 3):
        f.add("c:" + g)
        f.add(K + "|c:" + g)
    f.update(K + "|m:" + g for g in grams(mt, 1, 2))
    f.update(K + "|o:" + k for k in kinds_here if k != K)
    return sorted(f)


def prev_features(kind: str, prev_text: str | None, prev_kinds=(), gap: bool = False, open_kinds=()) -> list[str]:
    """The features of an event that depend on the other side's previous messages: their last one (None: there is
    none) and the kinds the rules found in the one before it (``open_kinds``: a request there may still be open)."""
    K = kind
    if prev_text is None:
        return [K + "|p:none"]
    f = {K + "|p:" + g for g in grams(norm(prev_text), 1, 2)}
    f.update(K + "|pk:" + k for k in prev_kinds)
    f.update(K + "|ok:" + k for k in open_kinds)
    if not prev_kinds:      # their last message carried no event: what they put up before it is still open
        f.update(K + "|open:" + k for k in open_kinds)
    if gap:
        f.add(K + "|pgap")
    return sorted(f)


def features(kind, side, mrole, clause, text, kinds_here, prev_text, prev_kinds=(), gap=False, open_kinds=()) -> list[str]:
    """Every feature of one event the rules found (``gap``: the speaker spoke again after the other side's last
    message before this one)."""
    return sorted(set(own_features(kind, side, mrole, clause, text, kinds_here))
                  | set(prev_features(kind, prev_text, prev_kinds, gap, open_kinds)))


_CACHE = 4096
# requests an acceptance may answer while they are still open (the other side's last message carried no event)
_REQUESTS = frozenset({"return-request", "refund-request", "discount-request", "ship-before-pay", "cardkey-before-pay"})


def answers_open_request(kind: str, prev_kinds, open_kinds) -> bool:
    """An agreement that answers a request the other side made before their last message, which carried no event
    (「这个我要退」「不行」「求你了」「好吧」): the reader accepts it on purpose (tests/test_conversation.py), and the veto
    leaves it alone — the model has too few such replies to learn them (23 in its training data, 19 true)."""
    return kind == "agreement" and not prev_kinds and not _REQUESTS.isdisjoint(open_kinds)


class Veto:
    """The packaged model: ``keeps(...)`` → whether an event the rules found stays. It judges the kinds in its data's
    ``kinds`` (every other kind is kept); ``score`` is the logistic of the summed weights of ``features``, worked out
    from per-kind tables of its n-gram weights (no feature strings made) and cached per clause, per message and per
    previous message."""

    def __init__(self, data: dict):
        self.weights: dict = data["weights"]
        self.threshold: float = float(data["threshold"])
        self.kinds = frozenset(data["kinds"])
        self._logit = math.log(self.threshold / (1 - self.threshold))
        w = self.weights
        shared = {k[2:]: v for k, v in w.items() if k[:2] == "c:"}
        own = {K: ({}, {}, {}, {}) for K in self.kinds}      # per kind: c, m, p, misc — one pass over the weights
        for k, v in w.items():
            head, bar, rest = k.partition("|")
            t = own.get(head) if bar else None
            if t is None:
                continue
            tag = rest[:2]
            if tag == "c:":
                t[0][rest[2:]] = v
            elif tag == "m:":
                t[1][rest[2:]] = v
            elif tag == "p:" and rest != "p:none":
                t[2][rest[2:]] = v
            else:
                t[3][rest] = v
        self._tables = {}
        for K, (c_own, m, p, misc) in own.items():
            c = dict(shared)
            for g, v in c_own.items():
                c[g] = c.get(g, 0.0) + v
            self._tables[K] = (w.get("bias", 0.0) + w.get(K, 0.0), c, m, p, misc)
        self._memo: dict = {}

    def _grams_sum(self, table: dict, text: str, hi: int, key) -> float:
        v = self._memo.get(key)
        if v is None:
            if len(self._memo) >= _CACHE:
                self._memo.clear()
            g = gram_set(text, hi)
            v = self._memo[key] = sum(map(table.get, g, repeat(0.0, len(g))))
        return v

    def logit(self, kind, side, mrole, clause, text, kinds_here, prev_text, prev_kinds=(), gap=False,
              open_kinds=()) -> float:
        base, c, m, p, misc = self._tables[kind]
        get = misc.get
        cl, mt = norm(clause), norm(text)
        z = base + get("s=" + str(side), 0.0) + get("r=" + str(mrole), 0.0) + get("whole" if cl == mt else "part", 0.0) \
            + get("len%d" % min(len(mt) // 8, 6), 0.0)
        z += self._grams_sum(c, cl, 3, (0, kind, cl)) + self._grams_sum(m, mt, 2, (1, kind, mt))
        for k in kinds_here:
            if k != kind:
                z += get("o:" + k, 0.0)
        if prev_text is None:
            return z + get("p:none", 0.0)
        key = (2, kind, prev_text)
        v = self._memo.get(key)
        z += v if v is not None else self._grams_sum(p, norm(prev_text), 2, key)
        for k in prev_kinds:
            z += get("pk:" + k, 0.0)
        for k in open_kinds:
            z += get("ok:" + k, 0.0)
            if not prev_kinds:
                z += get("open:" + k, 0.0)
        return z + get("pgap", 0.0) if gap else z

    def score(self, kind, side, mrole, clause, text, kinds_here, prev_text, prev_kinds=(), gap=False,
              open_kinds=()) -> float:
        """The probability that the event is one (a kind it does not judge: 1.0)."""
        if kind not in self.kinds:
            return 1.0
        z = self.logit(kind, side, mrole, clause, text, kinds_here, prev_text, prev_kinds, gap, open_kinds)
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def keeps(self, kind, side, mrole, clause, text, kinds_here, prev_text, prev_kinds=(), gap=False,
              open_kinds=()) -> bool:
        if kind not in self.kinds or answers_open_request(kind, prev_kinds, open_kinds):
            return True
        return self.logit(kind, side, mrole, clause, text, kinds_here, prev_text, prev_kinds, gap, open_kinds) >= self._logit


_LOADED: list = []


def load_veto(path: Path | None = None) -> Veto:
    """The packaged model (loaded once)."""
    return load_model(Veto, DATA, path, _LOADED)


def load_model(cls, packaged: Path, path: Path | None, loaded: list):
    """``cls`` made from a JSON file of weights: ``path``, or the ``packaged`` one (made once, kept in ``loaded``)."""
    if path is not None:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))
    if not loaded:
        loaded.append(cls(json.loads(packaged.read_text(encoding="utf-8"))))
    return loaded[0]
