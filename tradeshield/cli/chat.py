"""Chat, courier and timeline commands: chat exports, tracking text, the merged case timeline."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, QuietOpt, Table, start

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="auto, taobao, qq, qq-mht, qq-window (text copied from a QQ "
                                                             "window), wechat-txt, wechat-csv, wechat-html, signal, "
                                                             "whatsapp, telegram, telegram-html, instagram, csv, paste (typed or "
                                                             "copied by hand, 闲鱼/转转). / 格式。")]
MeOpt = Annotated[Optional[str], typer.Option("--me", help="Your nickname in the export (marks your messages). / 你的昵称。")]
TzOpt = Annotated[Optional[str], typer.Option("--tz", help="UTC offset of the export's times (default: the case's). / 时区。")]
EncOpt = Annotated[Optional[str], typer.Option("--encoding", help="Force an encoding (gb18030, utf-16 …). / 编码。")]
RenderOpt = Annotated[bool, typer.Option("--render", help="Also draw the chat as phone-style images (screenshots: each "
                                                          "message's crop beside the text read). / 生成聊天图片。")]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="Screenshots: the day they were taken (YYYY-MM-DD), for "
                                                               "昨天/星期三/20:11 (default: EXIF, PNG time or file name). A "
                                                               "chat file: the day it was saved, for dates without a year "
                                                               "(old Android WhatsApp) and 今天/昨天 in a pasted chat "
                                                               "(those default to the file's date). / 截图日期；聊天记录"
                                                               "文件保存的日期。")]

i18n.register({
    "cli.chat.summary": ("{messages} 条消息（{fmt}，{enc}，置信度 {conf:.0%}，{order}），{first} → {last}",
                         "{messages} messages ({fmt}, {enc}, confidence {conf:.0%}, {order}), {first} → {last}"),
    "cli.chat.saved": ("已保存：{path}", "saved: {path}"),
    "cli.chat.no_events": ("未发现关键事件", "no key events found"),
    "cli.chat.more": ("……另有 {n} 条事件，见 {path}", "… {n} more events in {path}"),
    "cli.chat.images": ("聊天图片：{paths}", "chat images: {paths}"),
    "cli.chat.shots": ("{n} 张截图：{names}", "{n} screenshots: {names}"),
    "cli.chat.shot_ref": ("  {name}：参考日期 {ref}（{src}），{m} 条消息", "  {name}: reference date {ref} ({src}), {m} messages"),
    "cli.chat.card": ("订单卡片：{title} {price} {status}", "order card: {title} {price} {status}"),
    "cli.chat.low": ("{n} 条消息置信度低，已标记，请对照原图核对", "{n} messages have low confidence and are flagged: check them"),
    "cli.chat.mixed": ("一次只能导入一个聊天导出文件，或一组截图（不要混在一起）",
                       "import one chat export, or a set of screenshots, at a time (not both together)"),
    "cli.col.sender": ("发送者", "sender"), "cli.col.matched": ("匹配", "matched"), "cli.chat.by_model": ("（模型推测）", "(model's guess)"),
    "cli.col.amount": ("金额", "amount"),
    "cli.col.pattern": ("模式", "pattern"), "cli.col.evidence": ("依据", "evidence"),
    "cli.courier.summary": ("{n} 条物流事件（{carrier}）", "{n} courier events ({carrier})"),
    "cli.timeline.none": ("时间线为空：先记录事件或导入聊天、物流", "the timeline is empty: add events, a chat or courier text first"),
    "cli.timeline.suggested": ("（待确认）", " (?)"),
    "cli.timeline.image": ("时间线图片：{path}", "timeline image: {path}"),
})


def _short(text: str, n: int = 40) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def _warn(out, warnings) -> None:
    lang = i18n.get_lang()
    for w in warnings:
        out.warn(w["zh"] if lang == "zh" else w["en"])


@app.command()
def chat(
    files: Annotated[List[Path], typer.Argument(help="Chat export (txt / csv / html / json), or screenshots of a chat "
                                                     "(PNG / JPEG / HEIC, several, or folders). / 聊天记录导出文件，或聊天截图（可多张或目录）。")],
    fmt: FormatOpt = "auto", me: MeOpt = None, tz: TzOpt = None, encoding: EncOpt = None, render: RenderOpt = False,
    date: DateOpt = None,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Read a chat export into the case: messages, key events, optional images.  / 导入聊天记录并找出关键事件。

    Chat screenshots too (导入聊天截图): screenshots (闲鱼, 转转, 淘宝, 微信, QQ; light or dark; overlapping ones are stitched) are read offline by OCR:
    side from the bubble, times from the separators, each message with its box and confidence. The forwarded
    聊天记录 page (合并转发) too: each row's nickname and own time. A bubble OCR cannot read is kept as [无法识别].

    Example: tradeshield chat 聊天记录.txt --me 木白术 --render

    Example: tradeshield chat ~/Pictures/闲鱼/Screenshot_2021052*.png --me 木白术
    """
    from tradeshield.errors import UsageError
    from tradeshield.evidence.case import Case
    from tradeshield.evidence.fsutil import check_input
    from tradeshield.ocr.images import is_image_path

    out = start(lang, json_out, quiet)
    shots = [is_image_path(f) for f in files]
    if (any(shots) and not all(shots)) or (not any(shots) and len(files) > 1):
        raise UsageError("cli.chat.mixed")
    c = Case.find(case)
    if not all(shots):
        check_input(files[0])  # a folder, a missing or an empty file: one clear line before the pipeline starts
    with out.progress() as cb:
        from tradeshield.chat.store import import_chat

        # (screenshots are a source format of the pipeline: import_chat reads them by OCR, same outputs)
        result = import_chat(c, files if all(shots) else files[0], fmt="screenshot" if all(shots) else fmt, me=me,
                             tz=tz, encoding=encoding, progress=cb, date=date, render=render)
        if not all(shots):
            if render:
                from tradeshield.chat.render import render_case_chat

                result["images"] = render_case_chat(c, result["sha256"], me=me, progress=cb)
    _warn(out, result["warnings"])

    def show(con):
        from tradeshield.timeutil import show_time

        first, last = (show_time(result[k], c.tz) if result.get(k) else "?" for k in ("first", "last"))
        con.print(i18n.t("cli.chat.summary", messages=result["messages"], fmt=result["format"], enc=result["encoding"],
                         conf=result["confidence"], order=result["order"], first=first, last=last))
        if result.get("screenshots"):
            _shots(con, result)
        _events_table(con, result["events"])
        total = sum(result["event_counts"].values())
        if total > len(result["events"]):
            con.print(i18n.t("cli.chat.more", n=total - len(result["events"]), path=result["events_path"]))
        con.print(i18n.t("cli.chat.saved", path=result["messages_path"]), style="green")
        if result.get("images"):
            con.print(i18n.t("cli.chat.images", paths=", ".join(i["path"] for i in result["images"])), style="green")

    out.emit(result, show)


def _shots(con, result) -> None:
    shots = result["screenshots"]
    con.print(i18n.t("cli.chat.shots", n=len(shots), names=", ".join(Path(s["path"]).name for s in shots[:6])
                     + (" …" if len(shots) > 6 else "")), markup=False, highlight=False)
    for s in shots:
        con.print(i18n.t("cli.chat.shot_ref", name=Path(s["path"]).name, ref=(s["reference"] or "-")[:16].replace("T", " "),
                         src=s["reference_source"] or "-", m=s["messages"]), markup=False, highlight=False)
    for card in result.get("cards", []):
        k = card["card"]
        con.print(i18n.t("cli.chat.card", title=k.get("title") or "", price=k.get("price") or "",
                         status=k.get("status") or ""), markup=False, highlight=False)
    if result.get("low_confidence"):
        con.print(i18n.t("cli.chat.low", n=result["low_confidence"]), style="bold yellow")


def _events_table(con, events) -> None:
    if not events:
        con.print(i18n.t("cli.chat.no_events"))
        return
    t = Table(show_edge=False)
    for col in ("time", "kind", "sender", "matched", "amount", "text", "lines"):
        t.add_column(i18n.t("cli.col." + col))
    for e in events[:60]:
        lines = e["ref"]["lines"]
        t.add_row((e["time"] or "-")[:16].replace("T", " "), e["kind"], _short(e["sender"], 16),
                  e["matched"] if e["matched"] is not None else i18n.t("cli.chat.by_model"),
                  e.get("amount") or "", _short(e["text"]), f"{lines[0]}–{lines[1]}")
    con.print(t)


@app.command()
def courier(
    file: Annotated[Path, typer.Argument(help="Tracking text copied from the courier's page or app. / 物流轨迹文本。")],
    carrier: Annotated[Optional[str], typer.Option(help="Courier name if not detected (顺丰, 中通 …). / 快递公司。")] = None,
    tz: TzOpt = None, case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Read courier tracking text into dated events (who signed, proxy/locker signing).  / 解析物流轨迹。

    Example: tradeshield courier sf-tracking.txt
    """
    from tradeshield.evidence.case import Case
    from tradeshield.courier import import_courier

    out = start(lang, json_out)
    result = import_courier(Case.find(case), file, carrier=carrier, tz=tz)

    def show(con):
        con.print(i18n.t("cli.courier.summary", n=len(result["events"]), carrier=result["carrier"] or "?"))
        t = Table(show_edge=False)
        for col in ("time", "status", "text", "lines"):
            t.add_column(i18n.t("cli.col." + col))
        for e in result["events"]:
            extra = (f" [{e['signer']}]" if e.get("signer") else "") + (f" @{e['place']}" if e.get("place") else "")
            t.add_row(e["time"][:16].replace("T", " "), e["status"] + extra, _short(e["text"], 50),
                      "–".join(map(str, e["ref"]["lines"])))
        con.print(t)

    out.emit(result, show)


@app.command()
def timeline(
    hours: Annotated[float, typer.Option(help="Window for 'refund soon after a refused discount' (hours). / 小时。")] = 24,
    late_days: Annotated[float, typer.Option(help="Evidence or claims this many days after receipt are flagged. / 天。")] = 3,
    image: Annotated[bool, typer.Option("--image/--no-image", help="Render the timeline image. / 生成时间线图片。")] = True,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Case events, chat events, evidence times and courier events on one line, with patterns flagged.  / 案件时间线。

    Example: tradeshield timeline --hours 24 --json
    """
    from tradeshield.evidence.case import Case
    from tradeshield.timeline import build_timeline, entry_note, kind_label, origin_label, render_timeline

    out = start(lang, json_out)
    c = Case.find(case)
    result = build_timeline(c, refund_hours=hours, late_days=late_days)
    if image and result["entries"]:
        result["image"] = render_timeline(c, result)
    lang_now = i18n.get_lang()

    def show(con):
        if not result["entries"]:
            con.print(i18n.t("cli.timeline.none"))
            return
        t = Table(show_edge=False)
        for col in ("time", "kind", "source", "note"):
            t.add_column(i18n.t("cli.col." + col))
        for e in result["entries"]:
            kind = kind_label(e["kind"]) + (i18n.t("cli.timeline.suggested") if e.get("status") == "suggested" else "")
            t.add_row(e["time"][:16].replace("T", " "), kind, origin_label(e["origin"]), _short(entry_note(e), 60),
                      style="bold red" if e.get("flagged") else None)
        con.print(t)
        for p in result["patterns"]:
            con.print("⚑ " + (p["zh"] if lang_now == "zh" else p["en"]), style="bold yellow", markup=False)
        if result.get("image"):
            con.print(i18n.t("cli.timeline.image", path=result["image"]["path"]), style="green")

    out.emit(result, show)
