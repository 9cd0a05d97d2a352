"""Dispute statements written from the case's stored facts, never from guesses.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.statement import build_statement, save_statement
    >>> case = Case.find()                                                     # doctest: +SKIP
    >>> st = build_statement(case, "seller-refund-after-discount", lang="zh")  # doctest: +SKIP
    >>> st.missing          # facts the scenario needs and how to supply each   # doctest: +SKIP
    []
    >>> st.split.messages[0]                                                    # doctest: +SKIP
    '（1/4）订单1234567890（海信A5Pro，成交价¥1100）：买家于2021-05-29 20:01要求优惠¥50 …'
    >>> save_statement(case, st)                                                # doctest: +SKIP

Scenarios live in ``templates/scenarios.toml`` (role, title, required and optional facts);
each has one Jinja2 template per language, ``<scenario>.<lang>.j2``. The first paragraph of a
template is the summary and becomes message 1 on its own; blank lines separate paragraphs and
the lines of a paragraph are joined. Facts are gathered by ``tradeshield.statement_facts``.

What a reviewer reads: the case's flagged patterns (``timeline.find_patterns``) strongest first,
each once (``patterns(skip=…)`` in a template); each chat message quoted once (``q``); no
sentence twice; no file paths, hashes or tool names — the one seal code and its time suffice.
Messages break only at sentence ends (``split_text(breaks="sentence")``), so each stands alone.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tradeshield import i18n
from tradeshield.errors import InputError, UsageError
from tradeshield.evidence.fsutil import write_bytes
from tradeshield.split import SplitResult, split_text
from tradeshield.statement_facts import Fact, format_gap, gather_facts, how_to_supply, is_after, _parse

i18n.register({
    "statement.unknown_scenario": ("未知场景：{name}（用 tradeshield statement --list 查看）",
                                   "unknown scenario: {name} (see tradeshield statement --list)"),
    "statement.no_templates": ("找不到模板目录（templates/）：安装不完整？", "templates/ not found: broken install?"),
    "statement.bad_index": ("场景索引无法读取：{reason}", "the scenario index cannot be read: {reason}"),
    "statement.bad_template": ("模板出错：{name}（{reason}）", "template error: {name} ({reason})"),
    "statement.no_text": ("模板没有生成任何文字：{name}", "the template produced no text: {name}"),
})


def templates_dir() -> Path:
    """The statement templates (``tradeshield.data.templates_dir``)."""
    from tradeshield import data

    found = data.templates_dir()
    if found is None:
        raise UsageError("statement.no_templates")
    return found


@dataclass
class Scenario:
    name: str
    role: str                     # seller / buyer / any
    title: dict                   # {"zh": …, "en": …}
    required: list[str]
    optional: list[str]

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "title": self.title, "required": self.required,
                "optional": self.optional}


def scenarios() -> dict[str, Scenario]:
    from tradeshield.tomlcompat import loads

    try:
        data = loads((templates_dir() / "scenarios.toml").read_text(encoding="utf-8"))
        return {name: Scenario(name, d["role"], {"zh": d["title_zh"], "en": d["title_en"]},
                               list(d["required"]), list(d.get("optional", [])))
                for name, d in data["scenario"].items()}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError("statement.bad_index", reason=str(e)) from None


def get_scenario(name: str) -> Scenario:
    all_ = scenarios()
    if name not in all_:
        raise UsageError("statement.unknown_scenario", name=name)
    return all_[name]


@dataclass
class Missing:
    fact: str
    description: str
    how: str

    def to_dict(self) -> dict:
        return {"fact": self.fact, "description": self.description, "how": self.how}


@dataclass
class Statement:
    scenario: Scenario
    lang: str
    text: str = ""
    split: SplitResult | None = None
    facts: dict[str, Fact] = field(default_factory=dict)       # the facts the template could use
    missing: list[Missing] = field(default_factory=list)
    lint: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.missing

    def sources(self) -> list[str]:
        return sorted({s for f in self.facts.values() for s in f.sources})

    def to_dict(self) -> dict:
        return {"scenario": self.scenario.name, "lang": self.lang, "ok": self.ok,
                "missing": [m.to_dict() for m in self.missing], "text": self.text,
                "split": self.split.to_dict() if self.split else None,
                "facts": {k: f.to_dict() for k, f in sorted(self.facts.items())}, "lint": self.lint}


def missing_facts(scenario: Scenario, facts: dict[str, Fact], lang: str) -> list[Missing]:
    return [Missing(name, i18n.t(f"fact.{name}", lang), how_to_supply(name, lang))
            for name in scenario.required if name not in facts]


def build_statement(case, scenario: str, lang: str = "zh", limit: int | None = None,
                    count: str = "utf16") -> Statement:
    """Render ``scenario`` from the case's facts and split it; ``missing`` lists what is absent."""
    from tradeshield.lint import lint_text

    sc = get_scenario(scenario)
    lang = i18n.normalize(lang)
    facts = gather_facts(case, lang)
    st = Statement(sc, lang, facts={k: v for k, v in facts.items() if k in sc.required or k in sc.optional
                                    or k in _ALWAYS})
    st.missing = missing_facts(sc, facts, lang)
    if st.missing:
        return st
    paragraphs = dedupe_sentences(render_paragraphs(sc, lang, facts, case))
    st.text = "\n\n".join(paragraphs)
    st.split = _split_with_summary(st.text, paragraphs, limit, count, lang)
    st.lint = lint_text(st.text, limit=limit, count=count, lang=lang, messages=st.split.parts).to_dict()
    return st


_ALWAYS = ("role", "platform")


def _split_with_summary(text: str, paragraphs: list[str], limit, count: str, lang: str) -> SplitResult:
    """Message 1 is the summary paragraph alone when it fits; every message ends a sentence when possible."""
    for breaks in ("sentence", "any"):
        if len(paragraphs) > 1:
            try:
                return split_text(text, limit=limit, count=count, style=lang, first_break=len(paragraphs[0]) + 2,
                                  breaks=breaks)
            except InputError:
                pass
        try:
            return split_text(text, limit=limit, count=count, style=lang, breaks=breaks)
        except InputError:
            if breaks == "any":
                raise
    raise AssertionError("unreachable")


def render_paragraphs(sc: Scenario, lang: str, facts: dict[str, Fact], case) -> list[str]:
    import jinja2

    env = jinja2.Environment(loader=_ParagraphLoader(str(templates_dir())), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.ChainableUndefined, autoescape=False)
    name = f"{sc.name}.{lang}.j2"
    from tradeshield.timeutil import format_offset

    values = _Values({k: f.value for k, f in facts.items()})
    quoted: set = set()
    pats = statement_patterns(case, facts, lang)
    used: set = set()

    def patterns(*skip):
        out = [p["text"] for p in pats if p["code"] not in skip and p["code"] not in used]
        used.update(p["code"] for p in pats)
        return out

    helpers = {"f": values, "gap": lambda a, b: format_gap(a, b, lang), "q": lambda ev: quote(ev, lang, quoted),
               "seen": lambda ev: _key(ev) in quoted, "after": is_after, "patterns": patterns,
               "has": lambda code: any(p["code"] == code for p in pats),
               "zone": "UTC" + format_offset(case.tz), "role": case.info.get("role"), "lang": lang}
    try:
        raw = env.get_template(name).render(**helpers)
    except jinja2.TemplateError as e:
        raise UsageError("statement.bad_template", name=name, reason=str(e)) from None
    joiner = "" if lang == "zh" else " "
    paragraphs = []
    for block in raw.split(_PARA):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if lines:
            paragraphs.append(joiner.join(lines))
    if not paragraphs:
        raise UsageError("statement.no_text", name=name)
    return paragraphs


_PARA = "\x1e"   # a blank line in a template's source; trim_blocks would otherwise eat it


def _paragraph_loader():
    import jinja2

    class Loader(jinja2.FileSystemLoader):
        def get_source(self, environment, template):
            src, path, uptodate = super().get_source(environment, template)
            return re.sub(r"\n[ \t]*\n", "\n" + _PARA + "\n", src), path, uptodate
    return Loader


def _ParagraphLoader(path: str):
    return _paragraph_loader()(path)


class _Values(dict):
    """Facts for templates: ``f.name`` is the value, or None when the case lacks it."""

    def __getattr__(self, name):
        return self.get(name)


QUOTE_MAX = 60


def _key(ev) -> str:
    return f"{ev.get('time')}|{ev.get('text')}" if isinstance(ev, dict) else ""


def quote(ev: dict | None, lang: str, seen: set | None = None) -> str:
    """A chat quote with its sender and time; long text is cut with an ellipsis inside the marks.

    A message already quoted in this statement is referred to by its time instead of quoted again."""
    if not ev or not ev.get("text"):
        return ""
    sender = ev.get("sender") or ""
    if seen is not None:
        if _key(ev) in seen:
            return f"{sender}{ev['when']} 的消息（原话见上）" if lang == "zh" else \
                f"{sender}'s message of {ev['when']} (quoted above)"
        seen.add(_key(ev))
    text = " ".join(str(ev["text"]).split())
    if len(text) > QUOTE_MAX:
        text = text[: QUOTE_MAX - 1] + "…"
    text = _inner_quotes(text, lang)
    if lang == "zh":
        return f"{sender}（{ev['when']}）：「{text}」"
    return f"{sender} ({ev['when']}): “{text}”"


def _inner_quotes(text: str, lang: str) -> str:
    text = " ".join(text.split())
    if lang == "zh":
        return text.replace("「", "『").replace("」", "』")
    return text.replace("“", "‘").replace("”", "’").replace('"', "'")


def statement_patterns(case, facts: dict, lang: str) -> list[dict]:
    """The timeline's flagged patterns that speak for the user, strongest first, as statement sentences."""
    from tradeshield.timeline import build_timeline
    from tradeshield.timeutil import format_duration, show_time

    role = case.info.get("role")
    for_role = {"seller": ("refund-after-refused-discount", "late-evidence", "late-defect-claim", "imei-match",
                           "sealed-before-shipping", "signed-for", "off-platform"),
                "buyer": ("off-platform",)}.get(role, ())
    out, done = [], set()
    for p in build_timeline(case)["patterns"]:
        code, prm = p["code"], p.get("params", {})
        if code not in for_role or code in done:
            continue
        if code == "signed-for" and not prm.get("signer"):
            continue   # "signed for" alone repeats the delivery time; it matters when the record names who
        done.add(code)
        shown = {k: show_time(v, case.tz, offset=False) if isinstance(v, str) and _parse(v) else v
                 for k, v in prm.items()}
        if "seconds" in prm:
            shown["gap"] = format_duration(prm["seconds"], lang)
        for k in ("note", "matched"):      # words put inside quotation marks keep no marks of their own
            if isinstance(shown.get(k), str):
                shown[k] = _inner_quotes(shown[k], lang)
        if code == "imei-match":
            shipped = _parse(facts["shipped"].value["time"]) if "shipped" in facts else None

            def src_key(src):   # "before shipping" only when the photo's time shows it
                t = _parse(src.get("time"))
                before = shipped is not None and t is not None and t <= shipped
                return f"stmt.src.{src['kind']}" + ("" if before else "_any")

            names = [i18n.t(src_key(s), lang, time=show_time(s["time"], case.tz, offset=False))
                     for s in prm.get("sources", []) if s.get("time")]
            if len(names) < 2:
                continue
            shown["sources"] = "、".join(names) if lang == "zh" else ", ".join(names[:-1]) + " and " + names[-1]
        if code == "signed-for":
            shown["signer"] = i18n.t("stmt.signer", lang, name=prm["signer"]) if prm.get("signer") else ""
        if code == "refund-after-refused-discount" and not prm.get("explicit_refusal"):
            code_key = "refund-after-discount"
        else:
            code_key = code
        out.append({"code": code, "text": i18n.t(f"stmt.p.{code_key}", lang, **shown)})
    return out


_SENTENCE_END = re.compile(r"[。！？]|(?<=[.!?])(?=\s|$)")


def sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences (quotations, numbers and dates are never cut)."""
    from tradeshield.split import SENTENCE, break_points

    cuts = [0] + [p for p, lv in break_points(paragraph) if lv <= SENTENCE] + [len(paragraph)]
    return [paragraph[a:b].strip() for a, b in zip(cuts, cuts[1:]) if paragraph[a:b].strip()]


def dedupe_sentences(paragraphs: list[str]) -> list[str]:
    """Each sentence once: a later copy of a sentence already said is dropped (so is an emptied paragraph)."""
    seen, out = set(), []
    for para in paragraphs:
        keep = []
        for snt in sentences(para):
            norm = re.sub(r"\s+", "", snt)
            if norm in seen:
                continue
            seen.add(norm)
            keep.append(snt)
        if keep:
            joiner = "" if all(_is_cjk_end(x) for x in keep[:-1]) else " "
            out.append(joiner.join(keep))
    return out


def _is_cjk_end(sentence: str) -> bool:
    return sentence.rstrip("」』”’》）)")[-1:] in "。！？；，、：" or sentence[-1:] in "」』"


def statement_text(st: Statement) -> str:
    """The file form: each message followed by a blank line, ready to copy one by one."""
    return "\n\n".join(st.split.messages) + "\n"


def save_statement(case, st: Statement, now: dt.datetime | None = None) -> list[Path]:
    """statements/<time>-<scenario>-<lang>.txt and .json (provenance); atomic, logged, never overwriting."""
    stamp = (now or dt.datetime.now(case.tz)).strftime("%Y%m%d-%H%M%S")
    base = case.statements_dir / f"{stamp}-{st.scenario.name}-{st.lang}"
    n = 1
    while base.with_suffix(".txt").exists():
        n += 1
        base = case.statements_dir / f"{stamp}-{st.scenario.name}-{st.lang}-{n}"
    txt, meta = base.with_suffix(".txt"), base.with_suffix(".json")
    write_bytes(txt, statement_text(st).encode("utf-8"))
    write_bytes(meta, (json.dumps(st.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    case.record_derived([txt, meta], action="statement", sources=st.sources(),
                        params={"scenario": st.scenario.name, "lang": st.lang, "limit": st.split.limit,
                                "count": st.split.count})
    return [txt, meta]


i18n.register({
    "stmt.p.refund-after-refused-discount": ("买家 {discount} 要求降价，{refused} 被拒后仅{gap}（{refund}）即申请退款。",
                                             "The buyer asked for a lower price at {discount}; {gap} after it was refused ({refused}), a refund was requested ({refund})."),
    "stmt.p.refund-after-discount": ("买家 {discount} 要求降价，仅{gap}后（{refund}）即申请退款。",
                                     "The buyer asked for a lower price at {discount} and requested a refund {gap} later ({refund})."),
    "stmt.p.late-evidence": ("买家在签收{gap}后（{time}）才提交新证据：「{note}」。",
                             "The buyer submitted new evidence only {gap} after receipt ({time}): “{note}”."),
    "stmt.p.late-defect-claim": ("买家在签收{gap}后（{claim}）才首次声称有质量问题。",
                                 "The buyer first claimed a defect {gap} after receipt ({claim})."),
    "stmt.p.imei-match": ("IMEI {imei} 在{sources}中一致。", "IMEI {imei} is the same in {sources}."),
    "stmt.p.sealed-before-shipping": ("全部证据在发货前（{sealed}）已封存，发货时间为 {shipped}。",
                                      "All evidence was sealed before shipping ({sealed}); it shipped at {shipped}."),
    "stmt.p.signed-for": ("物流记录显示 {time} 已签收{signer}。", "The courier record shows it signed for at {time}{signer}."),
    "stmt.p.off-platform": ("对方曾要求平台外联系或付款：「{matched}」（{time}）。",
                            "The other side asked to move off the platform: “{matched}” ({time})."),
    "stmt.signer": ("（签收人：{name}）", " (signed by {name})"),
    "stmt.src.photo": ("发货前照片（{time}）", "the photo before shipping ({time})"),
    "stmt.src.video": ("发货前视频（{time}）", "the video before shipping ({time})"),
    "stmt.src.photo_any": ("照片（{time}）", "the photo ({time})"),
    "stmt.src.video_any": ("视频（{time}）", "the video ({time})"),
})
