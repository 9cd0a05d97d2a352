"""Lint a dispute draft: words platforms mask or that backfire, and a weak first message.

Kinds: insults, threats (报警/起诉/曝光), absolute claims (全是假的), attacks on the platform or the other
side (为虎作伥, 恶意讹诈, 勒索, 来路不明), off-platform lures (加我微信…私下解决) and words seen masked.

    >>> from tradeshield.lint import lint_text
    >>> report = lint_text("这个贩子太无耻了，收货后要求退款。")
    >>> [(f.word, f.kind) for f in report.findings]
    [('贩子', 'masked'), ('无耻', 'masked')]
    >>> [w.code for w in report.warnings]
    ['first-no-date', 'first-no-fact']

Words come from ``tradeshield/data/lint_words.toml`` (zh and en, each with a neutral
alternative; edit it without touching code). A hit inside a quotation is reported as
``quoted``: it is the other side's words, kept as evidence, but the platform may still mask it.
The first message is what jurors read, so it should carry a date and a concrete fact.
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field


from tradeshield import data, i18n
from tradeshield.errors import InputError
from tradeshield.split import quote_spans, split_text

KINDS = ("insult", "threat", "absolute", "attack", "off-platform", "masked")

i18n.register({
    "lint.kind.insult": ("侮辱性词语", "insult"),
    "lint.kind.threat": ("威胁性语句", "threat"),
    "lint.kind.absolute": ("绝对化用语", "absolute claim"),
    "lint.kind.masked": ("平台会屏蔽的词", "word platforms mask"),
    "lint.kind.attack": ("攻击平台或对方", "attack on the platform or the other side"),
    "lint.kind.off-platform": ("引导到平台外", "off-platform lure"),
    "lint.first-no-date": ("第一条消息没有日期：评审可能只读第一条，请写明关键事件的日期时间",
                           "the first message has no date: jurors may read only that one, so give the key event's date"),
    "lint.first-no-fact": ("第一条消息没有具体事实（金额、订单号、时间、原话引用）",
                           "the first message has no concrete fact (amount, order number, time, quoted words)"),
    "lint.bad_words_file": ("词表文件无法读取：{reason}", "the word list cannot be read: {reason}"),
})

_DATE = re.compile(r"\d{4}\s?[-/.年]\s?\d{1,2}\s?[-/.月]\s?\d{1,2}|\d{1,2}\s?月\s?\d{1,2}\s?日|"
                   r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}\b|"
                   r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")
_FACT = re.compile(r"[¥￥$]\s?\d|\d+(?:\.\d+)?\s?(?:元|块|yuan|RMB|CNY)|\d{1,2}[:：]\d{2}|\d{6,}|TS1-|"
                   r"[0-9a-f]{12,}|「[^」]+」|“[^”]+”|\"[^\"]+\"")


@dataclass(frozen=True)
class Word:
    text: str
    lang: str
    kind: str
    alt: str


@dataclass
class Finding:
    word: str
    kind: str
    alt: str
    start: int
    line: int
    col: int
    quoted: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Warning_:
    code: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    first_message: str = ""

    @property
    def clean(self) -> bool:
        return not self.findings and not self.warnings

    def to_dict(self) -> dict:
        return {"clean": self.clean, "findings": [f.to_dict() for f in self.findings],
                "warnings": [w.to_dict() for w in self.warnings], "first_message": self.first_message}


@functools.lru_cache(maxsize=1)
def load_words() -> tuple[Word, ...]:
    from tradeshield.tomlcompat import loads

    try:
        raw = data.path("lint_words.toml").read_text(encoding="utf-8")
        entries = loads(raw)["word"]
        return tuple(Word(e["text"], e["lang"], e["kind"], e["alt"]) for e in entries)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError("lint.bad_words_file", reason=str(e)) from None


def _pattern(word: str) -> re.Pattern:
    esc = re.escape(word)
    if word.isascii():  # whole words only: "scam" must not hit "scampi", "SB" not "SBC"
        return re.compile(r"(?<![A-Za-z0-9])" + esc + r"(?![A-Za-z0-9])", re.I)
    return re.compile(esc)


def find_words(text: str, lang: str | None = None) -> list[Finding]:
    """Every listed word in ``text``; a span matched by two entries is reported once."""
    quotes = quote_spans(text)
    hits: dict[tuple[int, int], Finding] = {}
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for w in sorted(load_words(), key=lambda w: (w.lang != lang, -len(w.text))):
        for m in _pattern(w.text).finditer(text):
            if any(s <= m.start() < e for s, e in hits) or (m.start(), m.end()) in hits:
                continue
            line = next(i for i in range(len(line_starts), 0, -1) if line_starts[i - 1] <= m.start())
            quoted = any(s < m.start() and m.end() < e for s, e in quotes)
            hits[(m.start(), m.end())] = Finding(m.group(), w.kind, w.alt, m.start(), line,
                                                 m.start() - line_starts[line - 1] + 1, quoted)
    return sorted(hits.values(), key=lambda f: f.start)


def check_first(first: str, lang: str | None = None) -> list[Warning_]:
    out = []
    if not _DATE.search(first):
        out.append(Warning_("first-no-date", i18n.t("lint.first-no-date", lang)))
    if not _FACT.search(first):
        out.append(Warning_("first-no-fact", i18n.t("lint.first-no-fact", lang)))
    return out


def lint_text(text: str, limit: int | None = None, count: str = "utf16", lang: str | None = None,
              messages: list[str] | None = None) -> LintReport:
    """Findings for the whole text, and warnings for its first message (as the splitter cuts it)."""
    if messages is None:
        try:
            messages = split_text(text, limit=limit, count=count).parts
        except InputError:  # an unbreakable run: judge the opening lines instead
            messages = [text[: limit or 200]]
    first = messages[0] if messages else ""
    return LintReport(find_words(text, lang), check_first(first, lang) if text.strip() else [], first)
