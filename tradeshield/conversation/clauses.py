"""A chat message cut into clauses, and what each clause is: question, conditional, reported speech, negation.

    >>> from tradeshield.conversation.clauses import split_clauses, negated_before
    >>> [c.text for c in split_clauses("收到了，但是袖口有破损")]
    ['收到了', '但是袖口有破损']
    >>> c = split_clauses("能不能便宜点？")[0]
    >>> c.question, negated_before(c.text, c.text.index("便宜"))
    (True, False)
    >>> negated_before("这点我们无法同意", 6)
    True

Chinese chat clauses end at ，。！？；、~ and line breaks, at a space between two CJK characters, and
before 但是/不过/可是; English ones at , . ! ? ; and "but". Commas and dots between digits (1,100 / 3.5)
do not cut. Negation looks back from a trigger to the start of its clause, but stops at 就/才/那/的话/then
(「不退差价我就申请退货」: the 不 belongs to the condition, not to 申请退货), and skips the A-not-A
question forms (能不能, 可不可以, 是不是 …) and words that only look negative (不好意思, 不然, 不过 …).
"""
from __future__ import annotations

import re

_CJK = "\u3400-\u9fff\uf900-\ufaff"
# cut after these (kept with the clause before) — but not , or . between digits
# and at a space before a number after a finished phrase (「1200有点贵 1000吧」「那行吧 2700给你」; not 「定金 200」「最低 1950」)
_CUT = re.compile(r"(?<=[，。！？!?；;、~～…\n])|(?<=,)(?!\d)|(?<=\.)(?=\s|$|[" + _CJK + r"])|(?<=[" + _CJK + r"])\s+(?=[" + _CJK + r"])|"
                  r"(?<=[了吧啊呀哈呢贵行好吗嘛哦噢啦对错])\s+(?=\d)|"
                  r"(?<=[" + _CJK + r"])(?=但是|不过|可是)|(?<=\s)(?=(?i:but|however)\b)")    # (re.I only there: under re.I the
# compiler folds the case of each of a Han class's ~20,000 characters, ~3 ms a class — 12 ms of every process's start)
# text without spaces (line breaks are fine), ASCII , or . that could cut (not 1,100 / 6642.06) and 但是/不过/可是/but
# is cut at CJK punctuation and line breaks alone (the common case)
_PLAIN = re.compile(r"[^\S\n]|[,.](?!\d)|但是|不过|可是|(?i:but|however)")
# every _PLAIN match starts at one of these characters (whitespace but a line break — str.isspace —, , . 但 不 可 b h):
# searching for them first and trying _PLAIN only there is ~4x faster than _PLAIN.search on chat text
_WS_BUT_NL = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_PLAIN_AT = re.compile("[" + _WS_BUT_NL + ",.但不可bBhH]")


def plain_cut(text: str) -> bool:
    """``_PLAIN.search(text) is None``: the text is cut at CJK marks and line breaks alone."""
    at, match = _PLAIN_AT.search, _PLAIN.match
    m = at(text)
    while m is not None:
        p = m.start()
        if match(text, p) is not None:
            return False
        m = at(text, p + 1)
    return True


_PUNCT_PIECE = re.compile(r"[^，。！？!?；;、~～…\n]*[，。！？!?；;、~～…\n]|[^，。！？!?；;、~～…\n]+")   # cut after each mark, as _CUT
_TRIM = " \t\r\n，。！？!?；;、~～…,.\"'“”「」『』()（）"

# 「95行不」「能出不」「还在不」: a bare 不 after the verb asks (the A-not-A question cut short)
# … and 「过期没」「拆修过没」「到了没」: a bare 没 after the verb asks too (not 「还没」「一个都没」)
_QUESTION_END = re.compile(r"(?:[?？]|(?<![不])[吗么嘛][啊呀哈]?|呢|(?<=[\u4e00-\u9fff])(?<![也都就还绝决并我你他她了的不没])不|"
                           r"(?<=[\u4e00-\u9fff])(?<![也都就还绝决并我你他她的不没])没)\s*[。.!！]*$")
_A_NOT_A = re.compile(r"(能不能|可不可以|可以不可以|是不是|有没有|行不行|要不要|好不好|对不对|肯不肯|愿不愿意?|会不会|可否|"
                      r"退不退|给不给|发不发|卖不卖|同不同意|能否)")
# any verb or adjective asked as A-not-A (「亮点大不大」「亮不亮」「修没修过」), beyond the listed ones (not 「不不不」)
_X_NOT_X = re.compile(r"(?![不没])([\u4e00-\u9fff])[不没]\1")
_EN_QUESTION = re.compile(r"^(?:did|do|does|is|are|was|were|have|has|can|could|would|will|should|shall|may|why|what|how|when|where)\b",
                          re.I)
_CONDITIONAL = re.compile(r"如果|要是|假如|假设|万一|的话|只要|除非|\bif\b|\bunless\b|\bin case\b", re.I)
# who is being reported: somebody else said / suggested / wrote it
# (not 「跟你说的不符」, a comparison, nor 「你说的方案我同意」, a noun phrase)
_REPORTED = re.compile(r"(?<![跟和与比同])(?:你|您|他|她|他们|客服|对方|卖家|买家|平台|小二|人家|别人|官方|商家|店家|"
                       r"朋友|同学|同事|闺蜜|室友|家人|老公|老婆|我妈|我爸|邻居|网上|新闻|快递员|快递|物流|"
                       r"[\u4e00-\u9fff]{1,4}(?:中心|公司|部门|官方|客服)|[\u4e00-\u9fff]{0,4}(?:师傅|技师|工程师|店员|老板|医生|质检))(?:自己|们)?"
                       r"(?:都|也|明明|之前|刚才|当时|不是|已经|还|上次|以前|那天|昨天|刚|早就)?(?:说|说过|讲|讲过|建议|表示|称|声称|承诺过|答应过|写|写着|写的|提到|告诉我)"
                       r"(?!的?(?:方案|办法|条件|做法))|"
                       r"记录里|聊天记录|写着|原话|"
                       r"\b(?:you|he|she|they|support|customer service|the seller|the buyer|seller|buyer|the listing|the ad|the description)\s+"
                       r"(?:said|says|told me|suggested|claimed|promised|wrote)\b", re.I)
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|『[^』]*』|\"[^\"]*\"")
# negators (longest first) and the words that merely contain one
_NEG = re.compile(r"没有|无法|不能|不要|不会|不可以|不可|不用|不想|不是|别|未|没|不|拒绝|哪有|哪来的?|哪里有|"
                  r"\b(?:not|no|never|cannot|can't|won't|don't|doesn't|didn't|isn't|wasn't|aren't|haven't|hasn't|nothing)\b|n't\b",
                  re.I)
_NOT_NEG = re.compile(r"不好意思|不然|不过|不错|不少|不久|不停|不断|不仅|不管|要不然|要不|没事|没关系|差不多|不客气|不得不|"
                      r"实在不行|再不行|不行的话|没问题|没毛病|"
                      r"不一定|不见得|\bno problem\b|\bno worries\b|\bnot only\b", re.I)
# a new sub-clause for negation scope: 「不退我就投诉」「不交的话我报警」
_SCOPE = re.compile(r"就|才|那就|那|的话|否则|不然|\bthen\b|\bor\b|\botherwise\b", re.I)


class Clause:
    """One clause: ``text`` (trimmed), ``start`` (offset in the message), ``index`` (0-based), and — read only
    when asked, most clauses never are — ``question``, ``conditional``, ``reported`` (a reporting frame such as
    "你说…" / "客服建议…" anywhere in the clause)."""

    __slots__ = ("text", "start", "index", "_raw", "_q", "_c", "_r")

    def __init__(self, text: str, start: int, index: int, raw: str = ""):
        self.text, self.start, self.index, self._raw = text, start, index, raw or text
        self._q = self._c = self._r = None

    @property
    def question(self) -> bool:
        if self._q is None:
            t, raw = self.text, self._raw
            self._q = bool(_QUESTION_END.search(raw) or _A_NOT_A.search(t) or _X_NOT_X.search(t)
                           or (_EN_QUESTION.match(t) and raw.endswith("?")))
        return self._q

    @property
    def conditional(self) -> bool:
        if self._c is None:
            self._c = bool(_CONDITIONAL.search(self.text))
        return self._c

    @property
    def reported(self) -> bool:
        if self._r is None:
            self._r = bool(_REPORTED.search(self.text))
        return self._r

    def reported_at(self, pos: int) -> bool:
        """Whether the text at ``pos`` is reported speech: after a reporting frame, or inside quotes."""
        for m in _QUOTED.finditer(self.text):
            if m.start() < pos < m.end():
                return True
        m = _REPORTED.search(self.text)
        return bool(m and m.start() <= pos)


def raw_pieces(text: str) -> list[tuple[int, str]]:
    """(offset, piece as cut, marks and spaces included) for each piece of ``text``, empty ones too."""
    if _PLAIN.search(text) is None:      # only CJK punctuation cuts here: one simple pass (the pieces are contiguous)
        out, a = [], 0
        for piece in _PUNCT_PIECE.findall(text):
            out.append((a, piece))
            a += len(piece)
        return out
    out, last = [], 0
    for m in _CUT.finditer(text):
        if m.end() == 0 or m.start() < last:
            continue
        out.append((last, text[last:m.start()]))
        last = m.end()
    out.append((last, text[last:]))
    return out


def piece_clause(piece: str):
    """(trimmed text, offset of it in ``piece``, raw text) of a piece, or None when nothing is left."""
    t = piece.strip(_TRIM)
    if not t:
        return None
    return t, len(piece) - len(piece.lstrip(_TRIM)), piece.rstrip(" \t\r\n")


def split_clauses(text: str) -> list[Clause]:
    out: list[Clause] = []
    if not text:
        return out
    for a, piece in raw_pieces(text):
        pc = piece_clause(piece)
        if pc is not None:
            out.append(Clause(pc[0], a + pc[1], len(out), pc[2]))
    return out


def _neutral(text: str) -> str:
    """``text`` with A-not-A questions and false negatives blanked out (same length)."""
    text = _A_NOT_A.sub(lambda m: "·" * len(m.group()), text)
    return _NOT_NEG.sub(lambda m: "·" * len(m.group()), text)


def negated_before(text: str, pos: int) -> bool:
    """Whether a negator stands between the start of the clause's current scope and ``pos``."""
    if _SCOPE.match(text, pos):       # the trigger opens a scope of its own: 「不退我就去举报」
        return False
    head = _neutral(text[:pos])
    cut = 0
    for m in _SCOPE.finditer(head):
        cut = m.end()
    return _NEG.search(head, cut) is not None


_POST_NEG = re.compile(r"^(?:不了|不出|不到|不起来|不成|没了)")
# a prohibitive or no-need negator opening a clause, after at most two of a subject and adverbs: 「不用加我微信」
# (「不要了」, no longer wanted, is no prohibition)
_PROHIBITED = re.compile(r"^(?:我|你|您|咱|咱们|我们|他|她|就|也|都|还|先|亲|可以){0,2}(?:不用|不要(?!了)|别|不必|无需|没必要|用不着|甭)|"
                         r"^(?:no need\b|don'?t\b|do not\b|never\b|please don'?t\b)", re.I)


def prohibited(text: str) -> bool:
    """Whether a prohibitive or no-need negator opens the clause ``text`` (「不用加我微信」「你就别加我微信了」, "don't …")."""
    return _PROHIBITED.match(text.strip()) is not None


def negated_after(text: str, end: int) -> bool:
    """「发不了」「便宜不了」: the verb negated right after it."""
    return _POST_NEG.match(text[end:]) is not None
