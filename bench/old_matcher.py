"""The old trigger-word matcher of the first `tradeshield chat` (one scan for trigger words, a few `unless`
phrases per rule), kept as the baseline `bench/bench_events.py` scores the conversation reader against.

    >>> from bench.old_matcher import Matcher
    >>> [k for k, _w, _a in Matcher().match("能便宜50吗")]
    ['discount-request']

Its rules are the `[[rule]]` tables of `bench/data/old_chat_rules.toml` (trigger words, optional `confirm`
regexes near the trigger, `unless` phrases that cancel a rule for the whole message, `amount`). One combined
regex of every trigger is tried on each message first; only messages it hits are checked rule by rule. The
library does not use any of this: `tradeshield.chat.events.find_events` reads conversations clause by clause
(`tradeshield.conversation`).
"""
from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate, repeat
from pathlib import Path

OLD_RULES = Path(__file__).resolve().parent / "data" / "old_chat_rules.toml"
KINDS = ("discount-request", "refund-request", "return-request", "defect-claim", "receipt-ack", "confirm-request",
         "off-platform", "fake-service", "threat", "insult", "agreement", "requirement")


@dataclass(frozen=True)
class Rule:
    kind: str
    confirm: re.Pattern | None
    unless: re.Pattern | None
    amount: bool
    unless_words: tuple[str, ...] = ()     # the phrases ``unless`` is made of


def _literal_re(words) -> re.Pattern:
    # longest first so 开不了机 wins over 开不了; a plain alternation keeps the regex engine on its fast path
    words = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)) or "(?!)")


def trie_re(words) -> re.Pattern:
    """The same matches as ``_literal_re`` (leftmost, then longest), as a prefix tree.

    The regex engine tries a plain alternation branch by branch at every position whose character
    starts some word; with words sharing prefixes folded (``收(?:到(?:货|了|快递)|款码)``) it follows
    one branch per character, about 35 % faster on a chunk of chat text.
    """
    root: dict = {}
    for w in set(words):
        if not w:
            continue
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}
    return re.compile(_trie_pattern(root) or "(?!)")


def _trie_pattern(node: dict) -> str:
    alts = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not alts:
        return ""
    if len(alts) == 1:
        body = alts[0]
    elif all(len(a) == 1 or (len(a) == 2 and a[0] == "\\") for a in alts):
        body = "[" + "".join(alts) + "]"
    else:
        body = "(?:" + "|".join(alts) + ")"
    if "" in node:   # a word ends here: the longer words are tried first (greedy), like longest-first
        body = ("(?:" + body + ")?") if len(alts) == 1 and len(body) > 1 and not body.startswith("[") else body + "?"
    return body


@functools.lru_cache(maxsize=4)
def load_rules(path: str | None = None):
    """(rules, trigger → rule indices, zh trigger regex, lower-cased en trigger regex)."""
    from tradeshield.tomlcompat import loads

    p = Path(path) if path else OLD_RULES
    try:
        data = loads(p.read_text(encoding="utf-8"))
        rules, triggers = [], {}
        for r in data.get("rule", []):
            words = [w for w in r.get("zh", [])] + [w.lower() for w in r.get("en", [])]
            if not words:
                continue
            conf = r.get("confirm") or []
            unless = tuple(r.get("unless") or ())
            rules.append(Rule(str(r["kind"]), re.compile("|".join(f"(?:{x})" for x in conf)) if conf else None,
                              _literal_re(unless) if unless else None, bool(r.get("amount")), unless))
            for w in words:
                triggers.setdefault(w, []).append(len(rules) - 1)
    except (OSError, ValueError, KeyError, TypeError, re.error) as e:
        raise ValueError(f"old rules file {p} is invalid: {e}") from None
    zh, en = passes(triggers)
    return tuple(rules), triggers, trie_re(zh), trie_re(en)


def passes(words) -> tuple[list[str], list[str]]:
    """(words matched as written, words matched on the lower-cased text): a word with ASCII letters and
    other characters ("send it back", "+V") is in both."""
    words = list(words)
    return ([w for w in words if not w.isascii() or not w.isalpha()],
            [w for w in words if w.isascii() and any(c.isalpha() for c in w)])


_ASCII_LETTER = re.compile("[A-Za-z]")
_LETTERS = re.compile("[A-Za-z][^\x00]*")
_START = re.Match.start
_UNSET = object()
_DIGIT = re.compile(r"\d")


_NUMBER = re.compile(r"\d+(?:\.\d{1,2})?")
_CURRENCY_BEFORE = ("¥", "￥", "RMB", "rmb", "CNY")
_CURRENCY_AFTER = ("元", "块", "rmb", "RMB", "yuan")
_PRICE_WORDS = ("便宜", "少", "减", "优惠", "让", "退", "差价", "价", "出价", "卖", "付", "转", "off")
_FILLERS = "个了点我你"      # may stand between a price word and the number


def amount_in(text: str) -> str | None:
    """The money amount in a message: ¥50 / 50元 / 50块, or a 2–6 digit number right after a price word.

    Long digit runs (order and tracking numbers) are never amounts.
    """
    if _DIGIT.search(text) is None:
        return None
    for m in _NUMBER.finditer(text):
        val, s, e = m.group(), m.start(), m.end()
        whole = val.split(".")[0]
        if len(whole) > 7:
            continue
        before = text[max(0, s - 4):s].rstrip()
        if before.endswith(_CURRENCY_BEFORE) or text[e:e + 4].lstrip().startswith(_CURRENCY_AFTER):
            return val
        if 2 <= len(whole) <= 6 and before.rstrip(_FILLERS).endswith(_PRICE_WORDS):
            return val
    return None


class Matcher:
    """``match(text) -> [(kind, matched, amount|None)]``; ``search(text)`` is the cheap pre-filter."""

    def __init__(self, path: str | None = None):
        self.rules, self.triggers, zh, en = load_rules(path)
        self._zh, self._en = zh, en
        self._zh_search, self._en_search = zh.search, en.search
        self._letter = _ASCII_LETTER.search
        self._rank = {r.kind: i for i, r in enumerate(self.rules)}
        # per trigger word: (rule index, kind, decisive on its own, wants the amount) for each of its rules
        self._only_unless = [r.confirm is None and r.unless is not None for r in self.rules]
        self._unless = [r.unless.search if r.unless is not None else None for r in self.rules]
        self._plan = {w: tuple((i, self.rules[i].kind, self.rules[i].confirm is None and self.rules[i].unless is None,
                                self.rules[i].amount) for i in idx) for w, idx in self.triggers.items()}

    def search(self, text: str):
        hit = self._zh_search(text)
        if hit is None and self._letter(text) is not None:
            hit = self._en_search(text.lower())
        return hit

    def match(self, text: str) -> list[tuple[str, str, str | None]]:
        return self.resolve(text, list(self._zh.finditer(text)), self._letter(text) is not None)

    def match_many(self, texts: list[str]) -> list[tuple[int, list]]:
        """``[(index, match(texts[index]))]`` for the texts with a match, in order: the same results as
        ``match`` on each, from one trigger scan over the texts joined with NUL (no trigger word holds one),
        so a text without any trigger costs no Python call."""
        if any("\x00" in w for w in self.triggers):
            return [(k, r) for k, r in enumerate(map(self.match, texts)) if r]
        joined = "\x00".join(texts)
        starts = list(accumulate(map((1).__add__, map(len, texts)), initial=0))
        ms = list(self._zh.finditer(joined))
        found: dict = {}
        if ms:
            counts = Counter(map(bisect_right, repeat(starts), map(_START, ms)))   # k + 1 → hits, in order
            i = 0
            for k1, c in counts.items():
                found[k1 - 1] = ms[i:i + c]
                i += c
        letters = set()
        nxt = -1
        for m in _LETTERS.finditer(joined):       # one hit per text: the rest of it is consumed
            st = m.start()
            if st >= nxt:
                k = bisect_right(starts, st) - 1
                letters.add(k)
                nxt = starts[k + 1]
        out = []
        memo: dict = {}          # chats repeat texts ("好的", auto-replies): a text's result depends on it alone
        for k in sorted(found.keys() | letters):
            text = texts[k]
            r = memo.get(text)
            if r is None:
                r = memo[text] = self.resolve(text, found.get(k, ()), k in letters, starts[k])
            if r:
                out.append((k, r))
        return out

    def resolve(self, text: str, zh_hits, letters: bool, base: int = 0) -> list[tuple[str, str, str | None]]:
        """``match`` given the zh trigger matches in ``text`` (found by one scan over a whole chunk that
        holds ``text`` at offset ``base``) and whether ``text`` has an ASCII letter (for the English pass).

        A rule is tried once per message, at its first trigger (``done``, a bit per rule).
        """
        out = []
        done = 0
        amount = _UNSET
        plan, only_unless, unless = self._plan, self._only_unless, self._unless
        for m in zh_hits:
            for i, kind, plain, wants_amount in plan[m.group()]:
                if done >> i & 1:
                    continue
                done |= 1 << i
                if plain:
                    matched = m.group()
                elif only_unless[i]:       # the usual non-plain rule: a negation anywhere cancels it
                    if unless[i](text) is not None:
                        continue
                    matched = m.group()
                else:
                    matched = self._check(self.rules[i], text, text, m.start() - base, m.end() - base)
                    if matched is None:
                        continue
                if wants_amount and amount is _UNSET:
                    amount = amount_in(text)
                out.append((kind, matched, amount if wants_amount else None))
        if letters:
            hay = text.lower()
            for m in self._en.finditer(hay):
                for i, kind, plain, wants_amount in plan[m.group()]:
                    if done >> i & 1:
                        continue
                    done |= 1 << i
                    matched = self._check(self.rules[i], text, hay, m.start(), m.end())
                    if matched is None:
                        continue
                    if wants_amount and amount is _UNSET:
                        amount = amount_in(text)
                    out.append((kind, matched, amount if wants_amount else None))
        if len(out) > 1:
            out.sort(key=lambda x: self._rank[x[0]])
        return out

    @staticmethod
    def _check(r: Rule, text: str, hay: str, s: int, e: int) -> str | None:
        """The text to show for a trigger at ``hay[s:e]``, or None when the rule does not hold there."""
        matched = text[s:e]
        if r.confirm is not None:
            m = r.confirm.search(hay, max(0, s - 6), min(len(hay), e + 12))
            if m is None:
                return None
            if m.start() <= e and m.end() >= s:     # the confirmation overlaps: show both
                matched = text[min(s, m.start()):max(e, m.end())]
        if r.unless is not None and r.unless.search(hay) is not None:
            return None
        return matched


def event_dict(kind, matched, amount, time, sender, role, text, source, a, b) -> dict:
    ev = {"kind": kind, "time": time, "sender": sender, "role": role, "text": text, "matched": matched,
          "ref": {"source": source, "lines": [a, b]}}
    if amount is not None:
        ev["amount"] = amount
    return ev
