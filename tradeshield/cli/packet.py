"""packet: the upload set, messages, signed bundle and report in one folder."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, QuietOpt, Table, start


@app.command()
def packet(
    output: Annotated[Path, typer.Option("-o", "--output", help="Packet folder (replaced only when all succeeded).")],
    scenario: Annotated[Optional[str], typer.Option(help="Statement scenario, see `tradeshield statement --list`.")] = None,
    max_images: Annotated[Optional[int], typer.Option("--max-images", help="Images the form accepts (default 6).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Characters per message (default 200).")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Assemble the rebuttal packet: upload images, numbered messages, signed bundle, report.html.  / 生成申诉材料包。

    Example: tradeshield packet --scenario seller-refund-after-discount -o ../packet/
    """
    from tradeshield.evidence.case import Case
    from tradeshield.packet import build_packet

    out = start(lang, json_out, quiet)
    with out.progress() as cb:
        res = build_packet(Case.find(case), output, scenario=scenario, lang=lang and i18n.normalize(lang),
                           max_images=max_images, limit=limit, progress=cb)

    def render(con):
        t = Table(show_edge=False, title=i18n.t("cli.packet.title", path=str(output)))
        for col in ("file", "kind", "size"):
            t.add_column(i18n.t("cli.packet.col." + col))
        for u in res["upload"]:
            t.add_row("upload/" + u["name"], u["kind"], f"{u['width']}×{u['height']}, {u['bytes'] // 1024} KB")
        t.add_row("messages.txt", "messages", i18n.t("cli.packet.messages", n=res["messages"]["count"],
                                                      limit=res["messages"]["limit"]))
        t.add_row("case.zip", "bundle", res["seal_code"])
        t.add_row("report.html", "report", "")
        con.print(t)
        for line in res["left_out"]:
            out.note(line)
        for m in res["messages"]["missing"]:
            out.note(i18n.t("cli.packet.missing", what=m.get("fact") or m.get("name") or str(m), how=m.get("how", "")))
        if res["messages"].get("error"):
            out.note(res["messages"]["error"])

    out.emit(res, render)


i18n.register({
    "cli.packet.title": ("材料包：{path}", "packet: {path}"),
    "cli.packet.col.file": ("文件", "file"), "cli.packet.col.kind": ("内容", "content"), "cli.packet.col.size": ("大小", "size"),
    "cli.packet.messages": ("{n} 条，每条 ≤ {limit} 字", "{n} messages, each ≤ {limit}"),
    "cli.packet.missing": ("缺少：{what} — {how}", "missing: {what} — {how}"),
})
