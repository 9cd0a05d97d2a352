"""Commands: events (list / confirm / reject the events read from the chat), fact add (a fact you state)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, Table, start

events_app = typer.Typer(help="Events read from the chat: list them, confirm or reject each. / 聊天中识别出的事件：查看、确认、否认。\n\n"
                              "Example: tradeshield events confirm 3fa9c1", invoke_without_command=True)
fact_app = typer.Typer(help="Facts you state yourself, such as the agreed requirement list. / 你自己陈述的事实。\n\n"
                            "Example: tradeshield fact add requirement \"首页栏目按我给的改\" --source chat:L12-14",
                       no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(fact_app, name="fact")

i18n.register({
    "cli.events.none": ("没有识别出事件（先运行 tradeshield chat 聊天记录.txt）", "no events found (run tradeshield chat export.txt first)"),
    "cli.events.hint": ("确认：tradeshield events confirm 编号；否认：tradeshield events reject 编号。陈述只把已确认的内容当作约定。",
                        "confirm: tradeshield events confirm ID; reject: tradeshield events reject ID. Statements treat only confirmed items as agreed."),
    "cli.events.confirmed": ("已确认 {id} {kind}：{clause}", "confirmed {id} {kind}: {clause}"),
    "cli.events.rejected": ("已否认 {id} {kind}：{clause}", "rejected {id} {kind}: {clause}"),
    "cli.fact.added": ("已记录事实 {id} {kind}：{text}", "fact recorded {id} {kind}: {text}"),
    "cli.col.id": ("编号", "id"), "cli.col.who": ("谁", "who"),
    "cli.col.clause": ("原话（分句）", "clause"), "cli.col.money": ("金额", "money"),
    "events.status.suggested": ("待确认", "suggested"), "events.status.confirmed": ("已确认", "confirmed"),
    "events.status.rejected": ("已否认", "rejected"),
    "events.status.suggested.model": ("待确认（模型推测）", "suggested (model's guess)"),
    "events.who.me": ("我", "me"), "events.who.them": ("对方", "them"), "events.who.user": ("我（陈述）", "me (stated)"),
    "events.who.system": ("系统", "system"),
    # money terms' roles (docs/ARCHITECTURE.md "chat")
    "events.money.asking": ("要价", "asking"), "events.money.offer": ("出价", "offer"),
    "events.money.agreed": ("成交价", "agreed"), "events.money.deposit": ("定金", "deposit"),
    "events.money.refund": ("退款", "refund"), "events.money.discount": ("优惠", "discount"),
    "events.money.partial": ("部分价款", "partial"), "events.money.extra": ("加价", "extra"),
    "events.money.amount": ("金额", "amount"),
})


def _money(ev) -> str:
    parts = []
    for m in ev.get("money") or []:
        amt = "" if m.get("amount") is None else str(m["amount"])
        ref = {False: "不退" if i18n.get_lang() == "zh" else " non-refundable", True: "可退" if i18n.get_lang() == "zh" else " refundable"}.get(m.get("refundable"), "")
        role = m.get("role") or "amount"
        parts.append(f"{i18n.t('events.money.' + role) if i18n.has('events.money.' + role) else role} {amt}{ref}".strip())
    return ", ".join(parts)


def _lines(ev) -> str:
    lines = (ev.get("ref") or {}).get("lines") or []
    return f"L{lines[0]}-{lines[-1]}" if lines and lines[0] is not None else ""


@events_app.callback()
def events(
    ctx: typer.Context,
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only this kind, e.g. requirement. / 只看某类。")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="suggested, confirmed or rejected. / 按状态筛选。")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """List the events read from the chat, with short ids.  / 列出聊天中识别出的事件（带编号）。

    Example: tradeshield events --kind requirement
    """
    if ctx.invoked_subcommand is not None:
        return
    from tradeshield.conversation.facts import case_events
    from tradeshield.evidence.case import Case

    out = start(lang, json_out)
    with out.progress(min_total=100_000) as cb:
        found = case_events(Case.find(case), progress=cb)
    evs = [e for e in found if (not kind or e["kind"] == kind) and (not status or e["status"] == status)]

    def render(con):
        from tradeshield.timeline import kind_label     # (the rules' zh_name / en_name; ``--kind`` takes the code)

        if not evs:
            con.print(i18n.t("cli.events.none"))
            return
        t = Table(show_edge=False)
        for col in ("id", "status", "time", "kind", "who", "clause", "lines", "money"):
            t.add_column(i18n.t("cli.col." + col), no_wrap=col in ("id", "lines"),
                         overflow="fold", ratio=3 if col == "clause" else None)
        for e in evs:
            st = e["status"] + (".model" if e["status"] == "suggested" and e.get("found") == "model" else "")
            t.add_row(e["id"][:6], i18n.t("events.status." + st), str(e.get("time") or "")[5:16].replace("T", " "),
                      kind_label(e["kind"]), i18n.t("events.who." + str(e.get("by") or "them")), e.get("clause") or e.get("text") or "",
                      _lines(e), _money(e))
        con.print(t)
        con.print(i18n.t("cli.events.hint"))

    out.emit(evs, render)


EventId = Annotated[str, typer.Argument(metavar="ID", help="The event's id (first 4+ characters). / 事件编号。")]


def _decide(short_id: str, status: str, case, json_out, lang) -> None:
    from tradeshield.conversation.facts import decide
    from tradeshield.evidence.case import Case
    from tradeshield.timeline import kind_label

    out = start(lang, json_out)
    ev = decide(Case.find(case), short_id, status)
    key = "cli.events.confirmed" if status == "confirmed" else "cli.events.rejected"
    out.emit(ev, lambda c: c.print(i18n.t(key, id=ev["id"][:6], kind=kind_label(ev["kind"]), clause=ev.get("clause", ""))))


@events_app.command("confirm")
def events_confirm(
    event_id: EventId, case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Confirm an event: statements may then present it as a fact.  / 确认事件。

    Example: tradeshield events confirm 3fa9c1
    """
    _decide(event_id, "confirmed", case, json_out, lang)


@events_app.command("reject")
def events_reject(
    event_id: EventId, case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Reject an event the reader got wrong: nothing cites it again.  / 否认事件（不再引用）。

    Example: tradeshield events reject 3fa9c1
    """
    _decide(event_id, "rejected", case, json_out, lang)


@fact_app.command("add")
def fact_add(
    kind: Annotated[str, typer.Argument(help="requirement, agreement, price-agreed, deposit-terms, delivery-promise, "
                                             "partial-delivery, discount-request, refund-request, … / 类型。")],
    text: Annotated[str, typer.Argument(help="The fact in your words, e.g. one agreed requirement. / 内容。")],
    time: Annotated[Optional[str], typer.Option("--time", help="When (case timezone), e.g. '2023-03-01 10:00'. / 时间。")] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="Chat lines it rests on, e.g. chat:L12-14. / 依据的聊天行。")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Record a fact you state (kept in the custody log), e.g. an agreed requirement.  / 记录你陈述的事实。

    Example: tradeshield fact add requirement "首页栏目按我给的改" --source chat:L12-14
    """
    from tradeshield.conversation.facts import add_fact
    from tradeshield.evidence.case import Case
    from tradeshield.timeline import kind_label

    out = start(lang, json_out)
    f = add_fact(Case.find(case), kind, text, time=time, source=source)
    out.emit(f, lambda c: c.print(i18n.t("cli.fact.added", id=f["id"][:6], kind=kind_label(f["kind"]), text=f["text"])))
