"""Key events in a conversation, from the rules in ``rules.toml`` (zh and en, editable without code).

    >>> from tradeshield.chat.events import find_events
    >>> from tradeshield.chat.model import Message
    >>> [e["kind"] for e in find_events([Message(None, "买家", "them", "能便宜50吗")])]
    ['discount-request']

One combined regex of every rule's patterns is tried on each message first; only messages it
hits are checked rule by rule, so a million messages cost one C-level scan each. A user copy of
the rules (``<config dir>/chat-rules.toml`` or ``TRADESHIELD_CHAT_RULES``) replaces the built-in one.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tradeshield import i18n
from tradeshield.errors import InputError

KINDS = ("discount-request", "refund-request", "return-request", "defect-claim", "receipt-ack", "confirm-request",
         "off-platform", "fake-service", "threat", "insult", "agreement", "requirement")
BUILTIN = Path(__file__).with_name("rules.toml")
# money: ¥50 / 50元 / 50块 / RMB 50, or a bare 2–6 digit number right after a price word
_AMOUNT = re.compile(r"(?:[¥￥]|RMB|rmb|CNY)\s*(\d{1,7}(?:\.\d{1,2})?)|(\d{1,7}(?:\.\d{1,2})?)\s*(?:元|块|rmb|RMB|yuan)|"
                     r"(?:便宜|少|减|优惠|让|退|差价|价格?|出价|卖|付|转)(?:个|了|点|我|你)?\s*(\d{2,6}(?:\.\d{1,2})?)(?!\d)")

i18n.register({
    "chat.bad_rules": ("事件规则文件有误：{path}（{reason}）", "event rules file is invalid: {path} ({reason})"),
})


@dataclass(frozen=True)
class Rule:
    kind: str
    confirm: re.Pattern | None
    unless: tuple[str, ...]
    amount: bool


def rules_path() -> Path:
    env = os.environ.get("TRADESHIELD_CHAT_RULES")
    if env:
        return Path(env)
    from tradeshield.config import user_config_dir

    user = user_config_dir() / "chat-rules.toml"
    return user if user.is_file() else BUILTIN


def _literal_re(words) -> re.Pattern:
    # longest first so 开不了机 wins over 开不了; a plain alternation keeps the regex engine on its fast path
    words = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)) or "(?!)")


@functools.lru_cache(maxsize=4)
def load_rules(path: str | None = None):
    """(rules, trigger → rule indices, zh trigger regex, lower-cased en trigger regex)."""
    import tomllib

    p = Path(path) if path else rules_path()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
        rules, triggers = [], {}
        for r in data.get("rule", []):
            words = [w for w in r.get("zh", [])] + [w.lower() for w in r.get("en", [])]
            if not words:
                continue
            conf = r.get("confirm") or []
            rules.append(Rule(str(r["kind"]), re.compile("|".join(f"(?:{x})" for x in conf)) if conf else None,
                              tuple(r.get("unless") or ()), bool(r.get("amount"))))
            for w in words:
                triggers.setdefault(w, []).append(len(rules) - 1)
    except (OSError, ValueError, KeyError, TypeError, re.error) as e:
        raise InputError("chat.bad_rules", path=str(p), reason=str(e)) from None
    zh = _literal_re(w for w in triggers if not w.isascii() or not w.isalpha())
    en = _literal_re(w for w in triggers if w.isascii() and any(c.isalpha() for c in w))
    return tuple(rules), triggers, zh, en


_ASCII_LETTER = re.compile("[A-Za-z]")
_DIGIT = re.compile(r"\d")


def amount_in(text: str) -> str | None:
    if _DIGIT.search(text) is None:
        return None
    for m in _AMOUNT.finditer(text):
        val = m[1] or m[2] or m[3]
        if val:
            return val
    return None


class Matcher:
    """``match(text) -> [(kind, matched, amount|None)]``; ``search(text)`` is the cheap pre-filter."""

    def __init__(self, path: str | None = None):
        self.rules, self.triggers, zh, en = load_rules(path)
        self._zh, self._en = zh, en
        self._zh_search, self._en_search = zh.search, en.search
        self._letter = _ASCII_LETTER.search

    def search(self, text: str):
        hit = self._zh_search(text)
        if hit is None and self._letter(text) is not None:
            hit = self._en_search(text.lower())
        return hit

    def match(self, text: str) -> list[tuple[str, str, str | None]]:
        hits = [(m.group(), m.start(), m.end(), text) for m in self._zh.finditer(text)]
        if self._letter(text) is not None:
            low = text.lower()
            hits += [(m.group(), m.start(), m.end(), low) for m in self._en.finditer(low)]
        done, out = set(), []
        for word, s, e, hay in hits:
            for i in self.triggers.get(word, ()):
                if i in done:
                    continue
                r = self.rules[i]
                matched = text[s:e]
                if r.confirm is not None:
                    m = r.confirm.search(hay, max(0, s - 6), min(len(hay), e + 12))
                    if m is None:
                        continue
                    if m.start() <= e and m.end() >= s:     # the confirmation overlaps: show both
                        matched = text[min(s, m.start()):max(e, m.end())]
                if r.unless and any(u in text for u in r.unless):
                    done.add(i)
                    continue
                done.add(i)
                out.append((r.kind, matched, amount_in(text) if r.amount else None))
        out.sort(key=lambda x: [r.kind for r in self.rules].index(x[0]))
        return out


def event_dict(kind, matched, amount, time, sender, role, text, source, a, b) -> dict:
    ev = {"kind": kind, "time": time, "sender": sender, "role": role, "text": text, "matched": matched,
          "ref": {"source": source, "lines": [a, b]}}
    if amount is not None:
        ev["amount"] = amount
    return ev


def find_events(messages) -> list[dict]:
    """Events for ``Message`` objects (or dicts with the same fields), in the order given."""
    matcher = Matcher()
    out = []
    for m in messages:
        get = m.get if isinstance(m, dict) else lambda k, _m=m: getattr(_m, k, None)
        text = get("text") or ""
        for kind, matched, amount in matcher.match(text):
            t = get("time")
            lines = get("lines") or [get("line_start"), get("line_end")]
            out.append(event_dict(kind, matched, amount, t.isoformat() if hasattr(t, "isoformat") else t,
                                  get("sender"), get("role"), text, get("source"), lines[0], lines[1]))
    return out
