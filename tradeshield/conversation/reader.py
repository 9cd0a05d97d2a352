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
   ``context = "trade"`` needs a trade word in the message or the five before it; a ``[kind.context]`` table's
   patterns are the kind only so, or in the chat's first message (a second rule of the kind: ``_with_context_rules``);
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
from functools import reduce
from operator import or_
import hashlib
import json
import os
import re
import weakref
from json.encoder import encode_basestring as _q
from itertools import islice, repeat
from operator import itemgetter, methodcaller
from dataclasses import dataclass, field
from pathlib import Path

from tradeshield import i18n
from tradeshield.chat.events import rules_path  # one place says where the rules are
from tradeshield.conversation.clauses import (_PUNCT_PIECE, _SCOPE as _SCOPE_IN, Clause, negated_after, negated_before,
                                              piece_clause, plain_cut, raw_pieces)
from tradeshield.conversation.money import _MAYBE as _MAYBE_MONEY, _terms as _money_terms
from tradeshield.conversation.finder import (QUIET, TALK_CLAUSES, clear_talk,  # (its weights load only when a chat
                                             negated, talk_bits)                 # is read)
from tradeshield.errors import InputError

SIDES = ("buyer", "seller")
# the amount an event names: its own role first (the discount asked, the refund asked, the agreed price …)
_AMOUNT_ROLE = {"discount-request": "discount", "refund-request": "refund", "refund-refused": "refund",
                "deposit-terms": "deposit", "price-agreed": "agreed", "discount-refused": "asking"}
_SPACED = re.compile(r"(?:[\u4e00-\u9fff] ){3,}[\u4e00-\u9fff]")
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)[^\s，。！？；、）)」』”]+", re.I)
_SPACED_PRE = re.compile(r" [\u4e00-\u9fff] [\u4e00-\u9fff] ")     # held by every _SPACED match, found faster
_SPACED_CHAR = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff](?: |$|[^\u4e00-\u9fff]))")
# every cache holds at most this many entries and is emptied when full: a 200,000-message import fills them as a
# 1,000,000-message one does, so memory does not grow with the file (bench/bench_chat.py)
_CACHE_SIZE = 20_000
# the per-piece and per-clause caches hold fewer: the pieces that repeat are few (a chat's stock phrases), the rest
# are one-offs (an order number, an amount) that only filled the caches more slowly — up to ~350,000 messages on the
# bench, so a 200,000-message import peaked ~20 MB below a 1,000,000-message one
_PIECE_CACHE = 8192
_FORMATS = 4096      # event line formats / templates: one per event seen with its money terms, mostly one-offs
# a clause of theirs that asks (「你要吗，打九折」「能当面交易吗 我也在杭州」「八点行不」)
_ENDS_QUESTION = re.compile(r"(?:[吗？?]|(?<=[\u4e00-\u9fff])(?<![也都就还绝决并我你他她了的不没])不)(?:\s*[，,。.!！~～]|\s+|\s*$)")
_ENDS_SUGGESTION = re.compile(r"[吧呗](?:\s*[，,。.!！~～]|\s+|\s*$)")    # a clause of theirs that suggests (「那你寄吧，我付运费」)
_OFFER_A_NOT_A = re.compile(r"要不要|需不需要|能不能|可不可以|行不行|好不好|愿不愿意?|(?:你|您)(?:看|觉得)(?:呢|怎么样|如何)\s*[?？]?\s*$")   # … 「各退一步 你看呢」   # 「要不要我顺便寄个壳，加10块」
_ACCEPTANCE = re.compile(r"^(?:那|那就)?(?:行|好|可以|算了|就这样|也行)[吧呗]")    # 「行吧」 ends in 吧 but offers nothing
# a filler before the acceptance itself: 「好的，没问题」「嗯嗯，可以」
_FILLER = re.compile(r"^(?:好的|好|嗯+|哦|噢|ok|okay)$", re.I)
# a bare yes before the terms it accepts: 「行 1800 今晚拍明早发」「行吧 620 …」 (an echo may be its second clause)
_YES = re.compile(r"^(?:那)?(?:行|行吧|可以|成|中|好吧|好的|好|要得|ok|okay)$", re.I)
_LEAD_AMOUNT = re.compile(r"^[¥￥]?(\d{2,})(?:元|块)?(?:包邮)?(?:吧|了)?(?:\s|$)")
# characters that carry no topic: 「一张」「给你」 shared by two messages say nothing about what they are about
_FUNCTION_CHARS = frozenset("一二两三个张件台只给你您我他她的了吧呢吗再那就也都去来把被是在有要这")
_HAN_OR_DIGIT = re.compile(r"[\u4e00-\u9fff\d]{2}")     # two characters that can restate (not Latin letters)
_ECHO_TRIM = re.compile(r"^(?:那就|那|就|也|都)+|(?:也|都|就)+$")   # 「那八点也行」 restates 八点
_RECENT = 3     # messages of one speaker that ``follow`` patterns look back over
_CONTEXT_BACK = 5     # messages before this one where ``context = "trade"`` looks for a trade word
# a short question that asks again for what was put up before (「你看行吗？」「可以吗」「怎么样」): the request stays open
_REASK = re.compile(r"^(?:那|你看|您看)?[^，,。？?]{0,4}(?:行|可以|好|同意|怎么样|如何|呢)[吗不么嘛呢吧]?\s*[?？]*$")
# their last message says they went the normal way after all (「那就按平台流程，付款了」 "Fine, paid."): the request they
# made before it is closed, a 「好的」 after it acknowledges the payment
_PAID_NOW = re.compile(r"(?:付款?|拍|下单|买|转)(?:了|好了|啦)\s*[。.!！~]*$|(?<!not )(?<!n't )\b(?:paid|bought it|ordered)\b[.!\s]*$", re.I)
_ACCEPTS = frozenset({"agreement", "price-agreed"})    # what answers a request (a refusal leaves it open)
# … and what the replier's own last message may have been for their older request to stay open: not an acceptance, and
# not a request of the replier's own that the other side just refused (「能先上一节试试」→「正课都得先付」→「好吧 定金转了」
# gives in to the refusal; it does not take the deposit terms put up before)
_ACCEPTS_OR_ASKS = _ACCEPTS | frozenset({"ship-before-pay", "cardkey-before-pay", "discount-request", "refund-request", "return-request"})
# a question that puts something up for acceptance (「可以吗」「1100行不行」「can you…」), not any question
_PROPOSAL = re.compile(r"可以|行|能|好|同意|成交|怎么样|要不|要吗|吧|愿意|合适|(?:你|您)(?:看|觉得)呢|\b(?:ok|okay|can|could|would|how about|deal)\b", re.I)
_DEPOSIT_WORD = re.compile(r"定金|订金|押金|保证金|deposit", re.I)
_DIGIT = re.compile(r"\d|[一二两三四五六七八九十百]")
# terms put as a condition: 「如果有摔的痕迹就不退」「要是不满意可以退」「你寄回来我检查了再退」
_TERMS = re.compile(r"(?:如果|要是|假如|只要)[^。！？!?]{1,16}(?:就|才|可以|再)|(?:了|完)再(?:退|付|发|寄|给)|"
                    r"\bif\b.{1,40}\b(?:then|i.ll|you can)\b|\bi can\b.{1,30}\bif\b", re.I)
# their polite request (「发货的时候麻烦拍个视频」「帮我看看」): a bare 「可以」 grants it
_REQUEST = re.compile(r"麻烦|请(?:你|您)|帮(?:我|忙)|拜托|\bplease\b", re.I)
_AMOUNT_SAID = re.compile(r"\d{2,}|[一二两三四五六七八九十]+(?:百|千|块|元)")
# money put on the table (an amount that is no date, time, page or count; a share; who pays): 「最多补30」「一人一半」「鉴定费我出」
_MONEY_SAID = re.compile(r"(?<![\d.])\d{1,6}(?![\d.]*\s*(?:号|点|日|月|年|[:：]|am|pm|%|％|页|张|个|件|本|条|篇|节|套|份|首|段|次|天|分钟|小时|周|岁|寸|码|g|ml|mm|cm|km|min|hour|mile|day|week))|"
                         r"[¥￥$]|一半|运费|邮费|差价|(?:我|你|您)(?:来)?(?:出|付|承担)(?!来|去|门|差|了)", re.I)
# a question whether they can do, take or sell it (「能翻吗」「精修接吗」「can you design…?」) — not terms put up (「发顺丰可以吗」)
_CAN_YOU = re.compile(r"(?:能|会|接|做|有|出|卖)[^，,。？?\s]{0,8}(?:吗|么|嘛|不)\s*[?？]?(?:\s|$)|可以(?=[\u4e00-\u9fff]{1,8}(?:吗|么|嘛|不))|"
                      r"\b(?:can|could) you\b|\bdo you (?:do|take|make|still)\b", re.I)
_TIME_SAID = re.compile(r"\b(?:around|at|by|before|after|until|till|about|from)\s+\d{1,2}(?:[:.]\d\d)?\b|\b\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|o.clock)\b", re.I)    # a time, not a price quoted ("I can swing by around 10")
_AMOUNT_NUM = re.compile(r"(?<![\d.])\d{2,6}(?![\d.])")    # the amounts a counter-offer compares
# a question that asks which (「模板站还是定制」「要哪种」): the reply before it accepts nothing yet
_WHICH = re.compile(r"还是|哪(?:个|种|款|一)|什么(?:样|风格|颜色|尺寸|格式)|\bwhich\b|\bor\b.*\?\s*$", re.I)
_PRICE_SAID = re.compile(_MONEY_SAID.pattern.split("|一半")[0], re.I)    # an amount alone (a price quoted)

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
    reply_to_priced: tuple[str, ...] = ()   # kinds answered only when their message names an amount (「不行，最低1950」)
    reply_echo: tuple = ()
    reply_yes_amount: bool = False   # a bare yes, then the amount the other side named (「行 1800 …」): an echo of it
    echo_replaces: tuple[str, ...] = ()   # kinds an accepted echo takes the place of in the same message                # whole-clause regexes with an ``echo`` group: 「八点也行」 restating their 「八点行不」
    reply_question: bool = False
    reply_conditional: bool = False  # also terms they put as a condition (「如果有摔的痕迹就不退」 → 「可以」)
    reply_not_question: re.Pattern | None = None   # their question asks a fact, puts nothing up (「这个能正常用吗」)
    reply: re.Pattern | None = None
    reply_alone: tuple[str, ...] = ()     # kinds answered only by a message that is nothing but the bare reply
    reply_alone_terms: re.Pattern | None = None   # … and only when their acceptance put terms on the replier
                                                  # (an amount, a cost, a deposit, a time), not only its steps
    reply_strong: tuple[str, ...] = ()    # kinds answered by a strong reply (「可以，明天发」), not by 「好的」
    reply_priced: re.Pattern | None = None  # their last message quoted terms (「10块一张，今天给你」) → a bare 「可以」
    reply_weak: re.Pattern | None = None  # 「好的」: answers ``to`` kinds only (an acknowledgement otherwise)
    reply_answer: re.Pattern | None = None  # searched in any clause; answers like a strong reply, never ``alone``
    reply_suggestion: bool | re.Pattern = False   # 「运费各一半吧」 → 「行」 (a regex: the suggestion must hold it)
    reply_proposal: re.Pattern | None = None   # their message puts terms up without 吧 or a question (「要不我们视频一下」「周五八点」)
    reply_offer: re.Pattern | None = None      # their offer in 可以+V form (「不放心可以走验货」), accepted by a reply that restates it
    reply_concede: re.Pattern | None = None    # 「那也行」「也可以」: a bare reply that takes any event or terms of theirs
    reply_offer_alone: re.Pattern | None = None   # their own offer of a remedy or a cost (「我给你换 运费我出」) → a bare reply alone
    reply_counter_to: tuple[str, ...] = ()   # requests an answer naming another amount counters (「补30吧」 after 「补我50吧」)
    reply_insist: re.Pattern | None = None   # their message only insists on the normal way (「还是闲鱼拍吧」): no bare reply accepts it
    follow: re.Pattern | None = None      # counts only after the same speaker made this kind recently
    not_after_clause: re.Pattern | None = None    # a bare clause that is not this kind …
    not_after_previous: re.Pattern | None = None  # … when the other side's last message matched this
    summary: dict = field(default_factory=dict)
    any: object = None               # all of zh + en in one regex (``_Lazy``: the anchors' tests use it)
    message_any: object = None       # the anchors of the ``message`` patterns alone (a digit may be one)
    plan: list = field(default_factory=list)   # (pattern, its literal anchors or None, matched lower-cased)
    plan_scan: re.Pattern | None = None          # this kind's anchors as one literal regex
    plan_of: dict = field(default_factory=dict)  # anchor → indices in ``plan`` it (or a prefix of it) stands for
    plan_always: tuple = ()                      # indices in ``plan`` without an anchor


@dataclass
class Rules:
    kinds: list[KindRule]
    trade: re.Pattern
    prefilter: object                # every anchor as one literal regex (``_Lazy``: the anchors' tests use it)
    order: dict
    scan: re.Pattern | None = None          # the anchors as one literal regex (searched from each hit + 1)
    anchor_kinds: dict = field(default_factory=dict)   # anchor → rule indices it (or a prefix of it) stands for
    always: frozenset = frozenset()         # rules with a pattern that has no anchor
    clause_cache: dict = field(default_factory=dict)   # a clause as written → ``_clause_hits``
    piece_cache: dict = field(default_factory=dict)    # a piece of a message as cut → ``_piece_info``
    whole: tuple = ()                       # rules with whole-message patterns
    replies: tuple = ()                     # rules with a reply table
    follows: tuple = ()                     # rules with follow patterns
    twins: bool = False                     # a kind has two rules (its ``[kind.context]`` one)
    echoes: tuple = ()                      # rules with reply echo patterns
    echo_set: frozenset = frozenset()
    yes_amount: tuple = ()                  # rules with ``[kind.reply] yes_amount``
    # derived from the rules when they are loaded (the reader's engine; edits of the rules file need nothing here)
    whole_any: object = None                # the anchors of every whole-message rule as one literal regex
    reply_set: frozenset = frozenset()      # ``replies`` as a set
    follow_set: frozenset = frozenset()     # ``follows`` as a set
    blockable: frozenset = frozenset()      # rules with ``unless_message``
    replacers: frozenset = frozenset()      # rules with ``replaces``
    formats: dict = field(default_factory=dict)      # an event's static part (``_template`` key) → ``_line_format``
    templates: dict = field(default_factory=dict)    # the same → ``_template``
    block_pre: dict = field(default_factory=dict)   # rule index → literal pre-filter of its ``unless_message`` or None
    # per-piece bits of the text-wide pre-filters (``_piece_bits``): a whole-message rule's ``message_any``, a
    # blockable rule's ``block_pre`` found in a piece — None when an anchor could span two pieces (then searched
    # in the whole text, as before)
    piece_bits: tuple | None = None         # (bits always set, bits of a digit, whole-rule literal scan and its
                                            # {word: bits}, blockable-rule scan (re.I) and its {word: bits}, the
                                            # same scan for lower-cased text or None)
    whole_bit: dict = field(default_factory=dict)   # whole rule index → its bits (one per ``message`` pattern)
    # whole rule index → ((bit, pattern, its anchors' literal regex), …) when it has more than one ``message`` pattern:
    # each is searched only in a text that holds its own anchors (a rare pattern beside one anchored on 是/才 is not
    # searched on most texts)
    whole_parts: dict = field(default_factory=dict)
    # blockable rule index → (the bit of its plain words — found in a piece, the message holds one: blocked without a
    # search —, (the bit of its other patterns, their regex) or None); a search of all of them as one alternation
    # tried each word at each position (~6 µs a text for agreement's ~100 words)
    block_split: dict = field(default_factory=dict)
    whole_mask: int = 0
    replaced_cache: dict = field(default_factory=dict)   # ``replaced_by``
    kept_cache: dict = field(default_factory=dict)       # ``kept``
    whole_for: dict = field(default_factory=dict)   # the whole-rule bits a text holds → the rules they stand for
    builtin: bool = False                   # the packaged rules file (the learned veto, ``model``, is made for it)

    def replaced_by(self, kinds) -> frozenset:
        """The kinds that one of ``kinds`` replaces in a message (``replaces``; cached per set of kinds)."""
        got = self.replaced_cache.get(kinds)
        if got is None:
            got = self.replaced_cache[kinds] = frozenset(x for r in self.kinds if r.kind in kinds for x in r.replaces)
        return got

    def kept(self, ids: tuple) -> tuple:
        """(the rule indices of ``ids`` whose kind none of the others replaces, the kinds they make) — per set of rule
        indices found in a text (47 on the bench chat's 200,000 messages; worked out per text, in each of ~79,000
        ``_outcome``s)."""
        got = self.kept_cache.get(ids)
        if got is None:
            kinds = {self.kinds[i].kind for i in ids}
            drop = {k for i in ids for k in self.kinds[i].replaces} if not self.replacers.isdisjoint(ids) else ()
            keep = tuple(i for i in ids if self.kinds[i].kind not in drop) if drop else ids
            if len(self.kept_cache) >= _FORMATS:
                self.kept_cache.clear()
            got = self.kept_cache[ids] = (keep, frozenset(kinds.difference(drop)))
        return got



class _Rx:
    """``re.compile(pattern, flags)``, compiled when first used: the packaged rules hold ~1,000 patterns, and
    compiling them all was ~160 ms of every process that loads the rules (the chat import's two, each small
    import's one), while a chat uses the patterns its texts' anchors lead to. At the first use the compiled
    pattern's methods become this object's own attributes, so later calls cost what they cost on the pattern.
    Only for the packaged rules, which a test compiles whole: a user's rules file is compiled at load, so a bad
    pattern is reported there."""

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern, self.flags = pattern, flags

    def __getattr__(self, name):
        rx = re.compile(self.pattern, self.flags)
        self.search, self.match, self.fullmatch = rx.search, rx.match, rx.fullmatch
        self.finditer, self.findall, self.sub = rx.finditer, rx.findall, rx.sub
        return getattr(rx, name)


def _rx(pats, flags=0, lazy: bool = False) -> re.Pattern | _Rx | None:
    pats = [p for p in pats or [] if p]
    if not pats:
        return None
    p = "|".join(f"(?:{p})" for p in pats)
    return _Rx(p, flags) if lazy else re.compile(p, flags)


_LOADED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()    # id → every Rules alive (``clear_caches``)


@functools.lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> Rules:
    from tradeshield.chat.events import BUILTIN
    from tradeshield.tomlcompat import loads

    p = Path(path) if path else rules_path()
    # the packaged rules' patterns are compiled when first used (``_Rx``); a user's file at load (a bad one is told)
    builtin = p.resolve() == BUILTIN
    rx = functools.partial(_rx, lazy=builtin)     # several patterns as one alternation
    one = _Rx if builtin else re.compile          # one pattern

    try:
        data = loads(p.read_text(encoding="utf-8"))
        data["kind"] = _with_context_rules(data.get("kind", []))
        kinds = []
        for r in data.get("kind", []):
            reply = r.get("reply") or {}
            k = KindRule(
                kind=str(r["kind"]), by=str(r.get("by", "any")), speaker=str(r.get("from", "any")),
                assertion=bool(r.get("assertion", False)), negatable=bool(r.get("negatable", True)),
                reported=bool(r.get("reported", False)), context=str(r.get("context", "")),
                after=tuple(r.get("after") or ()), replaces=tuple(r.get("replaces") or ()),
                zh=[one(x, re.I) for x in r.get("zh", [])], en=[one(x, re.I) for x in r.get("en", [])],
                unless=rx(r.get("unless"), re.I), unless_message=rx(r.get("unless_message"), re.I),
                message=rx(r.get("message"), re.I), reply_to=tuple(reply.get("to") or ()),
                reply_question=bool(reply.get("question", False)),
                reply_not_question=rx(reply.get("not_question"), re.I),
                reply_conditional=bool(reply.get("conditional", False)),
                reply=rx([f"^(?:{x})$" for x in reply.get("zh", []) + reply.get("en", []) + reply.get("concede", [])], re.I),
                reply_alone=tuple(reply.get("alone") or ()), reply_strong=tuple(reply.get("strong") or ()),
                reply_alone_terms=rx(reply.get("alone_terms"), re.I),
                reply_priced=rx(reply.get("priced"), re.I),
                reply_to_priced=tuple(reply.get("to_priced") or ()),
                reply_echo=tuple(one(f"^(?:{x})$", re.I) for x in reply.get("echo", [])),
                echo_replaces=tuple(reply.get("echo_replaces") or ()),
                reply_yes_amount=bool(reply.get("yes_amount", False)),
                reply_proposal=rx(reply.get("proposal"), re.I), reply_offer=rx(reply.get("offer"), re.I),
                reply_concede=rx([f"^(?:{x})$" for x in reply.get("concede", [])], re.I),
                reply_offer_alone=rx(reply.get("offer_alone"), re.I),
                reply_insist=rx(reply.get("insist"), re.I),
                reply_counter_to=tuple(reply.get("counter_to") or ()),
                reply_suggestion=(rx(reply["suggestion"], re.I) if isinstance(reply.get("suggestion"), list)
                                  else bool(reply.get("suggestion", False))),
                reply_weak=rx([f"^(?:{x})$" for x in reply.get("weak", [])], re.I),
                reply_answer=rx(reply.get("answer", []), re.I),
                follow=rx((r.get("follow") or {}).get("zh", []) + (r.get("follow") or {}).get("en", []), re.I),
                not_after_clause=rx([f"^(?:{x})$" for x in (r.get("not_after") or {}).get("clause", [])], re.I),
                not_after_previous=rx((r.get("not_after") or {}).get("previous", []), re.I),
                summary={"zh": r.get("zh_name", ""), "en": r.get("en_name", "")})
            k.any = _Lazy(functools.partial(_anchor_re, [x.pattern for x in k.zh + k.en] + list(r.get("message") or [])))
            k.message_any = _anchor_re(list(r.get("message") or []), digits=True)
            k.plan = _plan(k)
            _index_plan(k)
            if k.by not in ("buyer", "seller", "any") or k.speaker not in ("me", "them", "any"):
                raise ValueError(f"kind {k.kind}: by/from")
            kinds.append(k)
        trade = rx((data.get("trade") or {}).get("words", []), re.I) or re.compile("(?!)")
        # (a whole-message pattern may need only a digit: 「280」 — ``\d`` is then its anchor)
        pre = _Lazy(functools.partial(
            _anchor_re, [x.pattern for k in kinds for x in k.zh + k.en] +
            [x for r in data.get("kind", []) for x in _reply_patterns(r.get("reply") or {})] +
            [x for r in data.get("kind", []) for x in (r.get("follow") or {}).get("zh", []) + (r.get("follow") or {}).get("en", [])],
            more=[x for r in data.get("kind", []) for x in r.get("message") or []]))
    except (OSError, ValueError, KeyError, TypeError, re.error) as e:
        raise InputError("conv.bad_rules", path=str(p), reason=str(e)) from None
    R = Rules(kinds, trade, pre, {k.kind: i for i, k in reversed(list(enumerate(kinds)))})
    R.twins = len({k.kind for k in kinds}) < len(kinds)
    R.builtin = builtin
    _index_anchors(R, data.get("kind", []))
    R.whole = tuple(i for i, k in enumerate(kinds) if k.message is not None)
    R.replies = tuple(i for i, k in enumerate(kinds) if k.reply is not None)
    R.follows = tuple(i for i, k in enumerate(kinds) if k.follow is not None)
    R.echoes = tuple(i for i, k in enumerate(kinds) if k.reply_echo)
    R.echo_set = frozenset(R.echoes)
    R.yes_amount = tuple(i for i, k in enumerate(kinds) if k.reply_yes_amount)
    R.whole_any = _anchor_re([x for i in R.whole for x in data["kind"][i].get("message") or []], digits=True)
    R.reply_set = frozenset(R.replies)
    R.follow_set = frozenset(R.follows)
    R.blockable = frozenset(i for i, k in enumerate(kinds) if k.unless_message is not None)
    R.replacers = frozenset(i for i, k in enumerate(kinds) if k.replaces)
    R.block_pre = {i: _literal_prefilter(data["kind"][i].get("unless_message")) for i in R.blockable}
    _index_piece_bits(R, data["kind"])
    _LOADED[id(R)] = R
    return R


# a piece's bits (``_piece_info`` slot 11): what it holds, so that a message's pieces answer at once (one OR)
_B_HITS, _B_FORMS, _B_FOLLOW, _B_ECHO, _B_MONEY = 1, 2, 4, 8, 16
_B_RAW = 32       # the piece holds what ``clauses.plain_cut`` looks for: its message must be cut by ``raw_pieces``
_B_EMPTY = 64     # nothing left once trimmed (``_EMPTY``/``_EMPTY_RAW``)
_B_FILLER = 128   # the clause is a filler (``_FILLER``: 「好的」「嗯」), after which a reply may come second
_B_YES = 256      # the clause is a bare yes (``_YES``: 「行」「可以」「好吧」), after which an echo may come second (「行 1800 …」)
_B_FIRST = 512    # the bits of ``Rules.piece_bits`` start here
# the marks after which ``_PUNCT_PIECE`` cuts: a literal with one of them before its last character could span two
# pieces of a message
_MARKS = frozenset("，。！？!?；;、~～…\n")


def _index_piece_bits(R: Rules, tables) -> None:
    """``R.piece_bits``: one bit per whole-message rule (its ``message_any`` found in a piece) and per blockable
    rule (its ``block_pre`` found in a piece, or always when it has none). A literal is found in a message cut at
    marks alone (``plain_cut``) exactly when it is found in one of its pieces, unless the literal holds a mark
    before its end — checked here, on the anchors themselves; then ``piece_bits`` stays None."""
    from tradeshield.conversation.anchors import DIGIT, anchors, literal_re

    always = digit = 0
    whole: dict = {}      # word → bits (whole-message rules: found in the lower-cased piece, as ``message_any``)
    block: dict = {}      # word → bits (blockable rules: found case-insensitively, as ``block_pre``)
    b = _B_FIRST
    whole_bit, whole_parts = {}, {}
    for group, key, digits in ((R.whole, "message", True), (R.blockable, "unless_message", False)):
        for i in group:
            pats = tables[i].get(key) or []
            # a whole rule: one bit per set of anchors (its patterns with the same anchors searched as one alternation,
            # as before: 「280」-type patterns all need a digit); a blockable rule: one bit for all its patterns
            each = [pats]
            if digits and len(pats) > 1:
                same: dict = {}
                for x in pats:
                    same.setdefault(anchors(x, digits=True), []).append(x)
                each = list(same.values())
            lits = None
            if not digits:      # plain words apart (a pattern's top-level alternatives too): the word is its anchor
                alts = [a for x in pats for a in _alternatives(x)]
                lits = [a for a in alts if not _META.search(a) and anchors(a) == frozenset({a.lower()})]
                rest = [a for a in alts if a not in lits]
                each = [x for x in (lits, rest) if x]
            parts = []
            for some in each:
                words = set()
                for x in some:
                    a = anchors(x, digits=digits)
                    if a is None:        # (``message_any`` is then ``_Always``, ``block_pre`` None)
                        words = None
                        break
                    words |= a
                if words is None:
                    always |= b
                for w in words or ():
                    if _MARKS.intersection(w[:-1]):
                        return
                    if w == DIGIT:
                        digit |= b
                    else:
                        into = whole if digits else block
                        into[w] = into.get(w, 0) | b
                if digits:
                    whole_bit[i] = whole_bit.get(i, 0) | b
                    parts.append((b, _rx(some, re.I, lazy=R.builtin), _anchor_re(some, digits=True)))
                else:
                    lit_bit, other = R.block_split.get(i, (0, None))
                    if some is lits:
                        lit_bit = b
                    else:
                        other = (b, _rx(some, re.I, lazy=R.builtin))
                    R.block_split[i] = (lit_bit, other)
                b <<= 1
            if len(parts) > 1:
                whole_parts[i] = tuple(parts)
    R.whole_bit, R.whole_parts = whole_bit, whole_parts
    R.whole_mask = functools.reduce(or_, whole_bit.values(), 0)
    # the unless_message anchors are found case-insensitively; re.I on a long literal regex is ~6x slower than a
    # plain search of the lower-cased piece, which finds the same when the words hold only ASCII and caseless
    # characters and the piece none of the four letters re.I matches to ASCII ones (İ ı ſ K: the re docs) —
    # else the re.I scan
    plain = all(ch.isascii() or ch.lower() == ch.upper() == ch for w in block for ch in w)
    R.piece_bits = (always, digit,
                    literal_re(whole) if whole else None, _prefix_bits(whole),
                    re.compile(literal_re(block).pattern, re.I) if block else None, _prefix_bits(block),
                    literal_re(block) if block and plain else None)


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regex (``a|b(?:c|d)`` → ``a``, ``b(?:c|d)``): a search finds one of them
    exactly when it finds the pattern. A pattern with an inline flag stays whole."""
    if "(?" in pattern and re.search(r"\(\?[aiLmsux-]", pattern):
        return [pattern]
    out, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":      # a class, to its closing bracket (a ] first in it is a member)
            i += 1
            i += pattern[i:i + 1] == "^"
            i += pattern[i:i + 1] == "]"
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def _prefix_bits(words: dict) -> dict:
    """{word: the bits of every word of ``words`` it starts with (itself included)}."""
    return {w: functools.reduce(or_, (words[w[:k]] for k in range(1, len(w) + 1) if w[:k] in words), 0)
            for w in words}


_ANY_DIGIT = re.compile(r"\d")
_META = re.compile(r"[.^$*+?{}\[\]\\|()]")     # a pattern with none of these is a plain word
_ODD_CASE = re.compile("[\u0130\u0131\u017f\u212a]")     # İ ı ſ K: re.I matches them to ASCII letters


def _scan_bits(rx, table: dict, text: str, lower: bool) -> int:
    """The bits of the words of ``table`` found in ``text`` (overlapping: searched again after each hit); a hit not
    in the table (a case-insensitive match of an odd letter) sets them all."""
    bits, search, pos = 0, rx.search, 0
    while (mm := search(text, pos)) is not None:
        w = mm.group()
        b = table.get(w.lower() if lower else w)
        if b is None:
            return functools.reduce(or_, table.values(), 0)
        bits |= b
        pos = mm.start() + 1
    return bits


def _reply_patterns(reply: dict) -> list:
    """Every pattern of a ``[kind.reply]`` table (bare, weak and answer forms)."""
    return reply.get("zh", []) + reply.get("en", []) + reply.get("weak", []) + reply.get("answer", []) + reply.get("echo", []) + \
        reply.get("concede", [])


def _index_anchors(R: Rules, tables) -> None:
    """One overlapping scan finds, per message, the rules worth trying (instead of one search per rule)."""
    from tradeshield.conversation.anchors import anchors, literal_re

    per: dict[str, set] = {}
    always = set()
    for i, (k, t) in enumerate(zip(R.kinds, tables)):
        reply = (t.get("reply") or {})
        follow = (t.get("follow") or {})
        # (the whole-message patterns are tried on the whole message: ``whole_any``, ``message_any``)
        for p in [x.pattern for x in k.zh + k.en] + _reply_patterns(reply) + follow.get("zh", []) + follow.get("en", []):
            a = anchors(p)
            if a is None:
                always.add(i)
                continue
            for w in a:
                per.setdefault(w, set()).add(i)
    closed = _prefix_closed(per)
    R.anchor_kinds, R.always = closed, frozenset(always)
    R.scan = literal_re(per) if per else None


def _prefix_closed(per: dict) -> dict:
    """{word: frozenset of the values of every word of ``per`` it starts with (itself included)} — looked up by
    each word's prefixes (a scan over every pair cost ~0.1 s of each process's start on the 1,800 anchors)."""
    return {w: frozenset(set().union(*(per[w[:k]] for k in range(1, len(w) + 1) if w[:k] in per))) for w in per}


class _Lazy:
    """A pre-filter compiled when first searched: ``KindRule.any`` and ``Rules.prefilter`` (each kind's and all the
    rules' anchors as one literal regex) serve the tests of the anchors, not the reading — compiling them cost
    every process that loads the rules ~30 ms."""

    def __init__(self, make):
        self._make, self._rx = make, None

    def search(self, *args):
        if self._rx is None:
            self._rx = self._make() or re.compile("(?!)")
        return self._rx.search(*args)


class _Always:
    """Stands in for an anchor regex when some pattern has no literal anchor."""
    @staticmethod
    def search(_text):
        return True


def _anchor_re(patterns, digits: bool = False, more=()):
    """A literal pre-filter for ``patterns`` (lower-cased text), or ``_Always`` when one has no anchor; with
    ``digits`` a digit the patterns need may be its anchor (the whole-message patterns: 「280」「那200呢」), as it
    may for the patterns ``more``."""
    from tradeshield.conversation.anchors import anchors, literal_re

    words = set()
    for p, d in [(p, digits) for p in patterns] + [(p, True) for p in more]:
        a = anchors(p, digits=d)
        if a is None:
            return _Always
        words |= a
    return literal_re(words)


def _literal_prefilter(patterns) -> re.Pattern | None:
    """A case-insensitive literal regex that finds something in every text one of ``patterns`` (compiled with
    re.I) matches — their anchors as a prefix tree —, or None when a pattern has no literal anchor."""
    from tradeshield.conversation.anchors import anchors, literal_re

    words = set()
    for p in patterns or ():
        a = anchors(p)
        if a is None:
            return None
        words |= a
    return re.compile(literal_re(words).pattern, re.I) if words else None


def clear_caches() -> None:
    """Empty the per-piece, per-clause and line-format caches of every rules file loaded, the money terms per
    clause, and what the finder read of each text's place in the talk (they refill as texts are read; nothing read
    depends on them)."""
    for R in list(_LOADED.values()):
        for cache in (R.piece_cache, R.clause_cache, R.formats, R.templates):
            cache.clear()
    _money_terms.cache_clear()       # money terms per clause (functools.lru_cache)
    clear_talk()


def kind_names(path: str | None = None) -> list[str]:
    return list(dict.fromkeys(k.kind for k in load_rules(path).kinds))


def _with_context_rules(rules: list) -> list:
    """The rules file's kinds, each ``[kind.context]`` table (words that are the kind only where the talk is about a
    trade: 「broken」「must be」 in an everyday chat are not a defect claim or a requirement) made a rule of its own after
    them: the same kind, side, scopes and ``unless``, its own patterns, ``context = "trade-talk"`` (as ``"trade"``, and
    it holds in a chat's first message too)."""
    out = list(rules)
    for r in rules:
        ctx = r.get("context")
        if isinstance(ctx, dict):
            out.append({**{k: r[k] for k in ("kind", "by", "from", "assertion", "negatable", "reported", "replaces",
                                             "unless", "unless_message", "zh_name", "en_name") if k in r},
                        "zh": list(ctx.get("zh", [])), "en": list(ctx.get("en", [])), "context": "trade-talk"})
    return [{**r, "context": ""} if isinstance(r.get("context"), dict) else r for r in out]


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
    k.plan_of = _prefix_closed(per)
    k.plan_always = tuple(j for j, (_rx, anc, _en) in enumerate(k.plan) if anc is None)
    k.plan_scan = literal_re(per) if per else None


def _find(rule: KindRule, clause: Clause, low: str | None = None):
    """(matched text, start) of the first trigger of ``rule`` that holds in ``clause`` (``low``: its text
    lower-cased, if known), or None."""
    text = clause.text
    if low is None:
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
    out: list = []
    R = load_rules(rules)
    state = {} if state is None else state
    # The reader allocates several small containers per message and keeps its caches alive: with the cyclic
    # collector on, its full passes over everything alive cost more than the reading itself (9.0 s vs 4.0 s CPU
    # on 200,000 generated messages). Nothing here makes reference cycles, so it is paused for the loop.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        it, done = iter(messages), 0
        while chunk := list(islice(it, 20000)):
            _read(R, chunk, role, me, with_money, state, out, False)
            done += len(chunk)
            if progress is not None and len(chunk) == 20000:
                progress("events", done, total)
    finally:
        if paused:
            gc.enable()
    if progress is not None and total:
        progress("events", total, total)
    return out


def read_lines(messages, *, role: str | None = None, me: str | None = None, rules: str | None = None,
               state: dict | None = None) -> tuple[bytes, dict]:
    """What ``read_conversation`` finds, as the chat writer stores it: (the events' JSON lines, each ending in a
    line break, "time" first — the bytes of ``json.dumps({"time": ev["time"], **ev}, ensure_ascii=False,
    separators=(",", ":"))`` for each event —, {kind: events} in the order the kinds first occur)."""
    R = load_rules(rules)
    state = {} if state is None else state
    out: list = []
    counts: dict = {}
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        _read(R, messages if isinstance(messages, list) else list(messages), role, me, True, state, out, False,
              counts)
    finally:
        if paused:
            gc.enable()
    if not out:
        return b"", counts
    out.append("")
    return "\n".join(out).encode("utf-8"), counts


def read_messages(messages, *, role: str | None = None, me: str | None = None, rules: str | None = None,
                  with_money: bool = True, state: dict | None = None):
    """Per message, in order: (message, its events, its money terms).

    ``state``: a dict kept by the caller between calls on consecutive batches of one conversation."""
    R = load_rules(rules)
    state = {} if state is None else state
    it = iter(messages)
    size = 1
    while chunk := list(islice(it, size)):        # lazily: the first message alone, then larger chunks
        out: list = []
        _read(R, chunk, role, me, with_money, state, out, True)
        yield from out
        size = min(4 * size, 4096)


def _read(R: Rules, messages: list, role, me, with_money: bool, state: dict, out: list, each: bool,
          counts: dict | None = None) -> None:
    """Read ``messages`` (consecutive, oldest first) into ``out``: their events, or with ``each`` one
    (message, events, money terms) per message, or with ``counts`` (a dict: kind → events) each event as its
    JSON line (``_line_format``).

    Three layers, each cached where the result depends on fewer things than the message:
    ``_analyse`` — what the text says on its own (per text, ``state["cache"]``); ``_speaker`` — which kinds the
    speaker's side allows, split into those that always hold and those the dialogue decides (per text and
    speaker); ``_outcome`` — for a set of kinds found, the money terms and the events as templates (per text,
    speaker and that set). Per message only the dialogue checks (``after``, ``reply``, ``context``) run, and the
    event dicts are filled with the message's time, sender, lines and ids."""
    texts, earlier, last, cache, recent = _state_parts(state)
    kinds_of, trade = R.kinds, R.trade
    # the learned veto (``model``): a second look at each event the rules found, loaded at the first one
    veto = _NONE if R.builtin and os.environ.get("TRADESHIELD_EVENT_VETO", "1") != "0" else None
    judged = _VETO_KINDS
    # the learned finder (``finder``): the kinds the rules missed in a message, read from its text alone
    finder = _NONE if R.builtin and os.environ.get("TRADESHIELD_EVENT_FINDER", "1") != "0" else None
    found_cache = state.setdefault("finder", {})      # (text, side, talk bits) → the kinds the finder gives it
    talk_of, talk_max = talk_bits, TALK_CLAUSES       # (a message's place in the talk: ``finder.talk_bits``)
    quiet = state.get("quiet", 0)     # messages since the last with a rule event or the chat's start (capped)
    turn = state.get("turn")      # who spoke last (the veto asks whether the speaker spoke again since the other side)
    sides = {"me": side_of("me", role), "them": side_of("them", role)}    # side_of is None for any other role
    sha1 = hashlib.sha1
    append, extend = out.append, out.extend
    as_lines = counts is not None
    formats, templates = R.formats, R.templates     # event key (``_outcome``) → JSON line format / dict template
    fget, tget = formats.get, templates.get
    last_src = q_src = _NONE
    for m in messages:
        if type(m) is tuple:      # a writer record and its source (``chat.writer._KEYS``): no dict made for it
            mget = None
            text = m[3] or ""
            mrole = m[2] or ("me" if me and m[1] == me else "them")
        else:
            mget = m.get if type(m) is dict else functools.partial(_get, m)
            text = mget("text") or ""
            mrole = mget("role") or ("me" if me and mget("sender") == me else "them")
        if mrole == "system" or not text or text.isspace():
            if each:
                append((m, [], []))
            continue
        info = cache.get(text)
        if info is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            info = cache[text] = _analyse(R, text, with_money)
        side = sides.get(mrole)
        spk = info[7].get(mrole)
        if spk is None or spk[3] != side:
            spk = info[7][mrole] = _speaker(R, info, mrole, side)
        fixed, dyn, outcomes, _side = spk
        read = info[0]
        if dyn:      # kinds the dialogue decides: a refusal after a request, a reply, a follow-up, a trade context
            other = "them" if mrole == "me" else "me"
            last_other, last_other_text = last.get(other, (None, ""))
            # a request in the other side's message before last is still open when their last one carried no event
            # and this speaker has not accepted anything since (「能退吗」「你先别急…」「重置了还是一样」「那你退回来」;
            # a refusal leaves it open: 「不行」「求你了」「好吧」)
            # — unless their last message puts something up itself (a question, a 吧): the reply answers that
            # (「我已经申请退款了」「客服已经介入了 你等通知吧」「行 我把小票交给客服」)
            open_other = set(last_other or ())
            if len(recent[other]) > 1 and not last_other and not (recent[mrole] and recent[mrole][-1] & _ACCEPTS_OR_ASKS) \
                    and (_REASK.match(last_other_text) or not (_ENDS_QUESTION.search(last_other_text)
                                                               or _ENDS_SUGGESTION.search(last_other_text))) \
                    and not _PAID_NOW.search(last_other_text):
                open_other |= recent[other][-2]
            hits_i, reply_ok, follow_hits, alone = info[4], info[5], info[8], info[9]
            mine = None
            ok = []
            echo_drop = None     # kinds an accepted echo takes the place of (「那就少30」 takes their 「少30吧」, asks nothing)
            for i in dyn:
                rule = kinds_of[i]
                if rule.after and not (earlier[other] & set(rule.after)):
                    continue
                j = None
                if i in hits_i:
                    j = hits_i[i][1]
                elif i in follow_hits:       # a weaker word after the speaker's own event of this kind
                    if mine is None:
                        mine = set().union(*recent[mrole]) if recent[mrole] else set()
                    if rule.kind in mine:
                        j = follow_hits[i][1]
                if j is None and i in reply_ok:     # a reply: it must answer what the other side put up
                    strong, jr = reply_ok[i]
                    if last_other is None:
                        pass
                    elif not alone and not open_other & set(rule.reply_to) and not _MONEY_SAID.search(last_other_text) \
                            and _CAN_YOU.search(last_other_text) \
                            and any(_PRICE_SAID.search(_TIME_SAID.sub("", x[0])) for x in info[1][jr + 1:]) and rule.reply_echo:
                        pass        # 「能 一页30」 after 「能翻吗」: a quote (their question put no terms up), no acceptance
                    elif strong is None and open_other & set(rule.reply_counter_to) \
                            and _counters(info[1][jr][0], last_other_text):
                        pass        # 「补30吧」 after 「补我50吧」: an answer in one's own words naming another amount counters
                    elif rule.reply_insist is not None and not open_other & set(rule.reply_to) \
                            and rule.reply_insist.search(last_other_text):
                        pass        # 「好吧」 after 「还是闲鱼拍吧 我改好价了」: gives in to the normal way, accepts nothing
                    elif not alone and info[1][-1][6].question:
                        # 「sure, can you pick it up?」: a reply that goes on to ask answers an open request only
                        # … unless it asks which (「可以 模板站还是定制」): nothing is taken yet
                        if open_other & set(rule.reply_to) and not any(_WHICH.search(x[0]) for x in info[1][jr + 1:]):
                            j = jr
                    elif _answers(rule, strong, alone, last_other, last_other_text, open_other):
                        j = jr
                    elif strong is True and not alone and rule.reply_echo and _restates(info[1], jr, last_other_text) and (
                            _answers(rule, True, True, last_other, last_other_text, open_other)
                            or (rule.reply_offer is not None and rule.reply_offer.search(last_other_text))
                            or _MONEY_SAID.search(last_other_text)):
                        j = jr      # 「行 一人一半」「那行 视频吧」「行 那走验货」「行 30也行」: the reply, then their own words again
                    elif strong is True and rule.reply_concede is not None and rule.reply_concede.match(info[1][jr][0]) \
                            and (last_other or (rule.reply_alone_terms is not None
                                                and rule.reply_alone_terms.search(last_other_text))):
                        j = jr      # 「那也行」: a concession takes whatever they just put up (terms, a way, a promise)
                if j is None and i in info[10]:     # an echo: it restates what the other side just put up
                    jr, said, exact = info[10][i]
                    if last_other is not None and _echoes(said, exact, last_other_text.lower()) and (
                            _answers(rule, True, False, last_other, last_other_text, open_other)
                            or (exact and said.isdigit() and _MONEY_SAID.search(last_other_text))):     # 「15也成」 after 「最多退15」
                        j = jr
                        if rule.echo_replaces:
                            echo_drop = (echo_drop or set()) | set(rule.echo_replaces)
                if j is None:
                    continue
                if rule.not_after_previous is not None and not (last_other and last_other & set(rule.reply_to)) \
                        and rule.not_after_previous.search(last_other_text) \
                        and rule.not_after_clause.search(info[1][j][0]):
                    continue
                if rule.context and (texts or rule.context == "trade") and trade.search(" ".join(texts + [read])) is None:
                    # (``[kind.context]`` words as a chat's first words: the trade itself)
                    continue
                ok.append(i)
            key = tuple(sorted(fixed + tuple(ok))) if ok else fixed
            if echo_drop:
                key = tuple(k for k in key if kinds_of[k].kind not in echo_drop)
            oc = _NOTHING if as_lines and not key else outcomes.get(key)
            if oc is None:
                oc = outcomes[key] = _outcome(R, info, key, mrole, side, with_money)
        else:
            # no kind: as lines no event, so the money terms (attached to events only) are not worked out
            oc = _NOTHING if as_lines and not fixed else outcomes.get(fixed)
            if oc is None:
                oc = outcomes[fixed] = _outcome(R, info, fixed, mrole, side, with_money)
        kinds, money_t, evs_t, amount_at = oc
        if evs_t and veto is not None and not judged.isdisjoint(kinds):
            # the events the veto drops are not events (not written, not counted); the dialogue below goes on
            # from what the rules found, so the veto never changes what else they find
            if veto is _NONE:
                from tradeshield.conversation.model import load_veto

                veto = load_veto()
                judged = veto.kinds      # (the packaged model's; ``_VETO_KINDS`` only says which messages to ask about)
            other = "them" if mrole == "me" else "me"
            lo = last.get(other)
            theirs = recent[other]
            prev = (lo[1], lo[0], turn == mrole, theirs[-2] if len(theirs) > 1 else _NO_SET) if lo is not None \
                else (None, _NO_SET, False, _NO_SET)
            keeps = veto.keeps
            drop = [e for e in evs_t if e[0] in judged and not keeps(e[0], side, mrole, e[1][4], text, kinds, *prev)]
            if drop:
                evs_t = tuple(e for e in evs_t if e not in drop)
        if finder is not None and (kinds or quiet < _QUIET):
            if len(info[1]) > talk_max:
                talk = 0
            else:       # (``finder.talk_bits``)
                mine_l, theirs_l = last.get(mrole), last.get("them" if mrole == "me" else "me")
                talk = talk_of(read, not texts, turn == mrole, mine_l[1] if mine_l is not None else None,
                               theirs_l[1] if theirs_l is not None else None, info[1])
            got = found_cache.get((text, side, talk))
            if finder is _NONE and (got is None or got):
                from tradeshield.conversation.finder import load_finder

                finder = load_finder()
            if got is None:
                if len(found_cache) >= _CACHE_SIZE:
                    found_cache.clear()
                got = found_cache[text, side, talk] = finder.found_in(list(map(_CLAUSE_TEXT, info[1])), side, len(text),
                                                                      talk)
            if got and kinds:     # beside the rules' own events it must be surer, and adds only what they missed
                lim = finder.logit_beside
                replaced = R.replaced_by(kinds)
                got = tuple(x for x in got if x[1] >= lim and x[0] not in kinds and x[0] not in replaced)
            if got and (not texts or trade.search(" ".join(texts + [read])) is not None):     # (in trade talk only)
                found = _found_events(finder, R, info, tuple(k for k, _z in got), mrole, side, with_money, money_t,
                                      evs_t)
                if found is not None:
                    evs_t, money_t, amount_at = found
        money = [dict(x) for x in money_t] if money_t and not as_lines else []
        evs = []
        if evs_t:
            if mget is None:
                t, sender, l0, l1, src = m[0], m[1], m[4], m[5], m[6]
                t = t if type(t) is str or not hasattr(t, "isoformat") else t.isoformat()
                id_key = f"{src or ''}:{l0}-{l1}:"    # as event_id
            else:
                t = mget("time")
                t = t if type(t) is str or not hasattr(t, "isoformat") else t.isoformat()
                lines = mget("lines") or [mget("line_start"), mget("line_end")]
                src = mget("source")
                sender = mget("sender")
                l0, l1 = lines[0], lines[1]
                id_key = f"{src or ''}:{lines[0] if lines else ''}-{lines[-1] if lines else ''}:"    # as event_id
            if as_lines:
                if src is not last_src:      # (one source per batch, mostly)
                    last_src, q_src = src, _q(src) if type(src) is str else _json(src)
                vals = (_q(t) if type(t) is str else _json(t), _q(sender) if type(sender) is str else _json(sender),
                        _q(text) if type(text) is str else _json(text), q_src,
                        int.__repr__(l0) if type(l0) is int else _json(l0),
                        int.__repr__(l1) if type(l1) is int else _json(l1))
                for kind, key, id_tail, _mode in evs_t:
                    fmt = fget(key)
                    if fmt is None:
                        if len(formats) >= _FORMATS:
                            formats.clear()
                        fmt = formats[key] = _key_format(formats, key)
                    append(fmt % (*vals, sha1((id_key + id_tail).encode("utf-8")).hexdigest()[:12]))
                    counts[kind] = counts.get(kind, 0) + 1
            else:
                with_amount = [money[j] for j in amount_at]
                for _kind, key, id_tail, mode in evs_t:
                    tpl = tget(key)
                    if tpl is None:
                        if len(templates) >= _FORMATS:
                            templates.clear()
                        tpl = templates[key] = _template(key)
                    ev = tpl.copy()
                    ev["time"], ev["sender"], ev["text"] = t, sender, text
                    ev["ref"] = {"source": src, "lines": [l0, l1]}
                    ev["id"] = sha1((id_key + id_tail).encode("utf-8")).hexdigest()[:12]
                    if mode:
                        ev["money"] = list(money) if mode == 1 else list(with_amount)
                    evs.append(ev)
        if kinds:
            earlier[mrole] |= kinds
            quiet = 0
        elif quiet < _QUIET:
            quiet += 1
        turn = mrole
        last[mrole] = (kinds, read)
        mine_recent = recent[mrole]
        mine_recent.append(kinds)
        if len(mine_recent) > _RECENT:
            del mine_recent[0]
        texts.append(read)
        if len(texts) > _CONTEXT_BACK:
            del texts[0]
        if each:
            append((m, evs, money))
        elif evs:
            extend(evs)
    state["turn"] = turn
    state["quiet"] = quiet


def _echoes(said: str, exact: bool, their: str) -> bool:
    """Whether ``said`` restates the other side's message ``their``: word for word (an ``echo`` group: 「八点也行」
    after 「八点行不」), or for a ``topic`` group (「可以去鉴定」 after 「能去专柜鉴定吗」) two characters of it in a row."""
    if exact:
        return said in their
    return any(said[k:k + 2] in their and not _FUNCTION_CHARS.issuperset(said[k:k + 2]) for k in range(len(said) - 1))


def _counters(said: str, their: str) -> bool:
    """Whether ``said`` (an answer in one's own words) names an amount and the other side's message ``their`` names
    amounts, none of them that one: a counter-offer (「补30吧」 after 「补我50吧」), not an acceptance."""
    mine = set(_AMOUNT_NUM.findall(said))
    if not mine:
        return False
    theirs = set(_AMOUNT_NUM.findall(their))
    return bool(theirs) and not mine & theirs


def _restates(cl, j: int, their: str) -> bool:
    """Whether the clause right after the reply's clause ``j`` (``_analyse``'s clause infos; at most one more after it) says
    again two content characters in a row of the other side's message ``their`` (「行 一人一半」 after 「退可以 运费一人一半」)."""
    if len(cl) > j + 3:      # a long message that goes on about other things restates nothing it accepts
        return False
    for info in cl[j + 1:j + 2]:      # the clause right after the reply
        said = _ECHO_TRIM.sub("", info[0])
        if any(_HAN_OR_DIGIT.fullmatch(said[k:k + 2]) and said[k:k + 2] in their
               and not _FUNCTION_CHARS.issuperset(said[k:k + 2]) for k in range(len(said) - 1)):
            return True
    return False


def _answers(rule: KindRule, strong, alone: bool, last_other, last_other_text: str, open_other: set) -> bool:
    """Whether a bare reply (``strong``: True for the reply words, False for a weak 「好的」, None for an answer in
    one's own words; ``alone``: the reply is the whole message) answers what the other side put up: a request still
    open, their acceptance with terms, a quoted price, their settled price, a question that offers something, a
    suggestion with terms."""
    if open_other & set(rule.reply_to):
        return True
    if rule.reply_to_priced and open_other & set(rule.reply_to_priced) and _AMOUNT_SAID.search(last_other_text):
        return True     # a refusal with its own price (「不行，最低1950」), not a bare 「不议价」
    if strong is False:
        return False
    return bool((alone and strong is True and last_other & set(rule.reply_alone)
                 and (rule.reply_alone_terms is None or rule.reply_alone_terms.search(last_other_text)))
                or (alone and strong is True and rule.reply_priced is not None
                    and rule.reply_priced.search(last_other_text)
                    and not (rule.reply_not_question is not None and rule.reply_not_question.search(last_other_text)))
                or last_other & set(rule.reply_strong)
                or (rule.reply_question and (_ENDS_QUESTION.search(last_other_text)
                                             or _OFFER_A_NOT_A.search(last_other_text))
                    and _PROPOSAL.search(last_other_text)
                    and not (rule.reply_not_question is not None and rule.reply_not_question.search(last_other_text)))
                or (rule.reply_conditional and _TERMS.search(last_other_text))
                or (rule.reply_proposal is not None and rule.reply_proposal.search(last_other_text))
                or (alone and strong is True and rule.reply_offer_alone is not None and not last_other & _ACCEPTS
                    and rule.reply_offer_alone.search(last_other_text))     # (their acceptance: `alone_terms` decides)
                or (rule.reply_conditional and strong is True and _REQUEST.search(last_other_text))
                or (rule.reply_suggestion and _ENDS_SUGGESTION.search(last_other_text)
                    and not _ACCEPTANCE.match(last_other_text)
                    and (rule.reply_suggestion is True or rule.reply_suggestion.search(last_other_text))))


def _state_parts(state: dict) -> tuple:
    """The parts of a reading state (made when missing): (the last ``_CONTEXT_BACK`` texts read, {speaker: kinds
    they made so far}, {speaker: (kinds, text) of their last message}, the per-text cache, {speaker: kinds of
    their last ``_RECENT`` messages})."""
    return (state.setdefault("texts", []),
            state.setdefault("earlier", {"me": set(), "them": set()}),    # kinds each speaker made so far
            state.setdefault("last", {}),      # speaker → (kinds, text) of their last message
            state.setdefault("cache", {}),     # text → what it says on its own (``_analyse``): no dialogue in it
            state.setdefault("recent", {"me": [], "them": []}))   # speaker → kinds of their last messages


_CACHES = frozenset({"cache", "finder"})    # the keys of a reading state that only cache (what is read does not depend on them)


def dialogue_state(state: dict) -> dict:
    """A copy of what a reading ``state`` carries from one message to the next, its caches left out: two states
    with equal copies read the messages that follow the same (``chat.background`` checks a batch read from a
    guessed state against the state the batch before it really ended in). Everything but the caches is kept,
    so a new piece of dialogue state is compared too."""
    import copy

    _state_parts(state)
    return copy.deepcopy({k: v for k, v in state.items() if k not in _CACHES})


def _speaker(R: Rules, info, mrole: str, side) -> tuple:
    """(kinds that hold whatever came before, kinds the dialogue decides, {} for ``_outcome``s, ``side``) for a
    text said by ``mrole`` on ``side``: the speaker and side filters, and the kinds a word in the message cancels."""
    cand, hits, _reply_ok, blocked = info[3:7]
    fixed, dyn = [], []
    kinds = R.kinds
    for i in cand:     # (``_analyse``'s candidates: each holds a hit, a reply, a follow or an echo)
        if i in blocked:
            continue
        rule = kinds[i]
        if rule.speaker != "any" and rule.speaker != mrole:
            continue
        if rule.by != "any" and side is not None and rule.by != side:
            continue
        if rule.after or i not in hits or rule.context or rule.not_after_previous is not None:
            dyn.append(i)
        else:
            fixed.append(i)
    return tuple(fixed), tuple(dyn), {}, side


def _outcome(R: Rules, info, found_ids: tuple, mrole: str, side, with_money: bool) -> tuple:
    """(kinds, money terms, event templates, indices of the terms with an amount) of a text said by ``mrole``
    on ``side`` when the kinds ``found_ids`` (rule indices, ascending) hold in it."""
    text, cl, _none, _cand, hits, reply_ok = info[:6]
    follow_hits, echo_hits = info[8], info[10]
    may_money = with_money and cl and any(map(_HAS_MONEY, cl))
    if not found_ids and not may_money:
        return _NOTHING
    keep, kinds = R.kept(found_ids)      # (a found kind another one replaces is no event)
    found = [hits[i] if i in hits else follow_hits[i] if i in follow_hits else
             (R.kinds[i], reply_ok[i][1], cl[reply_ok[i][1]][0]) if i in reply_ok else
             (R.kinds[i], echo_hits[i][0], cl[echo_hits[i][0]][0]) for i in keep]     # (rule, clause index, matched)
    money = []
    if may_money and (_DIGIT.search(text) or _DEPOSIT_WORD.search(text) or "deposit-terms" in kinds):
        at: dict = {}
        for r, cc, _t in found:
            at.setdefault(cc, []).append(r.kind)
        for j, pinfo in enumerate(cl):
            if pinfo[5]:     # money.money_terms without its own pre-check
                # a bare amount beside a refund request (「退我一个杯子的钱吧，35」) is the refund asked
                ck = at.get(j) or (("refund-request",) if "refund-request" in kinds else None)
                money += [dict(x) for x in _money_terms(pinfo[0], side, mrole, tuple(ck) if ck else ())]
        money = _merge_deposit(money, "deposit-terms" in kinds)
    evs = []
    amount_at = ()
    if found:
        # (most texts with an event name no amount: then every event's money is ``_NO_MONEY``, no call per event)
        if money:
            amount_at = tuple(j for j, x in enumerate(money) if x.get("amount") is not None)
            with_amount = [money[j] for j in amount_at]
        if len(found) > 1:
            found.sort(key=lambda h: (h[1], R.order[h[0].kind]))
            if R.twins:      # a kind's context rule and its own both hold: the first clause's
                seen: set = set()
                found = [h for h in found if not (h[0].kind in seen or seen.add(h[0].kind))]
        for rule, j, matched in found:
            kind = rule.kind
            mode, mine_key, amount = _event_money(kind, money, with_amount) if money else _NO_MONEY
            # what the event says whatever message says it (``_template``); the rest is filled per message
            evs.append((kind, (kind, mrole, side, matched, cl[j][0], j, mine_key, amount), f"{kind}:{j}", mode))
    if not kinds and not money:
        return _NOTHING
    return kinds, tuple(money), tuple(evs), amount_at


_NO_MONEY = (0, (), None)      # ``_event_money`` of an event in a message without money terms


def _event_money(kind: str, money: list, with_amount: list) -> tuple:
    """(mode, money key, amount) of an event of ``kind`` in a message with the money terms ``money`` (those with an
    amount: ``with_amount``): a deposit carries every term (mode 1), any other kind those with an amount (mode 2);
    the amount is the first of the kind's role (``_AMOUNT_ROLE``), else the first one said."""
    mine = money if kind == "deposit-terms" else with_amount
    if not mine:
        return 0, (), None
    want = _AMOUNT_ROLE.get(kind)
    first = next((x["amount"] for x in mine if x.get("amount") is not None and x["role"] == want),
                 next((x["amount"] for x in mine if x.get("amount") is not None), None))
    return (1 if mine is money else 2), tuple(tuple(x.items()) for x in mine), None if first is None else str(first)


def _found_events(finder, R: Rules, info, new: tuple, mrole: str, side, with_money: bool, money_t: tuple, evs_t: tuple):
    """(``evs_t`` and the event templates of the kinds ``new`` the finder found in a message, its money terms, the
    indices of those with an amount). ``new`` holds only kinds the rules did not find there, nor one a kind they found
    replaces (「那就1800吧」: price-agreed, not agreement). The events say whose they are: ``matched`` is None (no rule
    word matched) and ``found`` is ``"model"``; each is on the clause the model scores highest and carries the
    message's money terms as a rule's event does. A kind on a clause a negator opens is left out (``finder.negated``:
    「不用加我微信」); None when no kind is left."""
    cl = info[1]
    picks = []
    for kind in new:
        j = finder.best_clause([c[0] for c in cl], side, kind) if cl else 0
        clause = cl[j][0] if cl else info[0]
        if not negated(kind, clause):
            picks.append((kind, j, clause))
    if not picks:
        return None
    if with_money and not money_t:
        money_t = _outcome(R, info, (), mrole, side, True)[1]      # (the rules found nothing: not worked out)
    money = [dict(x) for x in money_t]
    amount_at = tuple(j for j, x in enumerate(money) if x.get("amount") is not None)
    with_amount = [money[j] for j in amount_at]
    evs = []
    for kind, j, clause in picks:
        mode, mine_key, amount = _event_money(kind, money, with_amount)
        evs.append((kind, (kind, mrole, side, None, clause, j, mine_key, amount), f"{kind}:{j}", mode))
    return evs_t + tuple(evs), tuple(money_t), amount_at


_NOTHING = (frozenset(), (), (), ())     # no kind, no money term
_QUIET = QUIET     # the finder reads near what the rules found (``finder.QUIET``)
_VETO_KINDS = frozenset({"agreement", "deposit-terms", "off-platform", "price-agreed"})    # ``model``'s (checked at load)


def _template(key: tuple) -> dict:
    """An event as a dict with the keys in their order; time, sender, text, ref and id (the message's) are None."""
    kind, mrole, side, matched, clause, index, money, amount = key
    ev = {"kind": kind, "time": None, "sender": None, "role": mrole, "text": None, "matched": matched, "ref": None,
          "id": None, "by": mrole, "side": side, "clause": clause, "clause_index": index, "status": "suggested"}
    if matched is None:
        ev["found"] = "model"      # the learned finder's (``_found_events``): no rule word matched
    if money:
        ev["money"] = [dict(x) for x in money]
        if amount is not None:
            ev["amount"] = amount
    return ev
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# the values an event takes from its message, in the order of its JSON line (``_line_format``)
_FILLED = {"time": "%s", "sender": "%s", "text": "%s", "ref": '{"source":%s,"lines":[%s,%s]}', "id": '"%s"'}


def _json(v) -> str:
    """``v`` as ``json.dumps(v, ensure_ascii=False, separators=(",", ":"))`` writes it."""
    if type(v) is str:
        return _q(v)
    if type(v) is int:
        return int.__repr__(v)
    return "null" if v is None else _dumps(v)


def _key_format(formats: dict, key: tuple) -> str:
    """``_line_format`` of the event ``key`` stands for: an event with money terms (mostly one of a kind: an amount
    said once) is the format of the same event without them, its trailing keys (``_template``: "money", then
    "amount") added as JSON."""
    if not key[6]:
        return _line_format(_template(key))
    base = key[:6] + ((), None)
    head = formats.get(base)
    if head is None:      # kept: the next amount said in the same clause reuses it
        head = formats[base] = _line_format(_template(base))
    tail = ',"money":' + _dumps([dict(x) for x in key[6]])
    if key[7] is not None:
        tail += ',"amount":' + _q(key[7])
    return head[:-1] + tail.replace("%", "%%") + "}"


def _line_format(tpl: dict) -> str:
    """The JSON line of an event template as a %-format: "time" first (``spool.line_time`` reads it there), then
    the other keys in the template's order, as ``json.dumps({"time": ..., **event}, ensure_ascii=False,
    separators=(",", ":"))`` writes them; the message's values (``_FILLED``) are left as %s in the order time,
    sender, text, source, line start, line end, id."""
    order = [k for k in tpl if k in _FILLED]
    if order != ["time", "sender", "text", "ref", "id"]:
        raise ValueError(f"event template keys: {list(tpl)}")    # _read fills them in this order
    parts = ['{"time":%s']
    for k, v in tpl.items():
        if k == "time":
            continue
        parts.append("," + _q(k).replace("%", "%%") + ":" + (_FILLED[k] if k in _FILLED else _json(v).replace("%", "%%")))
    parts.append("}")
    return "".join(parts)
_MATCH_START = methodcaller("start")
_CLAUSE_TEXT = itemgetter(0)             # a piece's info: its clause's text
_HAS_MONEY = itemgetter(5)               # a piece's info: whether it may hold money terms (``money``'s pre-check)


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
    low = c.text.lower()
    ks = _kinds_in(R, low)
    h = {}
    for i in ks:
        rule = R.kinds[i]
        f = _find(rule, c, low)       # (first: an anchor alone mostly finds no trigger, and then nothing else is asked)
        if not f:
            continue
        if rule.assertion and (c.question or c.conditional):
            continue
        if rule.unless is not None and rule.unless.search(c.text):
            continue
        h[i] = f[0]
    if len(R.clause_cache) >= min(_CACHE_SIZE, _PIECE_CACHE):
        R.clause_cache.clear()
    got = R.clause_cache[key] = (frozenset(ks), h)
    return got


_NONE = object()
_NO_SET = frozenset()
_NO_DICT: dict = {}      # shared empty dict (never written to)


def _piece_info(R: Rules, piece: str, plain: bool | None = None):
    """What one piece of a message says on its own (cached per piece, kept in ``R.piece_cache``): ``_EMPTY`` (or
    ``_EMPTY_RAW``) for an empty piece, else (clause text, its offset in the piece, raw text, kinds whose anchors it
    holds, {kind index: matched}, whether it may hold money terms, the clause read without a position, its reply forms
    (``_piece_forms``), whether it has any, its follow hits, its echo forms (``_piece_echoes``), its bits: what of
    that it holds, whether its message must be cut by ``raw_pieces``, which text-wide pre-filters it holds
    (``_B_*``, ``Rules.piece_bits``))."""
    pc = piece_clause(piece)
    if pc is None:
        if plain is None:
            plain = plain_cut(piece)
        info = _EMPTY if plain else _EMPTY_RAW
    else:
        t, lead, raw = pc
        c = Clause(t, 0, 0, raw)
        ks, h = _clause_hits(R, c)
        # whether the clause may hold money terms: with a digit (an amount, an order number: mostly a piece seen
        # once) ``_outcome`` works them out, only for a message with events — whether there are any depends on
        # the clause alone, not on who says it or the kinds (every amount is a term; ``by``/``side``/kinds only
        # choose its role), so a clause without any adds nothing there; without a digit (「一直」「退货」: stock
        # phrases, read once) whether it holds any is found here, so ``_outcome`` does not ask each time
        money = _MAYBE_MONEY.search(t) is not None and (
            _ANY_DIGIT.search(t) is not None or bool(_money_terms(t, None, "them", ())))
        forms, follow = _NO_FORMS, _NO_DICT
        if not R.reply_set.isdisjoint(ks) or not R.follow_set.isdisjoint(ks):
            forms, follow = _piece_forms(R, t, ks)
        echo = _piece_echoes(R, t, ks) if R.echoes and not R.echo_set.isdisjoint(ks) else _NO_DICT
        bits = ((_B_HITS if h else 0) | (_B_FORMS if forms is not _NO_FORMS else 0) | (_B_FOLLOW if follow else 0)
                | (_B_ECHO if echo else 0) | (_B_MONEY if money else 0)
                | (0 if (plain_cut(piece) if plain is None else plain) else _B_RAW)
                | (_B_FILLER if _FILLER.match(t) else 0) | (_B_YES if _YES.match(t) else 0))
        if R.piece_bits is not None:     # the text-wide pre-filters this piece holds (``_index_piece_bits``)
            always, digit, wscan, wtable, bscan, btable, blow = R.piece_bits
            bits |= always
            if digit and _ANY_DIGIT.search(piece):
                bits |= digit
            low = piece.lower()
            if wscan is not None:
                bits |= _scan_bits(wscan, wtable, low, False)
            if blow is not None and _ODD_CASE.search(piece) is None:
                bits |= _scan_bits(blow, btable, low, False)
            elif bscan is not None:
                bits |= _scan_bits(bscan, btable, piece, True)
        info = (t, lead, raw, ks, h, money, c, forms, forms is not _NO_FORMS, follow, echo, bits)
    cache = R.piece_cache
    if len(cache) >= min(_CACHE_SIZE, _PIECE_CACHE):
        cache.clear()
    cache[piece] = info
    return info


_NO_FORMS = (_NO_SET, _NO_SET, _NO_SET)
# an empty piece (nothing left once trimmed), cut at marks alone or not: its text slot is None
_EMPTY = (None,) * 11 + (_B_EMPTY,)
_EMPTY_RAW = (None,) * 11 + (_B_EMPTY | _B_RAW,)
_BITS = itemgetter(11)


def _piece_forms(R: Rules, t: str, ks) -> tuple:
    """What the reply and follow checks of ``_analyse`` find in one clause ``t`` (its anchors ``ks``), worked out
    once per piece: ((rule indices whose bare reply form the clause is, whose weak form it is, whose answer pattern
    it holds) — or ``_NO_FORMS`` —, {follow rule index: the follow words matched})."""
    kinds = R.kinds
    low = t.lower()
    bare, weak, answer = set(), set(), set()
    for i in R.replies:
        if i not in ks:
            continue
        rule = kinds[i]
        if rule.reply.search(low):
            bare.add(i)
        if rule.reply_weak is not None and rule.reply_weak.search(low):
            weak.add(i)
        if rule.reply_answer is not None and rule.reply_answer.search(t):
            answer.add(i)
    follow = _NO_DICT
    for i in R.follows:
        if i not in ks:
            continue
        rule = kinds[i]
        mm = rule.follow.search(t)
        if mm is not None and not (rule.unless is not None and rule.unless.search(t)) and not (
                rule.negatable and negated_before(t, mm.start())):
            follow = {i: mm.group()} if follow is _NO_DICT else {**follow, i: mm.group()}
    forms = (frozenset(bare), frozenset(weak), frozenset(answer)) if bare or weak or answer else _NO_FORMS
    return forms, follow


def _piece_echoes(R: Rules, t: str, ks) -> dict:
    """The echo forms of one clause ``t`` (its anchors ``ks``), worked out once per piece: {echo rule index:
    (the restated words, whether word for word)} (``_analyse`` decides which clause may carry them)."""
    low = t.lower()
    found = _NO_DICT
    for i in R.echoes:
        if i not in ks:
            continue
        m = next((m for rx in R.kinds[i].reply_echo if (m := rx.match(low))), None)
        if m is not None:
            exact = "echo" in m.groupdict()
            said = _ECHO_TRIM.sub("", m.group("echo" if exact else "topic"))
            if len(said) > 1 or said.isdigit() or (exact and said in _ECHO_VERBS):     # 「送可以」 after 「能帮忙送一下不」
                found = {i: (said, exact)} if found is _NO_DICT else {**found, i: (said, exact)}
    return found


_ECHO_VERBS = frozenset("送寄换退修做改发拿取补接带")    # one-character echoes that restate an action asked for


def _analyse(R: Rules, text: str, with_money: bool):
    """What a message says on its own, whoever sends it and whatever came before (cached per text):
    (text as read, its clauses as a list of piece infos (``_piece_info``: text, …, its ``Clause`` last), None,
    candidate rule indices, {rule index: (rule, clause index, matched)} for the rules whose patterns hold in a
    clause, rule indices whose bare reply form the first clause has, rule indices a word anywhere in the message
    cancels, {speaker: ``_speaker``})."""
    if "://" in text or "www." in text:      # a link's letters and digits say nothing (「vx」「q4510」 inside a URL)
        text = _URL.sub(" ", text)
    if _SPACED_PRE.search(text) and _SPACED.search(text):       # 「直 接 转 账 给 我」: spaced out to dodge filters, read as written together
        text = _SPACED_CHAR.sub("", text)
    # (no pre-filter on the whole text: with the rules' anchors — 那, 就, 行, 成 … — it let ~0.2 % of a chat's texts
    # skip this, at the cost of one long search on every text; a text no rule can match gets through here on its
    # pieces' bits, each piece read once)
    # each piece read on its own (cached per piece: chats repeat their clauses even more than their messages);
    # cut at CJK marks and line breaks first: when no piece holds anything ``plain_cut`` looks for, neither does
    # the text (none of it spans a mark), the pieces are the text's, and the text-wide pre-filters are the OR of
    # the pieces' bits; else the text is cut again by ``raw_pieces`` and searched as a whole
    pget = R.piece_cache.get
    pieces, offs = _PUNCT_PIECE.findall(text), None
    cl = list(map(pget, pieces, repeat(_NONE, len(pieces))))
    bits = 0
    if _NONE in cl:
        for k, x in enumerate(cl):
            if x is _NONE:
                if not plain_cut(pieces[k]):      # (not worked out: the raw cut below gives other pieces)
                    bits = _B_RAW
                    break
                cl[k] = _piece_info(R, pieces[k], True)
    if not bits:
        bits = reduce(or_, map(_BITS, cl), 0)
    wide = R.piece_bits is not None and "\u03a3" not in text    # (Σ: the one letter str.lower reads in context)
    if bits & _B_RAW:
        pairs = raw_pieces(text)
        pieces, offs = [p for _a, p in pairs], [a for a, _p in pairs]
        cl = list(map(pget, pieces, repeat(_NONE, len(pieces))))
        if _NONE in cl:
            for k, x in enumerate(cl):
                if x is _NONE:
                    cl[k] = _piece_info(R, pieces[k])
        bits = reduce(or_, map(_BITS, cl), 0)
        wide = False
    keep = None
    if bits & _B_EMPTY:
        keep = [k for k, x in enumerate(cl) if x[0] is not None]
        cl = [cl[k] for k in keep]
    if not cl:
        return text, cl, None, (), {}, _NO_DICT, _NO_SET, {}, _NO_DICT, False, _NO_DICT
    kinds = R.kinds
    hits: dict = {}
    if bits & _B_HITS:
        for j, info in enumerate(cl):     # each kind's first clause that holds it
            h = info[4]
            if h:
                for i, matched in h.items():
                    if i not in hits:
                        hits[i] = (kinds[i], j, matched)
    low = None if wide else text.lower()
    if R.whole and (bits & R.whole_mask if wide else R.whole_any.search(low)):     # whole-message patterns: 「行，280」
        if wide:
            # only the rules whose bits the pieces hold, each with only the patterns whose bits they hold (per set
            # of bits: a loop over every rule, then over each rule's patterns, cost each text): (rule index, the
            # patterns, or None for the rule's one ``message`` pattern)
            wb = bits & R.whole_mask
            todo = R.whole_for.get(wb)
            if todo is None:
                if len(R.whole_for) >= _FORMATS:
                    R.whole_for.clear()
                todo = R.whole_for[wb] = tuple(
                    (i, None if i not in R.whole_parts else tuple(rx for b, rx, _pre in R.whole_parts[i] if wb & b))
                    for i in R.whole if wb & R.whole_bit[i])
        else:
            todo = [(i, None if i not in R.whole_parts else R.whole_parts[i]) for i in R.whole]
        for i, parts in todo:
            rule = kinds[i]
            if i in hits or not (wide or rule.message_any.search(low)):
                continue
            if parts is None:
                found = rule.message.search(text)
                found = () if found is None else (found,)
            else:
                # only the patterns whose anchors the text holds (its pieces' bits — sorted out above —, or their
                # literal scan); each one's match, leftmost first (the first pattern on a tie): the first whose
                # clause it may stand in counts (「收到了 电池健康才78啊 你不是说88吗」: the contrast ending in the
                # question gives way to 「才78」)
                found = ()
                for part in parts:
                    if wide:
                        rx = part
                    elif part[2].search(low):
                        rx = part[1]
                    else:
                        continue
                    if (m2 := rx.search(text)) is not None:
                        found = [m2] if not found else found + [m2]
                if len(found) > 1:
                    found.sort(key=_MATCH_START)      # (stable: the first pattern on a tie)
            for mm in found:
                end = mm.end()
                j = next((j for j in range(len(cl) - 1, -1, -1) if _start(cl, j, pieces, offs, keep) < end), 0)
                c0 = cl[j][6]
                if not (rule.assertion and (c0.question or c0.conditional)) and \
                        not (rule.unless is not None and rule.unless.search(c0.text)):
                    hits[i] = (rule, j, mm.group())
                    break
    # a bare 「不行」「可以」 as the first clause (its anchors are there), or as the second after a filler
    # (「好的，没问题」); 「好的」 alone is a weak reply (it answers requests, not questions or suggestions); an
    # answer pattern (「我给他少十块」) in any clause: {rule index: (True strong / False weak / None answer, clause index)}
    # (each clause's bare, weak and answer forms are found once per piece: ``_piece_forms``)
    reply_ok = _NO_DICT
    at = 0
    if bits & _B_FORMS:
        reply_ok = {}
        tries = [0, 1] if len(cl) > 1 and cl[0][11] & _B_FILLER else [0]
        for i in R.replies:
            rule = kinds[i]
            if i in hits or (rule.unless is not None and rule.unless.search(text)):
                continue
            for j in reversed(tries):
                if i in cl[j][7][0]:
                    reply_ok[i] = (True, j)
                    at = j
                    break
            else:
                if i in cl[0][7][1]:
                    reply_ok[i] = (False, 0)
                elif rule.reply_answer is not None:
                    j = next((j for j, info in enumerate(cl) if i in info[7][2]), None)
                    if j is not None:
                        reply_ok[i] = (None, j)
    follow_hits = _NO_DICT
    if bits & _B_FOLLOW:
        for i in R.follows:                          # weaker words that count after the speaker's own lure
            rule = kinds[i]
            if i in hits:
                continue
            for j, info in enumerate(cl):
                if i in info[9]:     # (found per piece: ``_piece_forms``)
                    if follow_hits is _NO_DICT:
                        follow_hits = {}
                    follow_hits[i] = (rule, j, info[9][i])
                    break
    # an echo (「八点也行」「两点没问题」): the first clause (or the second after a filler) restates part of what the other
    # side put up and accepts it — {rule index: (clause index, the restated words)}; the dialogue checks the words
    echo_hits = _NO_DICT
    if R.echoes and bits & _B_ECHO:      # (found per piece: ``_piece_echoes``)
        tries = [0, 1] if len(cl) > 1 and cl[0][11] & (_B_FILLER | _B_YES) else [0]
        for i in R.echoes:
            if i in hits or (i in reply_ok and reply_ok[i][0] is not False):     # a weak 「好的，」 may precede it
                continue
            for j in tries:
                e = cl[j][10].get(i)
                if e is not None:
                    if echo_hits is _NO_DICT:
                        echo_hits = {}
                    echo_hits[i] = (j, e[0], e[1])
                    at = j
                    break
    # a bare yes, then the amount the other side named, then anything (「行 1800 今晚拍明早发」「行吧 620 能先发货吗」): an echo of
    # the amount for the rules with ``[kind.reply] yes_amount`` (the dialogue checks that the other side named it)
    if R.yes_amount and len(cl) > 1 and cl[0][11] & _B_YES and (ma := _LEAD_AMOUNT.match(cl[1][0])) is not None:
        for i in R.yes_amount:
            if i not in hits and i not in echo_hits:
                if echo_hits is _NO_DICT:
                    echo_hits = {}
                echo_hits[i] = (1, ma.group(1), True)
                at = 1
    if not hits and not reply_ok and not follow_hits and not echo_hits:
        return text, cl, None, (), hits, _NO_DICT, _NO_SET, {}, _NO_DICT, False, _NO_DICT
    cand = {*hits, *reply_ok, *follow_hits, *echo_hits}
    blocked = _NO_SET
    maybe = R.blockable.intersection(cand)
    if maybe:
        for i in maybe:     # a word anywhere in the message cancels the kind
            if wide:
                lit_bit, other = R.block_split[i]
                hit = bits & lit_bit or (other is not None and bits & other[0] and other[1].search(text))
            else:
                pre = R.block_pre[i]
                hit = (pre is None or pre.search(text)) and kinds[i].unless_message.search(text)
            if hit:
                if blocked is _NO_SET:
                    blocked = set()
                blocked.add(i)
    return text, cl, None, tuple(sorted(cand)), hits, reply_ok, blocked, {}, follow_hits, len(cl) == at + 1, echo_hits


def _start(cl, j, pieces, offs, keep) -> int:
    """Offset in the message of clause ``j`` of ``cl`` (pieces as cut, their offsets or None when contiguous,
    the indices of the non-empty pieces or None when all are)."""
    k = keep[j] if keep is not None else j
    return (offs[k] if offs is not None else sum(map(len, pieces[:k]))) + cl[j][1]


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
