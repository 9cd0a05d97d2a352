"""Commands: check (counterparty risk), watch … (local watchlist), cardkey … (card-key delivery proof)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, QuietOpt, Table, start

watch_app = typer.Typer(help="Local watchlist of counterparties (SQLite in your data folder). / 关注名单。",
                        no_args_is_help=True)
cardkey_app = typer.Typer(help="Card keys (卡密): commit before delivery, deliver in segments, prove. / 卡密承诺与分段发送。",
                          no_args_is_help=True)
app.add_typer(watch_app, name="watch")
app.add_typer(cardkey_app, name="cardkey")

LEVEL_STYLE = {"low": "green", "elevated": "yellow", "high": "bold red"}


def _platform(code) -> str:
    from tradeshield.labels import label

    return label("platform", code) if code else ""


def _case_or_none(explicit: str | None):
    """The case when one is given or found; None when there is none (the command works without)."""
    from tradeshield.evidence.case import Case
    from tradeshield.errors import CaseError

    try:
        return Case.find(explicit)
    except CaseError:
        if explicit:
            raise
        return None


# ---------------------------------------------------------------- check

@app.command()
def check(
    role: Annotated[Optional[str], typer.Option(help="Your role: seller or buyer. / 你的角色。")] = None,
    category: Annotated[Optional[str], typer.Option(help="phone, electronics, cardkey, luxury, clothing, other. / 品类。")] = None,
    price: Annotated[Optional[float], typer.Option(help="Agreed price or offer. / 成交价或出价。")] = None,
    listed: Annotated[Optional[float], typer.Option(help="Listed price. / 标价。")] = None,
    market: Annotated[Optional[float], typer.Option(help="Typical market price. / 市场价。")] = None,
    credit: Annotated[Optional[str], typer.Option(help="Their credit label: 极好/优秀/良好/中等/较差/暂无. / 信用。")] = None,
    trades: Annotated[Optional[int], typer.Option(help="Their number of trades. / 交易数。")] = None,
    same_category_share: Annotated[Optional[float], typer.Option(help="Share of their trades in this category, 0–1. / 同类占比。")] = None,
    account_age_days: Annotated[Optional[int], typer.Option(help="Age of their account in days. / 账号天数。")] = None,
    counterparty: Annotated[Optional[str], typer.Option(help="Their id or nickname (checked against the watchlist). / 对方账号。")] = None,
    platform: Annotated[Optional[str], typer.Option(help="xianyu, taobao, … / 平台。")] = None,
    ask: Annotated[Optional[List[str]], typer.Option("--ask", help="What they asked without a chat: ship-before-pay, change-address, off-platform, cardkey-before-pay, deposit (repeatable). / 对方的要求。")] = None,
    chat: Annotated[Optional[Path], typer.Option(help="Chat export to read (any supported format). / 聊天记录。")] = None,
    chat_format: Annotated[str, typer.Option(help="Chat format (default: detect). / 聊天格式。")] = "auto",
    me: Annotated[Optional[str], typer.Option(help="Your name in the chat. / 你在聊天中的名字。")] = None,
    profile: Annotated[Optional[Path], typer.Option(help="The same facts in a TOML file (options given here win). / 资料文件。")] = None,
    rules: Annotated[Optional[Path], typer.Option(help="Another rules file (default: the packaged one). / 规则文件。")] = None,
    no_watchlist: Annotated[bool, typer.Option("--no-watchlist", help="Do not consult the watchlist. / 不查关注名单。")] = False,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Counterparty risk: level, every reason with its evidence, and what to record before shipping.  / 交易对方风险检查。

    Example: tradeshield check --role seller --category phone --price 1100 --listed 1150 --credit 极好 --trades 312 --same-category-share 0.9 --account-age-days 900 --chat chat.txt
    """
    from tradeshield.check import load_profile, run_check

    out = start(lang, json_out, quiet)
    values = load_profile(profile) if profile else {}
    given = {"role": role, "category": category, "price": price, "listed": listed, "market": market,
             "credit": credit, "trades": trades, "same_category_share": same_category_share,
             "account_age_days": account_age_days, "counterparty": counterparty, "platform": platform,
             "asks": ask or None, "chat": str(chat) if chat else None, "me": me}
    values.update({k: v for k, v in given.items() if v is not None})
    if chat_format != "auto" or "chat_format" not in values:
        values["chat_format"] = chat_format
    c = _case_or_none(case)
    with out.progress() as cb:
        result = run_check(values, case=c, rules_path=rules, use_watchlist=not no_watchlist, progress=cb)
    for note in result.get("notes", []):
        out.note(note[i18n.get_lang()])
    out.emit(result, lambda con: _render_check(con, result))


def _render_check(con, result: dict) -> None:
    lang = i18n.get_lang()
    level = result["level"]
    con.print(i18n.t("cli.check.level", level=i18n.t("cli.check.level." + level), score=result["score"],
                     elevated=result["thresholds"]["elevated"], high=result["thresholds"]["high"]),
              style=LEVEL_STYLE[level], markup=False)
    if not result["reasons"]:
        con.print(i18n.t("cli.check.no_reasons"), markup=False)
    else:
        con.print(i18n.t("cli.check.reasons"), style="bold", markup=False)
    for r in result["reasons"]:
        con.print(f"  ● [+{r['weight']}] {r[lang]}", markup=False)
        for ev in r["evidence"]:
            con.print("      " + _evidence_line(ev), style="dim", markup=False)
        if r.get("matches", 0) > len([e for e in r["evidence"] if e["kind"] == "chat"]):
            con.print("      " + i18n.t("cli.check.more", n=r["matches"]), style="dim", markup=False)
        if r["advice"].get(lang):
            con.print("      → " + r["advice"][lang], markup=False)
    con.print(i18n.t("cli.check.checklist"), style="bold", markup=False)
    for item in result["checklist"]:
        cmd = f"  ({item['command']})" if item.get("command") else ""
        con.print(f"  ☐ {item[lang]}{cmd}", markup=False)
    if result.get("stored"):
        con.print(i18n.t("cli.check.stored", path=result["stored"]), style="dim", markup=False)


def _evidence_line(ev: dict) -> str:
    if ev["kind"] == "chat":
        where = i18n.t("cli.check.line", line=ev.get("line") if ev.get("line") is not None else "?")
        when = f" {ev['time']}" if ev.get("time") else ""
        return f"{where}{when}: “{ev.get('clause') or ev['text']}”"
    if ev["kind"] == "stated":
        return i18n.t("cli.check.stated", value=ev["value"])
    if ev["kind"] == "watchlist":
        return i18n.t("cli.check.watch_ev", id=ev["id"], platform=_platform(ev["platform"]), date=ev["date"],
                      case=ev.get("case") or "-", seal=ev.get("seal_code") or "-")
    return f"{ev['name']} = {ev['value']}"


# ---------------------------------------------------------------- watch

@watch_app.command("add")
def watch_add(
    ident: Annotated[str, typer.Argument(metavar="ID", help="Their account id. / 对方账号。")],
    reason: Annotated[str, typer.Option(help="Why they are on the list. / 原因。")] = "",
    platform: Annotated[Optional[str], typer.Option(help="xianyu, taobao, … (default: the case's). / 平台。")] = None,
    date: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD (default: today). / 日期。")] = None,
    case: Annotated[Optional[str], typer.Option("--case", help="Link a case folder (and its seal code). / 关联案件。")] = None,
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Add (or update) a counterparty on your watchlist.  / 加入关注名单。

    Example: tradeshield watch add tb12345678 --reason "索要优惠被拒后恶意退款" --case .
    """
    from tradeshield.watchlist import Watchlist

    out = start(lang, json_out)
    entry, status = Watchlist().add(ident, platform=platform, reason=reason, case=case, date=date)
    out.emit({"status": status, **entry.to_dict()},
             lambda con: con.print(i18n.t("cli.watch." + status, id=entry.id, platform=_platform(entry.platform)),
                                   markup=False))


@watch_app.command("list")
def watch_list(
    platform: Annotated[Optional[str], typer.Option(help="Only this platform. / 只看该平台。")] = None,
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """List the watchlist, newest first.  / 列出关注名单。

    Example: tradeshield watch list --platform xianyu
    """
    from tradeshield.watchlist import Watchlist

    out = start(lang, json_out)
    entries = Watchlist().entries(platform)

    def render(con):
        if not entries:
            con.print(i18n.t("cli.watch.empty"), markup=False)
            return
        t = Table(show_edge=False)
        for col in ("id", "platform", "reason", "date", "case", "seal"):
            t.add_column(i18n.t("cli.watch.col." + col))
        for e in entries:
            t.add_row(e.id, _platform(e.platform), e.reason, e.date, e.case or "", e.seal_code or "")
        con.print(t)

    out.emit([e.to_dict() for e in entries], render)


@watch_app.command("remove")
def watch_remove(
    ident: Annotated[str, typer.Argument(metavar="ID", help="Their account id. / 对方账号。")],
    platform: Annotated[Optional[str], typer.Option(help="Only on this platform. / 平台。")] = None,
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Remove a counterparty from the watchlist.  / 移出关注名单。

    Example: tradeshield watch remove tb12345678
    """
    from tradeshield.watchlist import Watchlist

    out = start(lang, json_out)
    n = Watchlist().remove(ident, platform)
    out.emit({"removed": n, "id": ident}, lambda con: con.print(i18n.t("cli.watch.removed", id=ident, n=n), markup=False))


@watch_app.command("export")
def watch_export(
    out_file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="CSV to write. / 导出文件。")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file. / 覆盖。")] = False,
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Export the watchlist as CSV (id, platform, reason, date, case, seal_code).  / 导出关注名单。

    Example: tradeshield watch export watch.csv
    """
    from tradeshield.watchlist import Watchlist

    out = start(lang, json_out)
    n = Watchlist().export_csv(out_file, force=force)
    out.emit({"exported": n, "path": str(out_file)},
             lambda con: con.print(i18n.t("cli.watch.exported", n=n, path=str(out_file)), markup=False))


@watch_app.command("import")
def watch_import(
    in_file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="CSV with an id column. / 导入文件。")],
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Import a CSV; valid rows are added, bad rows are listed (exit 1 when any was rejected).  / 导入关注名单。

    Example: tradeshield watch import theirs.csv
    """
    from tradeshield.watchlist import Watchlist

    out = start(lang, json_out)
    report = Watchlist().import_csv(in_file)
    key = "error_zh" if i18n.get_lang() == "zh" else "error"

    def render(con):
        con.print(i18n.t("cli.watch.imported", added=report.added, updated=report.updated,
                         unchanged=report.unchanged, bad=len(report.bad)), markup=False)

    out.emit(report.to_dict(), render)
    for bad in report.bad:
        out.warn(i18n.t("cli.watch.bad_row", line=bad["line"], error=bad[key]))
    if report.bad:
        raise typer.Exit(1)


# ---------------------------------------------------------------- cardkey

FileOpt = Annotated[Optional[Path], typer.Option("--file", help="Read the codes from this file (default: stdin; never from the command line). / 卡密文件。")]


def _codes(file: Path | None, out) -> list[str]:
    from tradeshield.cardkey import read_codes
    from tradeshield.evidence.fsutil import check_input

    if file is not None:
        return read_codes(check_input(file).read_bytes())
    if sys.stdin.isatty():
        out.note(i18n.t("cli.cardkey.paste"))
    return read_codes(sys.stdin.buffer.read())


@cardkey_app.command("seal")
def cardkey_seal(
    file: FileOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing commitment. / 替换已有承诺。")] = False,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Commit to the codes before delivery: prints one message (≤200 characters) to paste into the chat.  / 卡密承诺。

    Example: tradeshield cardkey seal < codes.txt
    """
    from tradeshield.cardkey import seal
    from tradeshield.evidence.case import Case

    out = start(lang, json_out)
    c = Case.find(case)
    result = seal(c, _codes(file, out), force=force, lang=i18n.get_lang())

    def render(con):
        con.print(i18n.t("cli.cardkey.sealed", n=result["count"]), style="dim", markup=False)
        con.print(result["message"], markup=False)

    out.emit(result, render)


@cardkey_app.command("terms")
def cardkey_terms(
    minutes: Annotated[int, typer.Option("--check-minutes", help="Minutes the buyer has to redeem and report. / 核对时限（分钟）。")] = 30,
    segments: Annotated[Optional[int], typer.Option("--segments", help="Send the codes in this many parts (1: all at once). / 分几段发送。")] = None,
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """The terms to agree in the chat before delivery: no refund once sent, a checking window, parts.  / 发货前的交易须知。

    Paste it before sending any code and wait for the buyer's "同意"; the chat then records what was agreed.

    Example: tradeshield cardkey terms --check-minutes 30 --segments 3
    """
    from tradeshield.cardkey import terms_message

    out = start(lang, json_out)
    text = terms_message(minutes, segments)
    units = len(text.encode("utf-16-le")) // 2
    out.emit({"message": text, "chars": units, "check_minutes": minutes, "segments": segments},
             lambda con: (con.print(i18n.t("cli.cardkey.terms", chars=units), style="dim", markup=False),
                          con.print(text, markup=False)))


@cardkey_app.command("split")
def cardkey_split(
    file: FileOpt = None,
    per_message: Annotated[Optional[int], typer.Option(help="At most this many codes per message. / 每段卡密数。")] = None,
    segment: Annotated[Optional[int], typer.Option(help="Print only segment N (send it, wait for confirmation, then the next). / 只输出第 N 段。")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Numbered delivery messages (each ≤200 characters) for committed codes; records when each was produced.  / 分段发送。

    Example: tradeshield cardkey split --per-message 5 < codes.txt
    """
    from tradeshield.cardkey import split
    from tradeshield.evidence.case import Case

    out = start(lang, json_out)
    result = split(Case.find(case), _codes(file, out), per_message=per_message, segment=segment)

    def render(con):
        for seg in result["segments"]:
            con.print(seg["text"], markup=False)
            con.print("")

    out.emit(result, render)


@cardkey_app.command("prove")
def cardkey_prove(
    index: Annotated[Optional[List[int]], typer.Option("--index", help="Only code #N (repeatable; default: all). / 只证明第 N 个。")] = None,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write the proof to this file. / 输出文件。")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """What a third party needs to check delivered codes against the commitment (the codes are not in it).  / 生成证明。

    Example: tradeshield cardkey prove --out proof.json
    """
    import json

    from tradeshield.cardkey import prove
    from tradeshield.evidence.case import Case
    from tradeshield.evidence.fsutil import write_text

    out = start(lang, json_out)
    proof = prove(Case.find(case), index or None)
    text = json.dumps(proof, ensure_ascii=False, indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)   # the proof is itself the output a third party needs
        return
    write_text(out_file, text)
    out.emit({"path": str(out_file), **proof},
             lambda con: con.print(i18n.t("cli.cardkey.proved", path=str(out_file), n=len(proof["items"])), markup=False))


@cardkey_app.command("verify")
def cardkey_verify(
    proof_file: Annotated[Optional[Path], typer.Argument(metavar="[PROOF.json]", help="Proof from cardkey prove (default: this case). / 证明文件。")] = None,
    file: FileOpt = None,
    commitment: Annotated[Optional[str], typer.Option(help="The commitment message pasted before delivery (or its root). / 发送前的承诺消息。")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Check delivered codes (stdin or --file) against a proof; exit 1 when any does not match.  / 验证卡密。

    Example: tradeshield cardkey verify proof.json --commitment "【卡密承诺】…" < delivered.txt
    """
    from tradeshield.cardkey import load_proof, prove, verify
    from tradeshield.evidence.case import Case

    out = start(lang, json_out)
    proof = load_proof(proof_file) if proof_file else prove(Case.find(case))
    result = verify(proof, _codes(file, out), commitment)

    def render(con):
        for r in result["codes"]:
            key = "cli.cardkey.code_ok" if r["ok"] else "cli.cardkey.code_bad"
            con.print(i18n.t(key, n=r["n"], index=r["index"]), style="green" if r["ok"] else "red", markup=False)
        if result["commitment_matches"] is False:
            con.print(i18n.t("cli.cardkey.root_bad"), style="red", markup=False)
        elif result["commitment_matches"] is None:
            con.print(i18n.t("cli.cardkey.root_unpinned", root=result["commitment"]), style="yellow", markup=False)
        con.print(i18n.t("cli.cardkey.ok" if result["ok"] else "cli.cardkey.failed"),
                  style="bold green" if result["ok"] else "bold red", markup=False)

    out.emit(result, render)
    if not result["ok"]:
        raise typer.Exit(1)


i18n.register({
    "cli.check.level": ("风险：{level}（分数 {score}；≥{elevated} 偏高，≥{high} 高）",
                        "risk: {level} (score {score}; ≥{elevated} elevated, ≥{high} high)"),
    "cli.check.level.low": ("低", "low"), "cli.check.level.elevated": ("偏高", "elevated"),
    "cli.check.level.high": ("高", "high"),
    "cli.check.no_reasons": ("没有规则触发。", "no rule fired."),
    "cli.check.reasons": ("原因：", "reasons:"),
    "cli.check.more": ("…共 {n} 处", "… {n} matches in all"),
    "cli.check.line": ("第 {line} 行", "line {line}"),
    "cli.check.stated": ("你提供的情况：--ask {value}", "as you stated: --ask {value}"),
    "cli.check.watch_ev": ("名单：{id}（{platform}，{date}，案件 {case}，封存码 {seal}）",
                           "watchlist: {id} ({platform}, {date}, case {case}, seal code {seal})"),
    "cli.check.checklist": ("发货/付款前请做：", "before you ship or pay:"),
    "cli.check.stored": ("结果已存入 {path}", "stored in {path}"),
    "cli.watch.added": ("已加入名单：{id}（{platform}）", "added to the watchlist: {id} ({platform})"),
    "cli.watch.updated": ("已更新：{id}（{platform}）", "updated: {id} ({platform})"),
    "cli.watch.unchanged": ("已在名单中，无变化：{id}（{platform}）", "already listed, unchanged: {id} ({platform})"),
    "cli.watch.removed": ("已移出名单：{id}（{n} 条）", "removed from the watchlist: {id} ({n} entries)"),
    "cli.watch.empty": ("名单为空。", "the watchlist is empty."),
    "cli.watch.exported": ("已导出 {n} 条到 {path}", "exported {n} entries to {path}"),
    "cli.watch.imported": ("导入：新增 {added}，更新 {updated}，未变 {unchanged}，拒绝 {bad}",
                           "imported: {added} added, {updated} updated, {unchanged} unchanged, {bad} rejected"),
    "cli.watch.bad_row": ("第 {line} 行被拒绝：{error}", "line {line} rejected: {error}"),
    "cli.watch.col.id": ("账号", "id"), "cli.watch.col.platform": ("平台", "platform"),
    "cli.watch.col.reason": ("原因", "reason"), "cli.watch.col.date": ("日期", "date"),
    "cli.watch.col.case": ("案件", "case"), "cli.watch.col.seal": ("封存码", "seal code"),
    "cli.cardkey.paste": ("请粘贴卡密，每行一个，结束按 Ctrl-D", "paste the codes, one per line, then Ctrl-D"),
    "cli.cardkey.sealed": ("已承诺 {n} 个卡密；把下面这条消息在发送卡密之前发到聊天里：",
                           "committed to {n} code(s); paste this message into the chat before delivering them:"),
    "cli.cardkey.terms": ("发送卡密前，把下面这条消息发到聊天里，等对方回复“同意”（{chars} 字）：",
                          "before sending any code, paste this into the chat and wait for \"agree\" ({chars} chars):"),
    "cli.cardkey.proved": ("证明已写入 {path}（{n} 个卡密）", "proof written to {path} ({n} codes)"),
    "cli.cardkey.code_ok": ("第 {n} 个：与承诺中的第 {index} 个一致", "code {n}: matches committed #{index}"),
    "cli.cardkey.code_bad": ("第 {n} 个：不在承诺中", "code {n}: not in the commitment"),
    "cli.cardkey.root_bad": ("证明的根与给定的承诺消息不符", "the proof's root differs from the given commitment message"),
    "cli.cardkey.root_unpinned": ("请核对：聊天中发送前的承诺消息应含根 {root}（或用 --commitment 自动核对）",
                                  "check that the commitment pasted before delivery shows root {root} (or pass --commitment)"),
    "cli.cardkey.ok": ("验证通过", "verified"),
    "cli.cardkey.failed": ("验证失败", "verification failed"),
})
