"""Core commands: init, add, event, log, seal, bundle, verify, stamp, demo."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, QuietOpt, Table, start

event_app = typer.Typer(help="Dated facts of the trade (shipped, delivered, refund requested …). / 交易事件。",
                        no_args_is_help=True)
app.add_typer(event_app, name="event")


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="New case folder. / 新案件目录。")],
    role: Annotated[str, typer.Option(help="seller or buyer (卖家 / 买家). / 卖家或买家。")] = "seller",
    platform: Annotated[str, typer.Option(help="xianyu, taobao, zhuanzhuan, … (闲鱼 / 淘宝 / 转转). / 平台。")] = "xianyu",
    item: Annotated[Optional[str], typer.Option(help="What was traded. / 商品。")] = None,
    price: Annotated[Optional[str], typer.Option(help="Agreed price. / 成交价。")] = None,
    order: Annotated[Optional[str], typer.Option(help="Order number. / 订单号。")] = None,
    counterparty: Annotated[Optional[str], typer.Option(help="The other side's nickname or id. / 对方昵称。")] = None,
    currency: Annotated[str, typer.Option(help="Currency code. / 币种。")] = "CNY",
    tz: Annotated[str, typer.Option("--tz", help="UTC offset of your times. / 时区偏移。")] = "+08:00",
    nested: Annotated[bool, typer.Option("--nested", help="Allow a case inside another case's folder. / "
                                                          "允许在案件目录内再建案件。")] = False,
    json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Create a case folder.  / 新建案件目录。

    Example: tradeshield init my-phone-case --role seller --platform xianyu --item "海信A5Pro" --price 1100 --order 1234567890 --counterparty 远方私人
    """
    from tradeshield.evidence.case import Case

    out = start(lang, json_out)
    case = Case.init(folder, role=role, platform=platform, item=item, price=price, order=order,
                     counterparty=counterparty, currency=currency, timezone=tz, allow_nested=nested)
    out.emit({"case": str(case.root), **case.info},
             lambda c: c.print(i18n.t("cli.init.done", path=str(case.root))))


@app.command()
def add(
    files: Annotated[List[Path], typer.Argument(help="Files or folders to copy into the case. / 证据文件或目录。")],
    note: Annotated[Optional[str], typer.Option(help="Why these files matter. / 备注。")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Copy originals into the case, hash them and log it (originals are never changed).  / 添加证据原件。

    Example: tradeshield add ~/Downloads/invoice.pdf ~/DCIM/IMG_0012.JPG --note "发票与序列号照片"
    """
    from tradeshield.evidence.case import Case

    from tradeshield.labels import label
    from tradeshield.timeutil import show_time

    out = start(lang, json_out, quiet)
    c = Case.find(case)
    with out.progress() as cb:
        results = c.add(files, note=note, progress=cb)

    def render(con):
        # readable at 80 columns: file names fold instead of being cut, times without the repeated zone
        from tradeshield.timeutil import format_offset

        t = Table(show_edge=False, caption=i18n.t("cli.add.zone", zone="UTC" + format_offset(c.tz)),
                  caption_justify="left")
        t.add_column(i18n.t("cli.col.status"), no_wrap=True)
        t.add_column(i18n.t("cli.col.file"), overflow="fold", ratio=3)
        t.add_column(i18n.t("cli.col.kind"), overflow="fold", ratio=1)
        t.add_column(i18n.t("cli.col.capture"), overflow="fold", ratio=2)
        t.add_column("SHA-256", no_wrap=True)
        for r in results:
            it = r.item
            cap = (f"{show_time(it.capture_time, c.tz, offset=False)}\n{label('capture', it.capture_source)}"
                   if it.capture_time else "-")
            t.add_row(i18n.t("cli.add." + r.status), it.path.split("/", 1)[-1], label("file", it.kind), cap,
                      it.sha256[:12])
        con.print(t)

    out.emit([r.to_dict() for r in results], render)


@event_app.command("add")
def event_add(
    time: Annotated[str, typer.Argument(help="When, e.g. '2021-05-23 10:12' (case timezone) or ISO with offset.")],
    kind: Annotated[str, typer.Argument(help="A trade step or a chat kind (all listed below). / 事件类型（见下）。")],
    note: Annotated[Optional[str], typer.Option(help="Detail, e.g. the tracking number. / 备注。")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None,
) -> None:
    """Record a dated fact.  / 记录事件。

    Kinds: the trade's steps (listed, ordered, paid, shipped, delivered, received, signed, confirmed,
    discount-requested, discount-refused, defect-claimed, refund-requested, return-requested, return-shipped,
    return-received, dispute-opened, evidence-submitted, ruling, appeal, card-key-delivered, message, other) and
    every chat kind (discount-request, discount-refused, price-agreed, deposit-terms, delivery-promise,
    ship-before-pay, cardkey-before-pay, partial-delivery, requirement, agreement, receipt-ack, confirm-request,
    defect-claim, refund-request, refund-refused, return-request, off-platform, fake-service, threat, insult).

    Example: tradeshield event add "2021-05-23 10:12" shipped --note "顺丰 SF1234567890"
    """
    from tradeshield.evidence.case import Case

    out = start(lang, json_out)
    from tradeshield.timeline import kind_label
    from tradeshield.timeutil import show_time

    c = Case.find(case)
    ev = c.add_event(time, kind, note=note)
    out.emit(ev.to_dict(), lambda con: con.print(i18n.t("cli.event.done", time=show_time(ev.time, c.tz),
                                                        kind=kind_label(ev.kind))))


@event_app.command("list")
def event_list(case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None) -> None:
    """List the case's events in time order.  / 列出事件。

    Example: tradeshield event list --json
    """
    from tradeshield.evidence.case import Case

    from tradeshield.timeline import kind_label
    from tradeshield.timeutil import show_time

    out = start(lang, json_out)
    c = Case.find(case)
    events = c.events()

    def render(con):
        t = Table(show_edge=False)
        for col in ("time", "kind", "note", "source"):
            t.add_column(i18n.t("cli.col." + col))
        for e in events:
            t.add_row(show_time(e.time, c.tz), kind_label(e.kind), e.note or "",
                      i18n.t("cli.event.source." + e.source) if i18n.has("cli.event.source." + e.source) else e.source)
        con.print(t)

    out.emit([e.to_dict() for e in events], render)


@app.command()
def log(case: CaseOpt = None, json_out: JsonOpt = False, lang: LangOpt = None) -> None:
    """Show the custody log and whether its hash chain is intact.  / 查看保管日志。

    Example: tradeshield log
    """
    from tradeshield.evidence.case import Case

    out = start(lang, json_out)
    c = Case.find(case)
    entries = c.custody.entries()
    problems = c.custody.verify()

    def render(con):
        t = Table(show_edge=False)
        for col in ("seq", "time", "action", "files", "hash"):
            t.add_column(i18n.t("cli.col." + col))
        for e in entries:
            files = ", ".join(f"{f['path']} {f['sha256'][:12]}" for f in e.get("files", [])[:3])
            more = len(e.get("files", [])) - 3
            if more > 0:
                files += f" (+{more})"
            t.add_row(str(e.get("seq")), e.get("time", ""), e.get("action", ""), files, e.get("prev", "")[:12])
        con.print(t)
        if problems:
            for p in problems:
                con.print(p.describe(), style="red", markup=False)
        else:
            con.print(i18n.t("cli.log.intact", n=len(entries)), style="green")

    out.emit({"ok": not problems, "entries": entries, "problems": [p.to_dict() for p in problems]}, render)
    if problems:
        raise typer.Exit(1)



@app.command()
def seal(case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None) -> None:
    """Print one short message with a seal code of your evidence, to paste into the platform chat before shipping.  / 生成证据封存码。

    The platform's own chat record then dates your evidence: files that match the code existed
    when you posted it.

    Example: tradeshield seal
    """
    from tradeshield.evidence.bundle import seal as do_seal
    from tradeshield.evidence.case import Case

    out = start(lang, json_out, quiet)
    with out.progress() as cb:
        res = do_seal(Case.find(case), progress=cb)

    def render(con):
        out.note(i18n.t("cli.seal.title", chars=res["chars"]), style="dim")
        con.print(res["message"], markup=False)

    out.emit(res, render)


@app.command()
def bundle(
    output: Annotated[Path, typer.Option("-o", "--output", help="Zip file to write. / 输出 zip。")],
    sign: Annotated[bool, typer.Option("--sign", help="Sign with your Ed25519 key (created on first use). / 签名。")] = False,
    include_secrets: Annotated[bool, typer.Option("--include-secrets", help="Also include card-key salts. / 包含卡密盐值。")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file. / 覆盖。")] = False,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Write the case as a tamper-evident bundle (BagIt zip + manifest + Merkle root).  / 生成防篡改证据包。

    Example: tradeshield bundle -o ../case.zip --sign
    """
    from tradeshield.evidence.bundle import build_bundle
    from tradeshield.evidence.case import Case
    from tradeshield.errors import InputError

    out = start(lang, json_out, quiet)
    if output.exists() and not force:
        raise InputError("file.exists", path=str(output))
    with out.progress() as cb:
        res = build_bundle(Case.find(case), output, sign=sign, include_secrets=include_secrets, progress=cb)
    for w in res["warnings"]:
        out.warn(w)
    out.emit(res, lambda con: con.print(i18n.t("cli.bundle.done", **res)))


MAX_PRINTED = 40  # problem lines shown to people; --json lists every one


@app.command()
def verify(
    target: Annotated[Path, typer.Argument(help="A bundle zip or a case folder. / 证据包或案件目录。")],
    code: Annotated[Optional[str], typer.Option("--code", help="Seal code to check against (TS1-…). / 封存码。")] = None,
    key: Annotated[Optional[str], typer.Option("--key", "--expect-key",
                                               help="Require a signature by this key fingerprint (SHA256:…). / 要求的签名公钥指纹。")] = None,
    tsr: Annotated[Optional[Path], typer.Option("--tsr", help="RFC 3161 response (default: BUNDLE.tsr beside it).")] = None,
    tsa_ca: Annotated[Optional[Path], typer.Option("--tsa-ca", help="CA certificate of the TSA, to check its chain.")] = None,
    json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Check every hash, the custody chain, Merkle root, signature, seal code and timestamps. Exit 0 intact, 1 tampered, 2 unusable.  / 核验证据包。

    A bundle is intact only as a whole: one bag, every byte covered, the zip's own structure consistent.
    Without --key anyone could have rebuilt and re-signed it; give the fingerprint the sender published
    to require their key.

    Example: tradeshield verify ../case.zip --key SHA256:1a2b:3c4d:5e6f:7a8b:9c0d:1e2f:3a4b:5c6d --code TS1-ABCDEFGHIJKLMNOPQRST
    """
    from tradeshield.evidence.verify import verify as do_verify

    out = start(lang, json_out, quiet)
    with out.progress() as cb:
        rep = do_verify(target, code=code, tsr=tsr, ca_file=str(tsa_ca) if tsa_ca else None, progress=cb, key=key)
    info = rep.info

    def render(con):
        if rep.ok and rep.kind == "case":
            con.print("✔ " + i18n.t("verify.ok_case", files=info.get("files", 0), n=info.get("custody_entries", 0)),
                      style="green")
        elif rep.ok and info.get("signed"):
            con.print("✔ " + i18n.t("cli.verify.intact_signed", files=info.get("files", 0),
                                    code=info.get("seal_code", "-"), fp=info.get("fingerprint")), style="green")
            if key:
                con.print(i18n.t("cli.verify.key_ok", fp=info.get("fingerprint")), style="green")
            else:
                con.print(i18n.t("cli.verify.key_unchecked", fp=info.get("fingerprint")), style="yellow")
        elif rep.ok:
            con.print("! " + i18n.t("cli.verify.intact_unsigned", files=info.get("files", 0),
                                    code=info.get("seal_code", "-")), style="bold yellow")
        else:
            con.print("✘ " + i18n.t("verify.bad", n=len(rep.problems)), style="bold red")
            for p in rep.problems[:MAX_PRINTED]:
                con.print("  " + p.describe(), style="red", markup=False)
            if len(rep.problems) > MAX_PRINTED:
                con.print("  " + i18n.t("cli.verify.more", n=len(rep.problems) - MAX_PRINTED), style="red")
            if rep.kind == "bundle":
                con.print(i18n.t("cli.verify.signed_by", fp=info["fingerprint"]) if info.get("signed")
                          else i18n.t("cli.verify.unsigned_short"), markup=False)
        c = info.get("code")
        if c and c.get("scope") == "bundle":
            con.print(i18n.t("cli.verify.code_bundle", code=c["code"], n=c["covered"]), markup=False)
        elif c:
            import datetime as dt

            from tradeshield.timeutil import parse_offset, show_time

            from tradeshield.errors import InputError

            zone = (info.get("case") or {}).get("timezone")
            try:  # the case's own zone, as recorded in the bundle's manifest; UTC (said as +00:00) if it has none
                tz = parse_offset(zone) if isinstance(zone, str) else dt.timezone.utc
            except InputError:
                tz = dt.timezone.utc
            con.print(i18n.t("cli.verify.code_seal", code=c["code"], n=c["covered"],
                             time=show_time(c["time"], tz) if c.get("time") else "?",
                             m=c["not_covered"]), markup=False)
        for ts in info.get("timestamps", []):
            con.print(i18n.t("cli.verify.tsr", path=ts.get("path"), time=ts.get("gen_time", "?"), ok=ts.get("ok")),
                      markup=False)
        if info.get("leftovers"):
            con.print(i18n.t("cli.verify.leftovers", n=len(info["leftovers"])), style="yellow", markup=False)

    out.emit(rep.to_dict(), render)
    if not rep.ok:
        raise typer.Exit(1)


@app.command()
def stamp(
    bundle_zip: Annotated[Optional[Path], typer.Argument(help="Bundle to stamp (default: the case's evidence).")] = None,
    response: Annotated[Optional[Path], typer.Option("--import", help="Import a TSA response (.tsr) into the case.")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Write an RFC 3161 timestamp request (.tsq) for the evidence's Merkle root, to send to any public TSA.  / 生成可信时间戳请求。

    Send it with: curl -H "Content-Type: application/timestamp-query" --data-binary @FILE.tsq https://freetsa.org/tsr -o FILE.tsr

    Example: tradeshield stamp ../case.zip
    """
    from tradeshield.evidence import stamp as st
    from tradeshield.evidence.case import Case

    out = start(lang, json_out, quiet)
    with out.progress() as cb:
        if response:
            res = st.import_response(Case.find(case), response)
        elif bundle_zip:
            res = st.stamp_bundle(bundle_zip, progress=cb)
        else:
            res = st.stamp_case(Case.find(case), progress=cb)
    key = "cli.stamp.imported" if response else "cli.stamp.done"
    out.emit(res, lambda con: con.print(i18n.t(key, **res)))


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="Where to build the demo (default ./tradeshield-demo).")] = Path("tradeshield-demo"),
    json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Build a complete sample seller case offline and run every command on it.  / 运行内置演示案件。

    Example: tradeshield demo /tmp/ts-demo
    """
    from tradeshield.demo import run_demo

    out = start(lang, json_out, quiet)
    with out.progress(min_total=1 << 62) as cb:
        res = run_demo(folder, lang=lang, progress=cb)

    def render(con):
        t = Table(show_edge=False, title=i18n.t("cli.demo.title", path=res["folder"]))
        t.add_column(i18n.t("cli.col.step"))
        t.add_column("")
        t.add_column(i18n.t("cli.col.result"), overflow="fold")
        for s in res["steps"]:
            name = i18n.t("demo.step." + s["step"]) if i18n.has("demo.step." + s["step"]) else s["step"]
            t.add_row(name, "[green]✔[/]" if s["ok"] else "[red]✘[/]", s["summary"])
        con.print(t)
        con.print(i18n.t("cli.demo.next", case=res["case"], folder=res["folder"]))

    out.emit(res, render)
    if not res["ok"]:
        raise typer.Exit(1)

i18n.register({
    "cli.init.done": ("已创建案件：{path}", "case created: {path}"),
    "cli.event.done": ("已记录事件：{time} {kind}", "event recorded: {time} {kind}"),
    "cli.event.source.user": ("用户记录", "you"), "cli.event.source.chat": ("聊天", "chat"),
    "cli.event.source.courier": ("物流", "courier"),
    "cli.add.added": ("已添加", "added"),
    "cli.add.duplicate": ("重复（未再复制）", "duplicate (not copied again)"),
    "cli.add.zone": ("时间均为 {zone}；原件在 evidence/ 下", "times in {zone}; originals under evidence/"),
    "cli.log.intact": ("保管链完整：{n} 条记录", "custody chain intact: {n} entries"),
    "cli.col.sha256": ("SHA-256", "SHA-256"), "cli.col.capture": ("拍摄时间（来源）", "capture time (source)"),
    "cli.col.action": ("操作", "action"), "cli.col.files": ("文件", "files"),
    "cli.col.hash": ("前一条哈希", "prev hash"),
    "cli.demo.title": ("演示案件：{path}", "demo case: {path}"),
    "cli.demo.next": ("打开 {folder}/packet/report.html 查看报告；或 cd {case} 后运行 tradeshield log、tradeshield timeline",
                      "open {folder}/packet/report.html for the report; or cd {case} and try tradeshield log, tradeshield timeline"),
    "cli.col.step": ("步骤", "step"), "cli.col.result": ("结果", "result"),
    "cli.seal.title": ("复制到平台聊天（{chars} 字）", "paste into the platform chat ({chars} chars)"),
    "cli.bundle.done": ("已写出 {path}：{files} 个文件，Merkle 根 {merkle_root}，封存码 {seal_code}",
                        "wrote {path}: {files} files, Merkle root {merkle_root}, seal code {seal_code}"),
    "cli.verify.intact_signed": ("完好且签名有效：{files} 个文件，包内每个字节都在签名范围内；封存码 {code}；签名公钥 {fp}",
                                 "intact and signed: {files} files, every byte of the bag covered by the signature; "
                                 "seal code {code}; key {fp}"),
    "cli.verify.key_ok": ("签名公钥与 --key 要求的一致：{fp}", "signed by the key you required: {fp}"),
    "cli.verify.key_unchecked": ("未核对签名者：任何人都能用自己的密钥重新签名；请用 --key 指定对方公布的指纹 {fp} 是否正确",
                                 "signer not checked: anyone can re-sign with their own key; pass --key with the "
                                 "fingerprint the sender published (this one is {fp})"),
    "cli.verify.intact_unsigned": ("内部一致，但未签名：{files} 个文件，封存码 {code}。任何人改动后重算哈希都会得到同样结果；"
                                   "只有签名（--key）或事先发出的封存码（--code）能证明内容未变",
                                   "internally consistent but UNSIGNED: {files} files, seal code {code}. Anyone who "
                                   "changed it and recomputed the hashes would get this too; only a signature (--key) "
                                   "or a seal code posted earlier (--code) proves nothing changed"),
    "cli.verify.signed_by": ("签名公钥 {fp}", "signature key {fp}"),
    "cli.verify.unsigned_short": ("未签名", "unsigned"),
    "cli.verify.more": ("……另有 {n} 个问题（--json 列出全部）", "… and {n} more problems (--json lists them all)"),
    "cli.verify.code_bundle": ("封存码 {code} 与整个证据包相符（全部 {n} 个文件）", "seal code {code} matches the whole bundle (all {n} files)"),
    "cli.verify.code_seal": ("封存码 {code}：evidence/ 中的 {n} 个原件与 {time} 封存时相同；其余 {m} 个文件（案件信息、事实、陈述、派生文件）不在封存码范围内",
                             "seal code {code}: the {n} originals in evidence/ are those sealed on {time}; {m} other "
                             "files (case.toml, facts, statements, derived) are not covered by the seal"),
    "cli.verify.leftovers": ("有 {n} 个中断运行留下的临时文件（对此案件运行的下一个命令会清除）",
                             "{n} temp files left by an interrupted run (the next command on this case removes them)"),
    "cli.verify.tsr": ("时间戳 {path}：{time}（有效：{ok}）", "timestamp {path}: {time} (valid: {ok})"),
    "cli.stamp.done": ("已写出时间戳请求 {request}（{files} 个文件，根 {root}）；把响应保存为 {response_expected}",
                       "wrote the timestamp request {request} ({files} files, root {root}); save the response as {response_expected}"),
    "cli.stamp.imported": ("已导入时间戳响应 {response}", "imported the timestamp response {response}"),
})
