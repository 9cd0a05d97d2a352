"""Read a conversation: who said what, clause by clause, relative to the user's side of the trade.

    >>> from tradeshield.conversation.reader import read_conversation
    >>> msgs = [{"role": "them", "text": "能便宜50吗"}, {"role": "me", "text": "不行，价格之前已经谈好了"}]
    >>> [(e["kind"], e["by"], e["side"]) for e in read_conversation(msgs, role="seller")]
    [('discount-request', 'them', 'buyer'), ('discount-refused', 'me', 'seller')]

The kinds are data: the ``[[kind]]`` tables of ``data/chat_rules.toml`` (see the comments there). For each
message the reader cuts clauses (``clauses.split_clauses``) and tries each kind on each clause:

1. a pattern (``zh``, or ``en`` on the lower-cased clause) must match; ``unless`` patterns cancel;
2. a negator before the trigger in the clause's scope cancels it (``negatable``, default true), and so does
   「V不了」 right after it;
3. a question or a conditional cancels an ``assertion`` kind (a claim, an acceptance), not a request;
4. reported speech ("你说…", "客服建议…", quotes) cancels it unless ``reported = true``;
5. the speaker's side must be allowed (``by``: buyer / seller / any, relative to the case's role; ``from``:
   me / them); a kind that needs ``after`` needs one of those kinds earlier from the other side;
   ``context = "trade"`` needs a trade word in the message or the three before it;
6. ``reply`` tables: a bare first clause (「不行」「可以」「ok」, or one after a filler 「好的，没问题」) answering the
   other side's last message that carried one of ``to`` (or one of ``alone`` when the reply is the whole message),
   or that asked a question putting something up for acceptance (``question``), or ended in a suggestion 「…吧」
   (``suggestion``);
7. ``follow`` patterns: weaker words that count only when the same speaker made the kind in one of their last
   three messages (「开通一下」 after a fake customer-service lure); ``not_after``: a bare clause (「收到了」) that
   is not the kind when the other side's last message matched ``previous`` (「已经退你35了」).

A message yields each kind at most once (its first clause that holds it). ``replaces`` drops a weaker kind
found in the same message (price-agreed replaces agreement). Money terms (``money.money_terms``) are read
from every clause and attached to the events of that message.
"""
from __future__ import annotations

import functools
import gc
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from tradeshield import i18n
from tradeshield.chat.events import BUILTIN, rules_path  # noqa: F401  (one place says where the rules are)
from tradeshield.conversation.clauses import (_PUNCT_PIECE, _SCOPE as _SCOPE_IN, Clause, negated_after, negated_before,
                                              piece_clause, plain_cut, raw_pieces)
from tradeshield.conversation.money import _MAYBE as _MAYBE_MONEY, _terms as _money_terms, money_terms  # noqa: F401
from tradeshield.errors import InputError

SIDES = ("buyer", "seller")
# the amount an event names: its own role first (the discount asked, the refund asked, the agreed price …)
_AMOUNT_ROLE = {"discount-request": "discount", "refund-request": "refund", "refund-refused": "refund",
                "deposit-terms": "deposit", "price-agreed": "agreed", "discount-refused": "asking"}
_SPACED = re.compile(r"(?:[\u4e00-\u9fff] ){3,}[\u4e00-\u9fff]")
_SPACED_PRE = re.compile(r" [\u4e00-\u9fff] [\u4e00-\u9fff] ")     # held by every _SPACED match, found faster
_SPACED_CHAR = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff](?: |$|[^\u4e00-\u9fff]))")
_CACHE_SIZE = 50_000
_ENDS_QUESTION = re.compile(r"[吗？?](?:\s*[，,。.!！~～]|\s*$)")    # a clause of theirs that asks (「你要吗，打九折」)
_ENDS_SUGGESTION = re.compile(r"[吧呗](?:\s*[，,。.!！~～]|\s*$)")    # a clause of theirs that suggests (「那你寄吧，我付运费」)
_OFFER_A_NOT_A = re.compile(r"要不要|需不需要|能不能|可不可以|行不行|好不好|愿不愿意?")   # 「要不要我顺便寄个壳，加10块」
_ACCEPTANCE = re.compile(r"^(?:那|那就)?(?:行|好|可以|算了|就这样|也行)[吧呗]")    # 「行吧」 ends in 吧 but offers nothing
# a filler before the acceptance itself: 「好的，没问题」「嗯嗯，可以」
_FILLER = re.compile(r"^(?:好的|好|嗯+|哦|噢|ok|okay)$", re.I)
_RECENT = 3     # messages of one speaker that ``follow`` patterns look back over
_ACCEPTS = frozenset({"agreement", "price-agreed"})    # what answers a request (a refusal leaves it open)
# a question that puts something up for acceptance (「可以吗」「1100行不行」「can you…」), not any question
_PROPOSAL = re.compile(r"可以|行|能|好|同意|成交|怎么样|要不|要吗|吧|愿意|合适|\b(?:ok|okay|can|could|would|how about|deal)\b", re.I)
_DEPOSIT_WORD = re.compile(r"定金|订金|押金|保证金|deposit", re.I)
_DIGIT = re.compile(r"\d|[一二两三四五六七八九十百]")

i18n.register({
    "conv.bad_rules": ("事件规则文件有误：{path}（{reason}）", "event rules file is invalid: {path} ({reason})"),
})


@dataclass
class KindRule:
    kind: str
    by: str = "any"                  # buyer / seller / any
    speaker: str = "any"             # me / them / any
    assertion: bool = False
    negatable: bool = True
    reported: bool = False
    context: str = ""
    after: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    zh: list = field(default_factory=list)
    en: list = field(default_factory=list)
    unless: re.Pattern | None = None
    unless_message: re.Pattern | None = None   # a match anywhere in the message cancels the kind
    message: re.Pattern | None = None   # whole-message patterns (「行，280」 spans two clauses); the hit goes to
                                        # the clause where the match ends
    reply_to: tuple[str, ...] = ()
    reply_question: bool = False
    reply: re.Pattern | None = None
    reply_alone: tuple[str, ...] = ()     # kinds answered only by a message that is nothing but the bare reply
    reply_strong: tuple[str, ...] = ()    # kinds answered by a strong reply (「可以，明天发」), not by 「好的」
    reply_priced: re.Pattern | None = None  # their last message quoted terms (「10块一张，今天给你」) → a bare 「可以」
    reply_weak: re.Pattern | None = None  # 「好的」: answers ``to`` kinds only (an acknowledgement otherwise)
    reply_answer: re.Pattern | None = None  # searched in any clause; like ``reply_weak`` it answers ``to`` kinds only
    reply_suggestion: bool | re.Pattern = False   # 「运费各一半吧」 → 「行」 (a regex: the suggestion must hold it)
    follow: re.Pattern | None = None      # counts only after the same speaker made this kind recently
    not_after_clause: re.Pattern | None = None    # a bare clause that is not this kind …
    not_after_previous: re.Pattern | None = None  # … when the other side's last message matched this
    summary: dict = field(default_factory=dict)
    any: re.Pattern | None = None    # all of zh + en in one regex: the cheap test on the whole message
    plan: list = field(default_factory=list)   # (pattern, its literal anchors or None, matched lower-cased)
    plan_scan: re.Pattern | None = None          # this kind's anchors as one literal regex
    plan_of: dict = field(default_factory=dict)  # anchor → indices in ``plan`` it (or a prefix of it) stands for
    plan_always: tuple = ()                      # indices in ``plan`` without an anchor


@dataclass
class Rules:
    kinds: list[KindRule]
    trade: re.Pattern
    prefilter: re.Pattern
    order: dict
    scan: re.Pattern | None = None          # the anchors as one literal regex (searched from each hit + 1)
    anchor_kinds: dict = field(default_factory=dict)   # anchor → rule indices it (or a prefix of it) stands for
    always: frozenset = frozenset()         # rules with a pattern that has no anchor
    clause_cache: dict = field(default_factory=dict)   # a clause as written → ``_clause_hits``
    piece_cache: dict = field(default_factory=dict)    # a piece of a message as cut → ``_piece_info``
    whole: tuple = ()                       # rules with whole-message patterns
    replies: tuple = ()                     # rules with a reply table
    follows: tuple = ()                     # rules with follow patterns



def _rx(pats, flags=0) -> re.Pattern | None:
    pats = [p for p in pats or [] if p]
    return re.compile("|".join(f"(?:{p})" for p in pats), flags) if pats else None


@functools.lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> Rules:
    from tradeshield.tomlcompat import loads

    p = Path(path) if path else rules_path()
    try:
        data = loads(p.read_text(encoding="utf-8"))
        kinds = []
        for r in data.get("kind", []):
            reply = r.get("reply") or {}
            k = KindRule(
                kind=str(r["kind"]), by=str(r.get("by", "any")), speaker=str(r.get("from", "any")),
                assertion=bool(r.get("assertion", False)), negatable=bool(r.get("negatable", True)),
                reported=bool(r.get("reported", False)), context=str(r.get("context", "")),
                after=tuple(r.get("after") or ()), replaces=tuple(r.get("replaces") or ()),
                zh=[re.compile(x, re.I) for x in r.get("zh", [])], en=[re.compile(x, re.I) for x in r.get("en", [])],
                unless=_rx(r.get("unless"), re.I), unless_message=_rx(r.get("unless_message"), re.I),
                message=_rx(r.get("message"), re.I), reply_to=tuple(reply.get("to") or ()),
                reply_question=bool(reply.get("question", False)),
                reply=_rx([f"^(?:{x})$" for x in reply.get("zh", []) + reply.get("en", [])], re.I),
                reply_alone=tuple(reply.get("alone") or ()), reply_suggestion=(_rx(reply["suggestion"], re.I) if isinstance(reply.get("suggestion"), list)
                                  else bool(reply.get("suggestion", False))),
                reply_strong=tuple(reply.get("strong") or ()),
                reply_priced=_rx(reply.get("priced"), re.I),
                reply_weak=_rx([f"^(?:{x})$" for x in reply.get("weak", [])], re.I),
                reply_answer=_rx(reply.get("answer", []), re.I),
                follow=_rx((r.get("follow") or {}).get("zh", []) + (r.get("follow") or {}).get("en", []), re.I),
                not_after_clause=_rx([f"^(?:{x})$" for x in (r.get("not_after") or {}).get("clause", [])], re.I),
                not_after_previous=_rx((r.get("not_after") or {}).get("previous", []), re.I),
                summary={"zh": r.get("zh_name", ""), "en": r.get("en_name", "")})
            k.any = _anchor_re([x.pattern for x in k.zh + k.en] + list(r.get("message") or []))
            k.plan = _plan(k)
            _index_plan(k)
            if k.by not in ("buyer", "seller", "any") or k.speaker not in ("me", "them", "any"):
                raise ValueError(f"kind {k.kind}: by/from")
            kinds.append(k)
        trade = _rx((data.get("trade") or {}).get("words", []), re.I) or re.compile("(?!)")
        pre = _anchor_re([x.pattern for k in kinds for x in k.zh + k.en] +
                         [x for r in data.get("kind", []) for x in r.get("message") or []] +
                         [x for r in data.get("kind", []) for x in (r.get("reply") or {}).get("zh", []) + (r.get("reply") or {}).get("en", []) +
                          (r.get("reply") or {}).get("weak", []) + (r.get("reply") or {}).get("answer", [])] +
                         [x for r in data.get("kind", []) for x in (r.get("follow") or {}).get("zh", []) + (r.get("follow") or {}).get("en", [])])
    except (OSError, ValueError, KeyError, TypeError, re.error) as e:
        raise InputError("conv.bad_rules", path=str(p), reason=str(e)) from None
    R = Rules(kinds, trade, pre or re.compile("(?!)"), {k.kind: i for i, k in enumerate(kinds)})
    _index_anchors(R, data.get("kind", []))
    R.whole = tuple(i for i, k in enumerate(kinds) if k.message is not None)
    R.replies = tuple(i for i, k in enumerate(kinds) if k.reply is not None)
    R.follows = tuple(i for i, k in enumerate(kinds) if k.follow is not None)
    return R


def _index_anchors(R: Rules, tables) -> None:
    """One overlapping scan finds, per message, the rules worth trying (instead of one search per rule)."""
    from tradeshield.conversation.anchors import anchors, literal_re

    per: dict[str, set] = {}
    always = set()
    for i, (k, t) in enumerate(zip(R.kinds, tables)):
        reply = (t.get("reply") or {})
        follow = (t.get("follow") or {})
        for p in [x.pattern for x in k.zh + k.en] + reply.get("zh", []) + reply.get("en", []) + reply.get("weak", []) + \
                reply.get("answer", []) + list(t.get("message") or []) + follow.get("zh", []) + follow.get("en", []):
            a = anchors(p)
            if a is None:
                always.add(i)
                continue
            for w in a:
                per.setdefault(w, set()).add(i)
    closed = {w: frozenset(set().union(*(per[v] for v in per if w.startswith(v)))) for w in per}
    R.anchor_kinds, R.always = closed, frozenset(always)
    R.scan = literal_re(per) if per else None


class _Always:
    """Stands in for an anchor regex when some pattern has no literal anchor."""
    @staticmethod
    def search(_text):
        return True


def _anchor_re(patterns):
    """A literal pre-filter for ``patterns`` (lower-cased text), or ``_Always`` when one has no anchor."""
    from tradeshield.conversation.anchors import anchors, literal_re

    words = set()
    for p in patterns:
        a = anchors(p)
        if a is None:
            return _Always
        words |= a
    return literal_re(words)


def kind_names(path: str | None = None) -> list[str]:
    return [k.kind for k in load_rules(path).kinds]


def side_of(msg_role: str, case_role: str | None) -> str | None:
    """buyer / seller for a message's role (me / them) given the case's role; None when unknown."""
    if case_role not in SIDES or msg_role not in ("me", "them"):
        return None
    if msg_role == "me":
        return case_role
    return "seller" if case_role == "buyer" else "buyer"


def _get(m, key):
    return m.get(key) if isinstance(m, dict) else getattr(m, key, None)


def _plan(k: KindRule) -> list:
    from tradeshield.conversation.anchors import anchors

    out = []
    for en, pats in ((False, k.zh), (True, k.en)):
        for rx in pats:
            a = anchors(rx.pattern)
            out.append((rx, tuple(sorted(a, key=len, reverse=True)) if a else None, en))
    return out


def _index_plan(k: KindRule) -> None:
    from tradeshield.conversation.anchors import literal_re

    per: dict[str, set] = {}
    for j, (_rx, anc, _en) in enumerate(k.plan):
        for a in anc or ():
            per.setdefault(a, set()).add(j)
    k.plan_of = {w: frozenset(set().union(*(per[v] for v in per if w.startswith(v)))) for w in per}
    k.plan_always = tuple(j for j, (_rx, anc, _en) in enumerate(k.plan) if anc is None)
    k.plan_scan = literal_re(per) if per else None


def _find(rule: KindRule, clause: Clause):
    """(matched text, start) of the first trigger of ``rule`` that holds in ``clause``, or None."""
    text = clause.text
    low = text.lower()
    todo = set(rule.plan_always)
    if rule.plan_scan is not None:     # the patterns whose anchors the clause holds (overlapping search)
        search, pos = rule.plan_scan.search, 0
        while (mm := search(low, pos)) is not None:
            todo |= rule.plan_of[mm.group()]
            pos = mm.start() + 1
    for j in sorted(todo):
        rx, _anc, en = rule.plan[j]
        hay = low if en else text
        if True:
            for m in rx.finditer(hay):
                if m.end() == m.start():
                    continue
                if rule.negatable and ((negated_before(hay, m.start()) and not _SCOPE_IN.search(hay, m.start(), m.end()))
                                       or negated_after(hay, m.end())):
                    continue
                if not rule.reported and clause.reported_at(m.start()):
                    continue
                return text[m.start():m.end()], m.start()
    return None


def event_id(source, lines, kind: str, clause_index: int) -> str:
    key = f"{source or ''}:{lines[0] if lines else ''}-{lines[-1] if lines else ''}:{kind}:{clause_index}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def read_conversation(messages, *, role: str | None = None, me: str | None = None, rules: str | None = None,
                      with_money: bool = True, progress=None, state: dict | None = None) -> list[dict]:
    """Events (dicts, see docs/ARCHITECTURE.md "chat") for messages in time order.

    ``progress(label, done, total)`` is called every 20,000 messages."""
    total = len(messages) if hasattr(messages, "__len__") else None
    out = []
    # The reader allocates several small containers per message and keeps its caches alive: with the cyclic
    # collector on, its full passes over everything alive cost more than the reading itself (9.0 s vs 4.0 s CPU
    # on 200,000 generated messages). Nothing here makes reference cycles, so it is paused for the loop.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        for i, (_m, evs, _money) in enumerate(read_messages(messages, role=role, me=me, rules=rules,
                                                             with_money=with_money, state=state), 1):
            out += evs
            if progress is not None and i % 20000 == 0:
                progress("events", i, total)
    finally:
        if paused:
            gc.enable()
    if progress is not None and total:
        progress("events", total, total)
    return out


def read_messages(messages, *, role: str | None = None, me: str | None = None, rules: str | None = None,
                  with_money: bool = True, state: dict | None = None):
    """Per message, in order: (message, its events, its money terms).

    ``state``: a dict kept by the caller between calls on consecutive batches of one conversation."""
    R = load_rules(rules)
    state = {} if state is None else state
    texts: list[str] = state.setdefault("texts", [])
    earlier = state.setdefault("earlier", {"me": set(), "them": set()})    # kinds each speaker made so far
    last: dict = state.setdefault("last", {})  # speaker → (kinds, text) of their last message
    cache: dict = state.setdefault("cache", {})  # text → what it says on its own (``_analyse``)
    recent: dict = state.setdefault("recent", {"me": [], "them": []})   # speaker → kinds of their last messages
    kinds_of, order, trade = R.kinds, R.order, R.trade
    sides = {"me": side_of("me", role), "them": side_of("them", role)}    # side_of is None for any other role
    sha1 = hashlib.sha1
    for m in messages:
        if type(m) is dict:
            mget = m.get
        else:
            mget = functools.partial(_get, m)
        text = mget("text") or ""
        mrole = mget("role") or ("me" if me and mget("sender") == me else "them")
        if mrole == "system" or not text.strip():
            yield m, [], []
            continue
        info = cache.get(text)
        if info is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            info = cache[text] = _analyse(R, text, with_money)
        original = text
        text, cl, first_clause, cand, hits, reply_ok, blocked, follow_hits, alone = info
        side = sides.get(mrole)
        other = "them" if mrole == "me" else "me"
        found: list[tuple[KindRule, Clause, str]] = []
        if follow_hits:
            mine = set().union(*recent[mrole]) if recent[mrole] else set()
            extra = [i for i in follow_hits if i not in hits and kinds_of[i].kind in mine]
            if extra:
                cand = tuple(sorted(set(cand) | set(extra)))
        else:
            extra = ()
        if cand:
            last_other, last_other_text = last.get(other, (None, ""))
            # a request of the other side's last two messages is still open when this speaker has not answered
            # it since (「能退吗」「你确定吗？」「确定」「可以」)
            open_other = set(last_other or ())
            if len(recent[other]) > 1 and not last_other and not (recent[mrole] and recent[mrole][-1] & _ACCEPTS):
                open_other |= recent[other][-2]
            for i in cand:
                rule = kinds_of[i]
                if rule.speaker != "any" and rule.speaker != mrole:
                    continue
                if rule.by != "any" and side is not None and rule.by != side:
                    continue
                if rule.after and not (earlier[other] & set(rule.after)):
                    continue
                hit = hits.get(i)
                if hit is None and i in extra:
                    hit = follow_hits[i]
                if hit is None and i in reply_ok:
                    strong, first_clause = reply_ok[i]
                    answered = last_other is not None and (
                        open_other & set(rule.reply_to) or strong and (
                            (alone and strong is True and last_other & set(rule.reply_alone)) or (last_other & set(rule.reply_strong)) or (
                                alone and strong is True and rule.reply_priced is not None
                                and rule.reply_priced.search(last_other_text)) or (
                                rule.reply_question and (_ENDS_QUESTION.search(last_other_text)
                                                         or _OFFER_A_NOT_A.search(last_other_text))
                                and _PROPOSAL.search(last_other_text)) or (
                                rule.reply_suggestion and _ENDS_SUGGESTION.search(last_other_text)
                                and not _ACCEPTANCE.match(last_other_text) and (
                                    rule.reply_suggestion is True or rule.reply_suggestion.search(last_other_text)))))
                    if answered:
                        hit = (rule, first_clause, first_clause.text)
                if hit is None or i in blocked:
                    continue
                if rule.not_after_previous is not None and rule.not_after_previous.search(last_other_text) \
                        and rule.not_after_clause.search(hit[1].text):
                    continue
                if rule.context == "trade" and trade.search(" ".join(texts[-3:] + [text])) is None:
                    continue
                found.append(hit)
        if found:
            kinds = {h[0].kind for h in found}
            drop = {k for r, _c, _t in found for k in r.replaces if r.kind in kinds}
            if drop:
                found = [h for h in found if h[0].kind not in drop]
                kinds -= drop
        else:
            kinds = set()
        money = []
        if with_money and cl and (_DIGIT.search(text) or _DEPOSIT_WORD.search(text) or "deposit-terms" in kinds):
            at: dict = {}
            for r, cc, _t in found:
                at.setdefault(cc.index, []).append(r.kind)
            for j, pinfo in enumerate(cl):
                if pinfo[5]:     # money.money_terms without its own pre-check
                    # a bare amount beside a refund request (「退我一个杯子的钱吧，35」) is the refund asked
                    ck = at.get(j) or (("refund-request",) if "refund-request" in kinds else None)
                    money += [dict(x) for x in _money_terms(pinfo[0], side, mrole, tuple(ck) if ck else ())]
            money = _merge_deposit(money, "deposit-terms" in kinds)
        evs = []
        if found:
            t = mget("time")
            t = t.isoformat() if hasattr(t, "isoformat") else t
            lines = mget("lines") or [mget("line_start"), mget("line_end")]
            src = mget("source")
            sender = mget("sender")
            ref_lines = (lines[0], lines[1])
            id_key = f"{src or ''}:{lines[0] if lines else ''}-{lines[-1] if lines else ''}:"    # as event_id
            with_amount = [x for x in money if x.get("amount") is not None]
            if len(found) > 1:
                found.sort(key=lambda h: (h[1].index, order[h[0].kind]))
            for rule, c, matched in found:
                kind = rule.kind
                ev = {"kind": kind, "time": t, "sender": sender, "role": mrole, "text": original, "matched": matched,
                      "ref": {"source": src, "lines": list(ref_lines)},
                      "id": sha1(f"{id_key}{kind}:{c.index}".encode("utf-8")).hexdigest()[:12], "by": mrole, "side": side,
                      "clause": c.text, "clause_index": c.index, "status": "suggested"}
                mine = list(money) if kind == "deposit-terms" else list(with_amount)
                if mine:
                    ev["money"] = mine
                    want = _AMOUNT_ROLE.get(kind)
                    first = next((x["amount"] for x in mine if x.get("amount") is not None and x["role"] == want),
                                 next((x["amount"] for x in mine if x.get("amount") is not None), None))
                    if first is not None:
                        ev["amount"] = str(first)
                evs.append(ev)
        earlier[mrole] |= kinds
        last[mrole] = (kinds, text)
        mine_recent = recent[mrole]
        mine_recent.append(kinds)
        if len(mine_recent) > _RECENT:
            del mine_recent[0]
        texts.append(text)
        if len(texts) > 8:
            del texts[:4]
        yield m, evs, money


def _kinds_in(R: Rules, low: str) -> set:
    """Indices of the kinds one of whose anchors ``low`` holds (overlapping: searched again after each hit)."""
    cand = set(R.always)
    if R.scan is not None:
        search, pos = R.scan.search, 0
        while (mm := search(low, pos)) is not None:
            cand |= R.anchor_kinds[mm.group()]
            pos = mm.start() + 1
    return cand


def _clause_hits(R: Rules, c: Clause) -> tuple:
    """(kinds whose anchors the clause holds, {kind index: matched text} for those whose patterns hold in it)."""
    key = c._raw
    got = R.clause_cache.get(key)
    if got is not None:
        return got
    ks = _kinds_in(R, c.text.lower())
    h = {}
    for i in ks:
        rule = R.kinds[i]
        if rule.assertion and (c.question or c.conditional):
            continue
        if rule.unless is not None and rule.unless.search(c.text):
            continue
        f = _find(rule, c)
        if f:
            h[i] = f[0]
    if len(R.clause_cache) >= 4 * _CACHE_SIZE:
        R.clause_cache.clear()
    got = R.clause_cache[key] = (frozenset(ks), h)
    return got


_NONE = object()
_NO_SET = frozenset()


def _piece_info(R: Rules, piece: str):
    """What one piece of a message says on its own (cached per piece, kept in ``R.piece_cache``): None for an
    empty piece, else (clause text, its offset in the piece, raw text, kinds whose anchors it holds,
    {kind index: matched}, whether it holds money terms, the clause read without a position)."""
    pc = piece_clause(piece)
    if pc is None:
        info = None
    else:
        t, lead, raw = pc
        c = Clause(t, 0, 0, raw)
        ks, h = _clause_hits(R, c)
        # money terms or none depends on the clause alone (whoever says it, whatever kinds it holds)
        money = _MAYBE_MONEY.search(t) is not None and bool(_money_terms(t, None, "them", ()))
        info = (t, lead, raw, ks, h, money, c)
    cache = R.piece_cache
    if len(cache) >= 4 * _CACHE_SIZE:
        cache.clear()
    cache[piece] = info
    return info


def _analyse(R: Rules, text: str, with_money: bool):
    """What a message says on its own, whoever sends it and whatever came before (cached per text):
    (text as read, its clauses as [(piece info, start)], the first clause (a ``Clause``) or None, candidate rule
    indices, {rule index: (rule, clause, matched)} for the rules whose patterns hold in a clause, rule indices
    whose bare reply form the first clause has, rule indices a word anywhere in the message cancels)."""
    if _SPACED_PRE.search(text) and _SPACED.search(text):       # 「直 接 转 账 给 我」: spaced out to dodge filters, read as written together
        text = _SPACED_CHAR.sub("", text)
    low = text.lower()
    some = R.prefilter.search(low) is not None      # one C-level search: can any kind be here at all?
    if not some and not (with_money and _DIGIT.search(text)):
        return text, [], None, (), {}, {}, _NO_SET, {}, False
    # each piece read on its own (cached per piece: chats repeat their clauses even more than their messages)
    pget = R.piece_cache.get
    if plain_cut(text):      # cut at CJK marks and line breaks alone: contiguous pieces
        pieces, offs = _PUNCT_PIECE.findall(text), None
    else:
        pairs = raw_pieces(text)
        pieces, offs = [p for _a, p in pairs], [a for a, _p in pairs]
    cl = [pget(p, _NONE) for p in pieces]
    if _NONE in cl:
        for k, x in enumerate(cl):
            if x is _NONE:
                cl[k] = _piece_info(R, pieces[k])
    keep = None
    if None in cl:
        keep = [k for k, x in enumerate(cl) if x is not None]
        cl = [cl[k] for k in keep]

    def start(j):
        k = keep[j] if keep is not None else j
        return (offs[k] if offs is not None else sum(map(len, pieces[:k]))) + cl[j][1]

    hits, reply_ok, blocked, follow_hits = {}, {}, set(), {}
    at = 0
    made: dict = {}

    def clause(j):
        c = made.get(j)
        if c is None:
            info = cl[j]
            c = made[j] = Clause(info[0], start(j), j, info[2])
        return c

    if some and cl:
        kinds = R.kinds
        for j, info in enumerate(cl):     # each kind's first clause that holds it
            h = info[4]
            if h:
                c = None
                for i, matched in h.items():
                    if i not in hits:
                        if c is None:
                            c = clause(j)
                        hits[i] = (kinds[i], c, matched)
        for i in R.whole:                            # whole-message patterns: 「行，280」
            rule = kinds[i]
            if i in hits or not rule.any.search(low):
                continue
            mm = rule.message.search(text)
            if mm is not None:
                end = mm.end()
                j = next((j for j in range(len(cl) - 1, -1, -1) if start(j) < end), 0)
                c0 = cl[j][6]
                if not (rule.assertion and (c0.question or c0.conditional)) and \
                        not (rule.unless is not None and rule.unless.search(c0.text)):
                    hits[i] = (rule, clause(j), mm.group())
        # a bare 「不行」「可以」 as the first clause (its anchors are there), or as the second after a filler
        # (「好的，没问题」); 「好的」 alone is a weak reply (it answers requests, not questions or suggestions)
        tries = [0, 1] if len(cl) > 1 and _FILLER.match(cl[0][0]) else [0]
        for i in R.replies:
            rule = kinds[i]
            if i in hits or (rule.unless is not None and rule.unless.search(text)):
                continue
            for j in reversed(tries):
                if i in cl[j][3] and rule.reply.search(cl[j][0].lower()):
                    reply_ok[i] = (True, clause(j))
                    at = j
                    break
            else:
                if rule.reply_weak is not None and i in cl[0][3] and rule.reply_weak.search(cl[0][0].lower()):
                    reply_ok[i] = (False, clause(0))
                elif rule.reply_answer is not None:
                    j = next((j for j, info in enumerate(cl) if i in info[3] and rule.reply_answer.search(info[0])), None)
                    if j is not None:
                        reply_ok[i] = (None, clause(j))     # strong, but never `alone`
        for i in R.follows:                          # weaker words that count after the speaker's own lure
            rule = kinds[i]
            if i in hits:
                continue
            for j, info in enumerate(cl):
                if i not in info[3]:         # none of its anchors (the follow words' among them) in this clause
                    continue
                mm = rule.follow.search(info[0])
                if mm is not None and not (rule.unless is not None and rule.unless.search(info[0])) and not (
                        rule.negatable and negated_before(info[0], mm.start())):
                    follow_hits[i] = (rule, clause(j), mm.group())
                    break
    cand = set(hits) | set(reply_ok)
    for i in cand | set(follow_hits):
        rule = R.kinds[i]
        if rule.unless_message is not None and rule.unless_message.search(text):
            blocked.add(i)
    first_clause = None     # (kept in the tuple's shape; each reply carries its own clause in ``reply_ok``)
    return text, cl, first_clause, tuple(sorted(cand)), hits, reply_ok, blocked, follow_hits, len(cl) == at + 1


def _merge_deposit(terms: list[dict], deposit_event: bool = False) -> list[dict]:
    """「押金200，归还时全额退」: a deposit's refundability stated in a clause of its own joins the amount; such a
    clause alone (no deposit named in the message) is no money term, unless the message states deposit terms
    (「开画了就不退」 answering 「定金退吗」)."""
    if not any(t["role"] == "deposit" for t in terms):
        return terms
    implied = [t for t in terms if t.pop("implied", False)]
    flags = [t for t in terms if t["role"] == "deposit" and t.get("amount") is None]
    amounts = [t for t in terms if t["role"] == "deposit" and t.get("amount") is not None]
    if (flags or implied) and amounts:
        for t in amounts:
            t.setdefault("refundable", (flags or implied)[0]["refundable"])
        return [t for t in terms if t not in flags and t not in implied]
    if deposit_event:
        return terms
    return [t for t in terms if t not in implied]


def message_money(text: str, mrole: str, role: str | None) -> list[dict]:
    """Money terms of one message on its own (kinds read from that message alone)."""
    return next(read_messages([{"role": mrole, "text": text}], role=role))[2]
