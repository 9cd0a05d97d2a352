"""Commands: statement (dispute statements from case facts), split (any text → messages), lint."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, Rule, Table, start
from tradeshield.config import LIMITS

LimitOpt = Annotated[int, typer.Option("--limit", help="Max units per message, numbering included. / 每条上限。")]
CountOpt = Annotated[str, typer.Option("--count", help="How the platform counts: utf16 (web text box), codepoints "
                                                       "or bytes. / 计数方式。")]

i18n.register({
    "cli.statement.missing": ("缺少 {n} 项必需事实，未生成陈述（不会编造）：", "{n} required facts are missing, so no "
                              "statement was written (nothing is invented):"),
    "cli.statement.saved": ("已保存：{path}", "saved: {path}"),
    "cli.statement.need_scenario": ("请用 --scenario 指定场景，或用 --list 查看", "give --scenario, or see --list"),
    "cli.col.scenario": ("场景", "scenario"), "cli.col.role": ("角色", "role"), "cli.col.title": ("说明", "title"),
    "cli.col.required": ("必需事实", "required facts"),
    "cli.statement.needs": ("需要：{need}", "needs: {need}"), "cli.col.fact": ("事实", "fact"),
    "cli.col.how": ("如何补充", "how to supply it"), "cli.col.word": ("词", "word"),
    "cli.col.alt": ("建议改为", "say instead"), "cli.col.where": ("位置", "where"),
    "cli.lint.clean": ("未发现问题", "nothing found"),
    "cli.lint.quoted": ("（引用原话中）", "(inside a quotation)"),
    "cli.split.bad_encoding": ("无法识别文本编码：{path}（请另存为 UTF-8）", "cannot read the text encoding of {path} "
                               "(save it as UTF-8)"),
    "cli.split.total": ("共 {n} 条，每条不超过 {limit}（{count}）", "{n} messages, each at most {limit} ({count})"),
})


def _render_messages(con, split) -> None:
    for i, (msg, units) in enumerate(zip(split.messages, split.counts), 1):
        con.print(Rule(f"{i}/{len(split.messages)} · {units}/{split.limit}", align="left", style="cyan"))
        con.print(msg, markup=False, highlight=False)
    con.print(Rule(style="cyan"))
    con.print(i18n.t("cli.split.total", n=len(split.messages), limit=split.limit, count=split.count), style="dim")


def _render_lint(con, lint: dict) -> None:
    if not lint["findings"] and not lint["warnings"]:
        return
    t = Table(show_edge=False)
    for col in ("where", "word", "kind", "alt"):
        t.add_column(i18n.t("cli.col." + col))
    for f in lint["findings"]:
        quoted = " " + i18n.t("cli.lint.quoted") if f["quoted"] else ""
        t.add_row(f"{f['line']}:{f['col']}", f["word"], i18n.t("lint.kind." + f["kind"]) + quoted, f["alt"])
    if lint["findings"]:
        con.print(t)
    for w in lint["warnings"]:
        con.print("! " + w["message"], style="yellow", markup=False)


@app.command()
def statement(
    scenario: Annotated[Optional[str], typer.Option("--scenario", "-s", help="Which statement; see --list. / 场景。")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List scenarios and the facts each needs. / 列出场景。")] = False,
    limit: LimitOpt = LIMITS.message_chars, count: CountOpt = "utf16",
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not write statements/. / 不保存。")] = False,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Write a calm dispute statement from the case's facts, split into numbered messages.  / 依据案件事实生成申诉陈述。

    Facts come only from the case; when a required fact is missing, it is listed with the command that supplies it
    and nothing is written (exit 1). --lang picks the statement's language.

    Example: tradeshield statement --scenario seller-refund-after-discount --limit 200
    """
    from tradeshield.evidence.case import Case
    from tradeshield.errors import UsageError
    from tradeshield.statement import build_statement, save_statement, scenarios

    out = start(lang, json_out)
    ui = i18n.get_lang()
    if list_:
        scs = scenarios()
        out.emit([s.to_dict() for s in scs.values()], lambda con: _render_scenarios(con, scs, ui))
        return
    if not scenario:
        raise UsageError("cli.statement.need_scenario")
    c = Case.find(case)
    st = build_statement(c, scenario, lang=ui, limit=limit, count=count)
    if not st.ok:
        out.emit(st.to_dict(), lambda con: _render_missing(con, st))
        raise typer.Exit(1)
    paths = [] if no_save else save_statement(c, st)
    data = {**st.to_dict(), "saved": [str(p) for p in paths]}

    def render(con):
        _render_messages(con, st.split)
        _render_lint(con, st.lint)
        for p in paths[:1]:
            con.print(i18n.t("cli.statement.saved", path=str(p)), style="green", markup=False)

    out.emit(data, render)


def _render_scenarios(con, scs, ui: str) -> None:
    """One block per scenario (name to type, title, role; then the facts it needs), readable at 80 columns."""
    from tradeshield.labels import label

    sep = "、" if ui == "zh" else ", "
    for s in scs.values():
        con.print(f"{s.name}", style="bold cyan", markup=False, end="")
        con.print(f"  {s.title[ui]}（{label('role', s.role, ui)}）" if ui == "zh" else f"  {s.title[ui]} ({s.role})",
                  markup=False)
        need = sep.join(i18n.t(f"fact.{f}", ui) for f in s.required)
        con.print("  " + i18n.t("cli.statement.needs", need=need), style="dim", markup=False, soft_wrap=False)


def _render_missing(con, st) -> None:
    con.print(i18n.t("cli.statement.missing", n=len(st.missing)), style="yellow", markup=False)
    for m in st.missing:  # one line each, so the commands stay whole and copyable
        con.print(f"• {m.fact} — {m.description}", style="bold", markup=False)
        con.print(f"  {m.how}", markup=False)


def _read_text(path: Path) -> str:
    from tradeshield.errors import InputError
    from tradeshield.evidence.fsutil import check_input

    if str(path) == "-":
        import sys

        return sys.stdin.read()
    data = check_input(path).read_bytes()
    for enc in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("cli.split.bad_encoding", path=str(path))


@app.command()
def split(
    file: Annotated[Path, typer.Argument(help="Text file, or - for stdin. / 文本文件（- 为标准输入）。")],
    limit: LimitOpt = LIMITS.message_chars, count: CountOpt = "utf16",
    style: Annotated[Optional[str], typer.Option("--style", help="Numbering: zh （1/5） or en (1/5) "
                                                                 "(default: from the text). / 编号样式。")] = None,
    out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Also write the messages here. / 输出文件。")] = None,
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Split any text into the fewest numbered messages that fit the limit.  / 把任意文字拆成不超过上限的编号消息。

    Breaks at sentence ends, then clause marks, then spaces; never inside numbers, dates, amounts, URLs, order or
    tracking numbers, hashes, seal codes or quotations. A run that cannot be broken and is too long is an error.

    Example: tradeshield split my-draft.txt --limit 200 --count utf16
    """
    from tradeshield.evidence.fsutil import write_text
    from tradeshield.split import split_text

    out = start(lang, json_out)
    res = split_text(_read_text(file), limit=limit, count=count, style=style)
    if out_file:
        write_text(out_file, "\n\n".join(res.messages) + "\n")
    out.emit(res.to_dict(), lambda con: _render_messages(con, res))


@app.command()
def lint(
    file: Annotated[Path, typer.Argument(help="Draft to check, or - for stdin. / 草稿文件。")],
    limit: LimitOpt = LIMITS.message_chars, count: CountOpt = "utf16",
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Flag insults, threats, absolute claims and words platforms mask; check the first message.  / 检查措辞。

    Each finding has a neutral alternative. Exit 1 when something was found, 0 when clean.

    Example: tradeshield lint my-draft.txt
    """
    from tradeshield.lint import lint_text

    out = start(lang, json_out)
    text = _read_text(file)
    report = lint_text(text, limit=limit, count=count, lang=i18n.get_lang()).to_dict()

    def render(con):
        _render_lint(con, report)
        if report["clean"]:
            con.print(i18n.t("cli.lint.clean"), style="green")

    out.emit(report, render)
    if not report["clean"]:
        raise typer.Exit(1)
