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
    pattern: re.Pattern
    unless: re.Pattern | None
    amount: bool


def rules_path() -> Path:
    env = os.environ.get("TRADESHIELD_CHAT_RULES")
    if env:
        return Path(env)
    from tradeshield.config import user_config_dir

    user = user_config_dir() / "chat-rules.toml"
    return user if user.is_file() else BUILTIN


@functools.lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> tuple[tuple[Rule, ...], re.Pattern]:
    import tomllib

    p = Path(path) if path else rules_path()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
        rules = []
        for r in data.get("rule", []):
            pats = list(r.get("zh", [])) + list(r.get("en", []))
            if not pats:
                continue
            unless = r.get("unless") or []
            rules.append(Rule(str(r["kind"]), re.compile("|".join(f"(?:{x})" for x in pats), re.I),
                              re.compile("|".join(f"(?:{x})" for x in unless), re.I) if unless else None,
                              bool(r.get("amount"))))
        combined = re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules) or "(?!)", re.I)
    except (OSError, ValueError, KeyError, re.error) as e:
        raise InputError("chat.bad_rules", path=str(p), reason=str(e)) from None
    return tuple(rules), combined


def amount_in(text: str) -> str | None:
    for m in _AMOUNT.finditer(text):
        val = m[1] or m[2] or m[3]
        if val:
            return val
    return None


class Matcher:
    """``match(text) -> [(kind, matched, amount|None)]`` with the cheap pre-filter in front."""

    def __init__(self, path: str | None = None):
        self.rules, combined = load_rules(path)
        self.search = combined.search

    def match(self, text: str) -> list[tuple[str, str, str | None]]:
        if self.search(text) is None:
            return []
        out = []
        for r in self.rules:
            m = r.pattern.search(text)
            if m is None or (r.unless is not None and r.unless.search(text)):
                continue
            out.append((r.kind, m.group(0), amount_in(text) if r.amount else None))
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
