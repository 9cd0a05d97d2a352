"""Counterparty risk check: facts + chat → level, score, reasons with evidence, protective checklist.

    >>> from tradeshield.check import Facts, Msg, evaluate
    >>> facts = Facts(role="seller", category="phone", price=1100, listed=1150, credit="极好",
    ...               trades=312, same_category_share=0.9, account_age_days=900)
    >>> result = evaluate(facts, [Msg("加我微信聊，平台扣手续费", role="them", line_start=3)])
    >>> result["level"], [r["id"] for r in result["reasons"]]
    ('high', ['dealer-pattern', 'off-platform-contact', 'off-platform-payment'])

The rules, their weights, thresholds, texts (zh and en) and the checklist live in
``tradeshield/data/check_rules.toml``; this module only implements the detectors the rules name
(``phrase``, ``dealer``, ``new-account``, ``credit``, ``price-below``, ``price-above``,
``watchlist``). Messages are anything with ``.text``, ``.role`` (me / them / system),
``.time`` and ``.line_start`` — the chat parser's ``Message`` or ``Msg`` below. Only the
counterparty's messages are read: what the user said never counts against the other side.
"""
from __future__ import annotations

import math
import os
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from tradeshield import i18n
from tradeshield.tomlcompat import loads as loads_toml
from tradeshield.errors import InputError, UsageError

LEVELS = ("low", "elevated", "high")
ROLES = ("seller", "buyer")
MAX_EVIDENCE = 5   # per reason; the count of all matches is still reported

i18n.register({
    "check.bad_role": ("角色必须是 seller 或 buyer：{role}", "role must be seller or buyer: {role}"),
    "check.no_role": ("缺少角色：用 --role seller|buyer 指定（或在案件中运行）",
                      "no role: pass --role seller|buyer (or run inside a case)"),
    "check.category_other": ("品类“{category}”不在规则表中，按“其他”检查（手机、数码、卡密、奢侈品、服装有专门规则）",
                             "category \"{category}\" is not in the rules: checked as \"other\" (phone, electronics, "
                             "cardkey, luxury and clothing have their own rules)"),
    "check.bad_category": ("未知品类：{category}（可用：{choices}）", "unknown category: {category} (choose from {choices})"),
    "check.bad_number": ("{name} 的值超出范围：{value}（应为 {range}）", "{name} is out of range: {value} (expected {range})"),
    "check.bad_credit": ("无法识别的信用等级：{value}（可用：{choices}）", "unknown credit level: {value} (choose from {choices})"),
    "check.bad_ask": ("未知的对方要求：{value}（可用：{choices}）", "unknown request: {value} (choose from {choices})"),
    "check.ask_role": ("要求 {ask} 不适用于{role}角色（对方是{other}）", "request {ask} does not fit role {role} (the other side is the {other})"),
    "check.contradiction": ("事实互相矛盾：{what}", "contradictory facts: {what}"),
    "check.share_without_trades": ("给了同类占比 {share} 但交易数为 0", "a same-category share of {share} with 0 trades"),
    "check.profile_bad": ("资料文件无法读取：{path}（{reason}）", "cannot read the profile {path} ({reason})"),
    "check.profile_key": ("资料文件中有未知项：{name}（可用：{choices}）", "unknown key in the profile: {name} (allowed: {choices})"),
    "check.profile_messages": ("资料文件 messages 第 {n} 条无效：需要 text，role 为 me/them/system",
                               "profile message {n} is invalid: it needs text, and role me/them/system"),
    "check.rules_bad": ("规则文件无效：{path}（{reason}）", "the rules file is invalid: {path} ({reason})"),
    "check.no_chat_parser": ("此版本尚无聊天解析器（tradeshield.chat），无法读取 {path}；可在资料文件中用 [[messages]] 提供聊天",
                             "this build has no chat parser (tradeshield.chat) to read {path}; give the chat as [[messages]] in a profile"),
    "check.ref.listed": ("标价", "listed price"),
    "check.ref.market": ("市场价", "market price"),
    "check.role.seller": ("卖家", "seller"),
    "check.role.buyer": ("买家", "buyer"),
})


@dataclass
class Msg:
    """A chat message for the rule engine (the chat parser's Message has the same fields)."""

    text: str
    role: str = "them"
    time: object = None
    line_start: int | None = None
    line_end: int | None = None
    sender: str | None = None


@dataclass
class Facts:
    role: str
    category: str = "other"
    platform: str | None = None
    price: float | None = None
    listed: float | None = None
    market: float | None = None
    credit: str | None = None
    trades: int | None = None
    same_category_share: float | None = None
    account_age_days: int | None = None
    counterparty: str | None = None
    asks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [])}


# ---------------------------------------------------------------- rules

@dataclass
class Rules:
    data: dict
    path: str

    @property
    def categories(self) -> list[str]:
        return list(self.data["categories"])

    @property
    def rules(self) -> list[dict]:
        return self.data["rules"]

    def credit_tier(self, credit: str) -> str | None:
        key = credit.strip().lower().removeprefix("信用").strip()
        for tier, names in self.data["credit"].items():
            if key in [n.lower() for n in names]:
                return tier
        return None


def default_rules_path() -> Path:
    from tradeshield import data

    return data.path("check_rules.toml")


def load_rules(path: str | os.PathLike | None = None) -> Rules:
    """The rules file (default: the packaged one; TRADESHIELD_CHECK_RULES overrides)."""
    path = Path(path or os.environ.get("TRADESHIELD_CHECK_RULES") or default_rules_path())
    return _load_rules_cached(str(path.resolve()), path.stat().st_mtime_ns if path.exists() else 0)


@lru_cache(maxsize=4)
def _load_rules_cached(path: str, _mtime: int) -> Rules:
    try:
        data = loads_toml(Path(path).read_text(encoding="utf-8"))
        for key in ("categories", "levels", "phrases", "credit", "asks", "rules", "checklist"):
            if key not in data:
                raise ValueError(f"missing [{key}]")
        for rule in data["rules"]:
            _compile_rule(rule)
    except (OSError, ValueError, re.error, KeyError, TypeError) as e:
        raise InputError("check.rules_bad", path=path, reason=str(e)) from None
    ph = data["phrases"]
    ph["_neg"] = re.compile(ph["negation"] + r"\S{0,2}$")
    ph["_break"] = re.compile(ph["clause_break"])
    return Rules(data, path)


def _compile_rule(rule: dict) -> None:
    for key in ("id", "detector", "weight", "zh", "en"):
        if key not in rule:
            raise ValueError(f"rule {rule.get('id', '?')}: missing {key}")
    if rule["detector"] == "phrase":
        rule["_re"] = re.compile("|".join(f"(?:{p})" for p in rule["patterns"]))
        rule["_allow"] = re.compile("|".join(rule["allow"])) if rule.get("allow") else None


# ---------------------------------------------------------------- validation

_RANGES = {  # name: (low, high, integer?)
    "price": (0.01, 1e8, False), "listed": (0.01, 1e8, False), "market": (0.01, 1e8, False),
    "trades": (0, 1_000_000, True), "same_category_share": (0.0, 1.0, False),
    "account_age_days": (0, 365 * 30, True),
}


def validate(facts: Facts, rules: Rules) -> Facts:
    """Raise a clear error on out-of-range or contradictory facts; return the normalised facts."""
    if facts.role not in ROLES:
        raise UsageError("check.bad_role", role=facts.role)
    if facts.category not in rules.categories:
        raise UsageError("check.bad_category", category=facts.category, choices=", ".join(rules.categories))
    for name, (lo, hi, integer) in _RANGES.items():
        value = getattr(facts, name)
        if value is None:
            continue
        try:
            num = float(value)
        except (TypeError, ValueError):
            num = math.nan
        if not (lo <= num <= hi) or (integer and not num.is_integer()):
            raise UsageError("check.bad_number", name=name, value=value, range=f"{lo:g}–{hi:g}")
        setattr(facts, name, int(num) if integer else _num(num))
    if facts.credit is not None and rules.credit_tier(facts.credit) is None:
        names = [n for tier in rules.data["credit"].values() for n in tier]
        raise UsageError("check.bad_credit", value=facts.credit, choices=", ".join(names))
    for ask in facts.asks:
        roles = rules.data["asks"].get(ask)
        if roles is None:
            raise UsageError("check.bad_ask", value=ask, choices=", ".join(rules.data["asks"]))
        if facts.role not in roles:
            other = "buyer" if facts.role == "seller" else "seller"
            raise UsageError("check.ask_role", ask=ask, role=i18n.t("check.role." + facts.role),
                             other=i18n.t("check.role." + other))
    if facts.same_category_share and facts.trades == 0:
        raise UsageError("check.contradiction",
                         what=i18n.t("check.share_without_trades", share=facts.same_category_share))
    return facts


# ---------------------------------------------------------------- text matching

_SPACE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")


def normalize(text: str) -> str:
    """NFKC (full-width → ASCII), lower case, no spaces or zero-width characters ("加 我 V X" → "加我vx")."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).lower())


def _negated(norm: str, start: int, rules: Rules) -> bool:
    ph = rules.data["phrases"]
    window = norm[max(0, start - ph["negation_window"] - 2):start]
    parts = ph["_break"].split(window)
    return bool(ph["_neg"].search(parts[-1])) if parts[-1] else False


def match_rule(rule: dict, text: str, rules: Rules, norm: str | None = None) -> str | None:
    """The matched (normalised) phrase if ``rule`` fires on ``text``, else None."""
    norm = normalize(text) if norm is None else norm
    for m in rule["_re"].finditer(norm):
        if rule["_allow"] is not None and rule["_allow"].search(m.group(0)):
            continue
        if rule.get("negatable", True) and _negated(norm, m.start(), rules):
            continue
        return m.group(0)
    return None


def _applies(rule_or_item: dict, facts: Facts) -> bool:
    roles, cats = rule_or_item.get("roles"), rule_or_item.get("categories")
    return (not roles or facts.role in roles) and (not cats or facts.category in cats)


def _is_counterparty(msg) -> bool:
    return getattr(msg, "role", "them") not in ("me", "system")


def _chat_evidence(msg, matched: str) -> dict:
    when = getattr(msg, "time", None)
    text = str(getattr(msg, "text", ""))
    ev = {"kind": "chat", "line": getattr(msg, "line_start", None),
          "time": when.isoformat() if hasattr(when, "isoformat") else when,
          "sender": getattr(msg, "sender", None), "text": text if len(text) <= 120 else text[:119] + "…",
          "matched": matched}
    end = getattr(msg, "line_end", None)
    if end is not None and ev["line"] is not None:
        ev["lines"] = [ev["line"], end]
    return ev


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:119] + "…"


def event_hits(messages: list, rules: Rules, facts: Facts) -> dict[str, dict]:
    """{rule id: {"evidence": […], "count": n}} from the conversation reader's events (the same events
    ``tradeshield events`` lists): a rule with ``events = [kinds]`` fires on the counterparty's events of those
    kinds (``event_if`` / ``event_unless``: regexes on the event's clause), the clause quoted as the reason."""
    ev_rules = [r for r in rules.rules if r.get("events") and _applies(r, facts)]
    if not ev_rules or not messages:
        return {}
    from tradeshield.chat.events import find_events

    hits: dict[str, dict] = {}
    for ev in find_events(messages, role=facts.role):
        if ev.get("by") != "them":
            continue
        clause = ev.get("clause") or ""
        for r in ev_rules:
            if ev["kind"] not in r["events"]:
                continue
            if r.get("event_if") and not re.search(r["event_if"], clause, re.I):
                continue
            if r.get("event_unless") and re.search(r["event_unless"], clause, re.I):
                continue
            hit = hits.setdefault(r["id"], {"evidence": [], "count": 0, "lines": set()})
            lines = (ev.get("ref") or {}).get("lines") or [None, None]
            hit["count"] += 1
            hit["lines"].add(lines[0])
            if len(hit["evidence"]) < MAX_EVIDENCE:
                hit["evidence"].append({"kind": "chat", "line": lines[0], "lines": list(lines), "time": ev.get("time"),
                                        "sender": ev.get("sender"), "text": _short(ev.get("text") or clause), "clause": clause,
                                        "matched": ev.get("matched"), "event": ev["kind"], "event_id": ev["id"]})
    return hits


def scan_messages(messages: Iterable, rules: Rules, facts: Facts, progress=None) -> tuple[dict, int]:
    """({rule id: {"evidence": […], "count": n}}, counterparty messages read) for the phrase rules, merged with
    the conversation reader's events (``event_hits``; a message both found is counted once, quoted by clause)."""
    phrase_rules = [r for r in rules.rules if r["detector"] == "phrase" and _applies(r, facts)]
    messages = list(messages)
    hits: dict[str, dict] = event_hits(messages, rules, facts)
    read = 0
    total = len(messages)
    for i, msg in enumerate(messages, start=1):
        if progress and i % 20000 == 0:
            progress("check", i, total)
        if not _is_counterparty(msg) or not getattr(msg, "text", None):
            continue
        read += 1
        norm = normalize(msg.text)
        for rule in phrase_rules:
            matched = match_rule(rule, msg.text, rules, norm)
            if matched is None:
                continue
            hit = hits.setdefault(rule["id"], {"evidence": [], "count": 0, "lines": set()})
            if getattr(msg, "line_start", None) in hit["lines"] and getattr(msg, "line_start", None) is not None:
                continue       # the reader's event already quotes this message
            hit["count"] += 1
            if len(hit["evidence"]) < MAX_EVIDENCE:
                hit["evidence"].append(_chat_evidence(msg, matched))
    for hit in hits.values():
        hit.pop("lines", None)
    return hits, read


# ---------------------------------------------------------------- fact detectors
# Each returns (params for the reason text, evidence list) when the rule fires, else None.

def _fact(name: str, value) -> dict:
    return {"kind": "fact", "name": name, "value": value}


def _dealer(rule, facts, rules, ctx):
    if facts.trades is None or facts.same_category_share is None:
        return None
    if facts.trades >= rule["min_trades"] and facts.same_category_share >= rule["min_share"]:
        share_pct = round(facts.same_category_share * 100)
        return ({"share_pct": share_pct}, [_fact("trades", facts.trades),
                                          _fact("same_category_share", facts.same_category_share)])
    return None


def _new_account(rule, facts, rules, ctx):
    if facts.account_age_days is not None and facts.account_age_days < rule["max_days"]:
        return {"max_days": rule["max_days"]}, [_fact("account_age_days", facts.account_age_days)]
    return None


def _credit(rule, facts, rules, ctx):
    if facts.credit is not None and rules.credit_tier(facts.credit) in rule["tiers"]:
        return {}, [_fact("credit", facts.credit)]
    return None


def _price_gap(rule, facts, sign: int):
    """The largest relative gap of the price below (sign 1) or above (sign -1) the listed/market price."""
    if facts.price is None:
        return None
    best = None
    for name in ("listed", "market"):
        ref = getattr(facts, name)
        if ref is None:
            continue
        gap = sign * (ref - facts.price) / ref
        if gap >= rule["ratio"] - 1e-9 and (best is None or gap > best[1]):
            best = (name, gap, ref)
    if best is None:
        return None
    name, gap, ref = best
    params = {"pct": round(gap * 100), "ref": _num(ref), "price": _num(facts.price),
              "ref_name": {lang: i18n.t("check.ref." + name, lang) for lang in i18n.LANGS}}
    return params, [_fact("price", facts.price), _fact(name, ref)]


def _num(x: float):
    return int(x) if float(x).is_integer() else x


def _watchlist(rule, facts, rules, ctx):
    hits = ctx.get("watch_hits") or []
    if not hits:
        return None
    first = hits[0]
    return ({"reason": first.get("reason") or "-", "date": first.get("date") or "-"},
            [{"kind": "watchlist", **h} for h in hits])


DETECTORS = {
    "dealer": _dealer,
    "new-account": _new_account,
    "credit": _credit,
    "price-below": lambda rule, facts, rules, ctx: _price_gap(rule, facts, 1),
    "price-above": lambda rule, facts, rules, ctx: _price_gap(rule, facts, -1),
    "watchlist": _watchlist,
}


# ---------------------------------------------------------------- evaluation

def _phrase(rule, facts, ctx):
    hit = ctx["chat_hits"].get(rule["id"])
    evidence = list(hit["evidence"]) if hit else []
    if rule.get("fact") in facts.asks:
        evidence.insert(0, {"kind": "stated", "name": "ask", "value": rule["fact"]})
    if not evidence:
        return None
    return {"matches": hit["count"] if hit else 0}, evidence


def _reason(rule: dict, params: dict, evidence: list, facts: Facts) -> dict:
    values = {**facts.to_dict(), **params}
    out = {"id": rule["id"], "weight": rule["weight"], "evidence": evidence}
    for lang in i18n.LANGS:
        local = {k: (v[lang] if isinstance(v, dict) and lang in v else v) for k, v in values.items()}
        out[lang] = _format(rule[lang], local)
    out["advice"] = {lang: rule.get(f"advice_{lang}", "") for lang in i18n.LANGS}
    if "matches" in params:
        out["matches"] = params["matches"]
    return out


def _format(template: str, values: dict) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def level_for(score: int, rules: Rules) -> str:
    lv = rules.data["levels"]
    return "high" if score >= lv["high"] else "elevated" if score >= lv["elevated"] else "low"


def checklist(facts: Facts, level: str, fired: set[str], rules: Rules) -> list[dict]:
    items = []
    for item in rules.data["checklist"]:
        if not _applies(item, facts):
            continue
        if item.get("when") and not fired.intersection(item["when"]):
            continue
        if item.get("min_level") and LEVELS.index(level) < LEVELS.index(item["min_level"]):
            continue
        items.append({"id": item["id"], "zh": item["zh"], "en": item["en"], "command": item.get("command")})
    return items


def evaluate(facts: Facts, messages: Iterable = (), *, rules: Rules | None = None,
             watch_hits: list[dict] | None = None, progress=None) -> dict:
    """The check's result: level, score, reasons (with evidence) and the checklist."""
    rules = rules or load_rules()
    validate(facts, rules)
    chat_hits, read = scan_messages(messages, rules, facts, progress)
    ctx = {"chat_hits": chat_hits, "watch_hits": watch_hits}
    reasons = []
    for rule in rules.rules:
        if not _applies(rule, facts):
            continue
        if rule["detector"] == "phrase":
            fired = _phrase(rule, facts, ctx)
        else:
            fired = DETECTORS[rule["detector"]](rule, facts, rules, ctx)
        if fired is not None:
            reasons.append(_reason(rule, fired[0], fired[1], facts))
    score = min(100, sum(r["weight"] for r in reasons))
    level = level_for(score, rules)
    return {
        "level": level, "score": score, "thresholds": dict(rules.data["levels"]),
        "role": facts.role, "category": facts.category, "facts": facts.to_dict(),
        "reasons": reasons, "messages_read": read,
        "checklist": checklist(facts, level, {r["id"] for r in reasons}, rules),
    }


# ---------------------------------------------------------------- inputs: profile and chat

PROFILE_KEYS = ("role", "category", "platform", "price", "listed", "market", "credit", "trades",
                "same_category_share", "account_age_days", "counterparty", "asks", "chat", "chat_format",
                "me", "messages")


def load_profile(path: str | os.PathLike, *, extra_keys: tuple[str, ...] = ()) -> dict:
    """A counterparty profile (TOML) as a dict; ``chat`` is resolved beside the file, ``messages`` become Msg."""
    from tradeshield.evidence.fsutil import check_input

    p = check_input(path)
    try:
        data = loads_toml(p.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError("check.profile_bad", path=str(path), reason=str(e).splitlines()[0]) from None
    for key in data:
        if key not in PROFILE_KEYS and key not in extra_keys:
            raise InputError("check.profile_key", name=key, choices=", ".join(PROFILE_KEYS))
    if "chat" in data:
        data["chat"] = str((p.parent / str(data["chat"])).resolve())
    if "messages" in data:
        data["messages"] = messages_from_list(data["messages"])
    if isinstance(data.get("asks"), str):
        data["asks"] = [data["asks"]]
    return data


def messages_from_list(items) -> list[Msg]:
    """Inline chat (a list of {role, text, time?, sender?}) as messages numbered from 1."""
    out = []
    for n, item in enumerate(items if isinstance(items, list) else [None], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) \
                or item.get("role", "them") not in ("me", "them", "system"):
            raise InputError("check.profile_messages", n=n)
        out.append(Msg(text=item["text"], role=item.get("role", "them"), time=item.get("time"),
                       line_start=n, line_end=n, sender=item.get("sender")))
    return out


def read_chat_messages(path: str | os.PathLike, fmt: str = "auto", me: str | None = None, tz=None) -> list:
    """Messages of a chat export, read with the chat parser (any format it supports)."""
    try:
        from tradeshield.chat import read_chat
    except ImportError:
        raise InputError("check.no_chat_parser", path=str(path)) from None
    return list(read_chat(path, fmt=fmt, me=me, tz=tz).messages)


def facts_from(values: dict) -> Facts:
    """Facts from a merged dict of profile and command-line values (unknown keys ignored)."""
    if not values.get("role"):
        raise UsageError("check.no_role")
    keys = Facts.__dataclass_fields__
    data = {k: v for k, v in values.items() if k in keys and v is not None}
    data["asks"] = sorted(set(data.get("asks") or []))
    data.setdefault("category", "other")
    return Facts(**data)


def normalize_input(values: dict, rules: Rules) -> tuple[dict, list[dict]]:
    """Role, platform and category as people type them (卖家, 闲鱼, 手机 / book); an unknown category is
    checked as "other", with a note saying so (never an error)."""
    from tradeshield.labels import normalize

    values, notes = dict(values), []
    for key in ("role", "platform"):
        if values.get(key) is not None:
            values[key] = normalize(key, values[key]) or values[key]
    cat = values.get("category")
    if cat is not None:
        code = normalize("category", cat)
        if code is None or code not in rules.categories:
            notes.append({"code": "category-other", "zh": i18n.t("check.category_other", "zh", category=cat),
                          "en": i18n.t("check.category_other", "en", category=cat)})
            code = "other"
        values["category"] = code
    return values, notes


def run_check(values: dict, *, case=None, rules_path=None, use_watchlist: bool = True, progress=None) -> dict:
    """The whole ``tradeshield check``: merge case defaults, read the chat, consult the watchlist, store.

    ``values`` holds facts (profile merged with command-line values) plus optional ``chat``,
    ``chat_format``, ``me`` and ``messages``. Inside a case the result goes to facts/check.json.
    """
    from tradeshield.evidence.fsutil import check_input, hash_file

    values = dict(values)
    if case is not None:
        info = case.info
        for key in ("role", "platform", "price", "counterparty"):
            if values.get(key) is None and info.get(key) is not None:
                values[key] = info[key]
    rules = load_rules(rules_path)
    notes = []
    values, notes = normalize_input(values, rules)
    facts = validate(facts_from(values), rules)
    messages, chat_info, sources = values.get("messages") or [], None, []
    if values.get("chat"):
        path = check_input(values["chat"])
        messages = read_chat_messages(path, values.get("chat_format") or "auto", values.get("me"),
                                      case.tz if case is not None else None)
        sha = hash_file(path)[0]
        chat_info, sources = {"path": str(path), "sha256": sha, "messages": len(messages)}, [sha]
    hits = []
    if use_watchlist and facts.counterparty:
        from tradeshield.watchlist import Watchlist

        hits = [e.to_dict() for e in Watchlist().lookup(facts.counterparty, facts.platform)]
    result = evaluate(facts, messages, rules=rules, watch_hits=hits, progress=progress)
    if chat_info:
        result["chat"] = chat_info
        for reason in result["reasons"]:
            for ev in reason["evidence"]:
                if ev["kind"] == "chat":
                    ev["source"] = chat_info["sha256"]
    if notes:
        result["notes"] = notes
    if case is not None:
        result["checked_at"] = _now_iso()
        case.write_facts("check", result, sources=sources)
        result["stored"] = str(case.facts_dir / "check.json")
    return result


def _now_iso() -> str:
    import datetime as dt

    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
