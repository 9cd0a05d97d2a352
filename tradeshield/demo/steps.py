"""The demo's steps: (name, function(ctx) -> one-line summary), in the order a user would run them.

Each step makes the same library call as the matching command; a step whose result is not what the
demo case must show raises ``StepFailed`` so the summary says so.
"""
from __future__ import annotations

from tradeshield import i18n
from tradeshield.demo.assets import IMEI
from tradeshield.errors import TradeshieldError

SCENARIO = "seller-refund-after-discount"


class StepFailed(TradeshieldError):
    """A demo step ran but did not produce what the demo case must show."""


def _t(ctx, key, **kw) -> str:
    return i18n.t("demo.s." + key, ctx["lang"], **kw)


def _join(ctx, items) -> str:
    return ("、" if i18n.normalize(ctx["lang"]) == "zh" else ", ").join(items)


def _case(ctx):
    from tradeshield.evidence.case import Case

    return Case(ctx["folder"] / "case")


def _evidence(ctx, kind):
    case = _case(ctx)
    return case, [case.evidence_path(i) for i in case.evidence() if i.kind == kind]


def _asset_item(ctx, key):
    case = _case(ctx)
    return case, case.ensure_evidence(ctx["assets"][key])


def step_init(ctx):
    from tradeshield.evidence.case import Case

    case = Case.init(ctx["folder"] / "case", role="seller", platform="xianyu", item="海信A5Pro 手机", price=1100,
                     order="1234567890", counterparty="远方私人")
    case.update_info(listed_price=1150)
    return str(case.root)


def step_add(ctx):
    a = ctx["assets"]
    case = _case(ctx)
    res = case.add([a["invoice"]], note="原机主的电子发票", progress=ctx["progress"])
    res += case.add([a["photo"]], note=f"发货前 IMEI 标签照片（{IMEI}）")
    res += case.add([a["video"]], note="打包发货视频")
    res += case.add([a["chat"]], note="旺旺聊天记录")
    res += case.add([a["courier"]], note="顺丰物流记录")
    from tradeshield.labels import label

    return _t(ctx, "add", n=len(res), kinds=_join(ctx, [label("file", r.item.kind, ctx["lang"]) for r in res]))


def step_events(ctx):
    case = _case(ctx)
    case.add_event("2021-05-20 21:10", "paid", note="买家付款 ¥1100")
    case.add_event("2021-05-23 18:12", "shipped", note="顺丰 SF1234567890")
    case.add_event("2021-05-26 20:15", "discount-refused", note="回复：已经是最低价了，不议价")
    case.add_event("2021-05-26 20:19", "refund-requested", note="买家以“开不了机”为由申请退款")
    # the turning point of the real case: the buyer's new video came 12 days after delivery
    case.add_event("2021-06-06 16:40", "evidence-submitted", note="买家上传新的“开不了机”视频")
    return _t(ctx, "events", n=len(case.events()))


def step_photo(ctx):
    from tradeshield.photo import register_photos

    case, photos = _evidence(ctx, "photo")
    res = register_photos(case, photos, label="serial")
    serials = [s["value"] for p in res["photos"] for s in p.get("serials", []) if s.get("valid")]
    if IMEI not in serials:
        raise StepFailed("demo.step_failed", what=f"IMEI {IMEI} not decoded from the label photo")
    return _t(ctx, "photo", imei=IMEI)


def step_frames(ctx):
    from tradeshield.video import extract_frames

    case, videos = _evidence(ctx, "video")
    res = extract_frames(case, videos[0], every=1.0, progress=ctx["progress"])
    codes = sorted({b["text"] for f in res["frames"] for b in f.get("barcodes", [])})
    if IMEI not in codes:
        raise StepFailed("demo.step_failed", what=f"IMEI barcode not seen in the packing video ({codes})")
    from tradeshield.labels import label

    return _t(ctx, "frames", n=len(res["frames"]), imei=IMEI,
              verdict=label("verdict", res["continuity"]["verdict"], ctx["lang"]))


def step_invoice(ctx):
    from tradeshield.invoice import process

    case, pdfs = _evidence(ctx, "pdf")
    doc = process(case, pdfs[0], progress=ctx["progress"])
    fields = doc.get("fields", {})
    total = (fields.get("total") or {}).get("value")
    date = (fields.get("date") or {}).get("value")
    if not total or not date:
        raise StepFailed("demo.step_failed", what="the invoice's date and total were not read")
    return _t(ctx, "invoice", pages=len(doc.get("pages", [])), date=date, total=total)


def step_chat(ctx):
    from tradeshield.chat.render import render_case_chat
    from tradeshield.chat.store import import_chat

    case, item = _asset_item(ctx, "chat")
    res = import_chat(case, case.evidence_path(item))
    images = render_case_chat(case, res["sha256"])
    from tradeshield.timeline import kind_label

    kinds = sorted(res["event_counts"])
    if "discount-request" not in kinds or "refund-request" not in kinds:
        raise StepFailed("demo.step_failed", what=f"chat events found: {kinds}")
    return _t(ctx, "chat", n=res["messages"], fmt=_t(ctx, "fmt." + res["format"]) if i18n.has(
        "demo.s.fmt." + res["format"]) else res["format"], kinds=_join(ctx, [kind_label(k, ctx["lang"]) for k in kinds]),
              images=len(images))


def step_courier(ctx):
    from tradeshield.courier import import_courier

    case, item = _asset_item(ctx, "courier")
    res = import_courier(case, case.evidence_path(item))
    signed = [e for e in res["events"] if e["status"] in ("signed", "proxy-signed")]
    if not signed:
        raise StepFailed("demo.step_failed", what="no delivery (签收) in the courier text")
    from tradeshield.timeutil import show_time

    return _t(ctx, "courier", n=len(res["events"]), time=show_time(signed[0]["time"], case.tz))


def step_timeline(ctx):
    from tradeshield.timeline import build_timeline, render_timeline

    case = _case(ctx)
    tl = build_timeline(case)
    render_timeline(case, tl)
    codes = [p["code"] for p in tl["patterns"]]
    if "refund-after-refused-discount" not in codes or "late-evidence" not in codes:
        raise StepFailed("demo.step_failed", what=f"patterns found: {codes}")
    return _t(ctx, "timeline", n=len(tl["entries"]),
              patterns=_join(ctx, [_t(ctx, "pattern." + c) for c in dict.fromkeys(codes)]))


def step_check(ctx):
    from tradeshield.check import run_check

    case, item = _asset_item(ctx, "chat")
    res = run_check({"category": "phone", "listed": 1150, "credit": "极好", "trades": 312,
                     "same_category_share": 0.9, "account_age_days": 900, "chat": str(case.evidence_path(item))},
                    case=case, use_watchlist=False)
    from tradeshield.labels import label

    reasons = [str(r.get(ctx["lang"]) or r.get("zh") or r["id"]) for r in res["reasons"]]
    return _t(ctx, "check", level=label("verdict", res["level"], ctx["lang"]), score=res["score"],
              reasons=_join(ctx, [_short(r.split("：")[0].split(": ")[0], 48) for r in reasons]))


def _short(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis: between words where it has spaces (the first
    version cut 「the counterparty has 312」 off its noun)."""
    if len(text) <= width:
        return text
    if " " in text:
        import textwrap

        return textwrap.shorten(text, width, placeholder=" …")
    return text[:width - 1] + "…"


def step_compare(ctx):
    from tradeshield.compare import compare_photos

    case = _case(ctx)
    before = case.ensure_evidence(ctx["assets"]["photo"])
    after = case.ensure_evidence(ctx["assets"]["returned"], note="退回的手机盒标签")
    res = compare_photos(case, [case.evidence_path(before)], [case.evidence_path(after)])
    if res["verdict"] != "same":
        raise StepFailed("demo.step_failed", what=f"compare said {res['verdict']} for the same label")
    from tradeshield.labels import label

    return _t(ctx, "compare", verdict=label("verdict", res["verdict"], ctx["lang"]))


def step_seal(ctx):
    from tradeshield.evidence.bundle import seal

    return seal(_case(ctx), lang=ctx["lang"])["message"]


def step_statement(ctx):
    from tradeshield.statement import build_statement, save_statement

    case = _case(ctx)
    st = build_statement(case, SCENARIO, lang=ctx["lang"])
    if not st.ok:
        raise StepFailed("demo.step_failed", what="missing facts: " + ", ".join(m.fact for m in st.missing))
    save_statement(case, st)
    return _t(ctx, "statement", n=len(st.split.messages), most=max(st.split.counts), limit=st.split.limit)


def step_packet(ctx):
    from tradeshield.packet import build_packet

    out = ctx["folder"] / "packet"
    res = build_packet(_case(ctx), out, scenario=SCENARIO, lang=ctx["lang"], progress=ctx["progress"])
    ctx["bundle"] = out / "case.zip"
    return _t(ctx, "packet", path=str(out), images=len(res["upload"]), messages=res["messages"]["count"],
              code=res["seal_code"])


def step_verify(ctx):
    from tradeshield.evidence.verify import verify

    if "bundle" not in ctx:      # the packet step failed (its own line says why): nothing to verify
        raise StepFailed("demo.needs", step=i18n.t("demo.step.packet", ctx["lang"]))
    rep = verify(ctx["bundle"])
    if not rep.ok:
        raise StepFailed("demo.step_failed", what="; ".join(p.describe(ctx["lang"]) for p in rep.problems))
    return _t(ctx, "verify", files=rep.info["files"], root=rep.info["merkle_root"][:16])


STEPS = [
    ("init", step_init),
    ("add", step_add),
    ("event", step_events),
    ("photo", step_photo),
    ("frames", step_frames),
    ("invoice", step_invoice),
    ("chat", step_chat),
    ("courier", step_courier),
    ("timeline", step_timeline),
    ("check", step_check),
    ("compare", step_compare),
    ("seal", step_seal),
    ("statement", step_statement),
    ("packet", step_packet),
    ("verify", step_verify),
]

i18n.register({
    "demo.s.add": ("复制了 {n} 个原件：{kinds}", "{n} originals copied in: {kinds}"),
    "demo.s.events": ("记录了 {n} 个事件", "{n} events recorded"),
    "demo.s.photo": ("从标签照片解码出 IMEI {imei}（校验位正确）；上传副本已去除 GPS", "IMEI {imei} decoded from the label (check digit valid); upload copy without GPS"),
    "demo.s.frames": ("{n} 张带时间标签的画面 + 联系表；视频中可见 IMEI {imei}；连续性：{verdict}",
                      "{n} time-labelled frames + contact sheet; IMEI {imei} seen in the video; continuity: {verdict}"),
    "demo.s.invoice": ("{pages} 页转为 JPEG；{date} 购买，金额 ¥{total}", "{pages} page(s) as JPEG; bought {date} for ¥{total}"),
    "demo.s.chat": ("{n} 条消息（{fmt}），关键事件：{kinds}；{images} 张聊天图片", "{n} messages ({fmt}), events: {kinds}; {images} chat image(s)"),
    "demo.s.courier": ("{n} 条物流事件，签收于 {time}", "{n} courier events, signed for {time}"),
    "demo.s.timeline": ("时间线 {n} 条；发现模式：{patterns}", "{n} timeline entries; patterns: {patterns}"),
    "demo.s.check": ("{level}（{score} 分）：{reasons}", "{level} (score {score}): {reasons}"),
    "demo.s.compare": ("退回物品与发货前照片比对：{verdict}", "returned item vs. photo before shipping: {verdict}"),
    "demo.s.statement": ("陈述分为 {n} 条，最长 {most}/{limit} 字", "statement in {n} messages, longest {most}/{limit}"),
    "demo.s.packet": ("材料包 {path}：{images} 张图片、{messages} 条消息、证据包（封存码 {code}）、report.html",
                      "packet {path}: {images} images, {messages} messages, bundle (seal code {code}), report.html"),
    "demo.s.fmt.taobao": ("淘宝/旺旺复制格式", "Taobao/Wangwang copy"),
    **{f"demo.s.pattern.{k}": v for k, v in {
        "refund-after-refused-discount": ("降价被拒后即退款", "refund right after a refused discount"),
        "late-evidence": ("签收多日后才提交证据", "evidence long after receipt"),
        "late-defect-claim": ("签收多日后才称有问题", "defect claimed long after receipt"),
        "imei-match": ("多处来源 IMEI 一致", "IMEI matches across sources"),
        "sealed-before-shipping": ("发货前已封存", "sealed before shipping"),
        "signed-for": ("物流已签收", "signed for"), "off-platform": ("要求平台外交易", "off-platform request")}.items()},
    **{f"demo.step.{k}": v for k, v in {
        "assets": ("素材", "assets"), "init": ("新建案件", "init"), "add": ("添加证据", "add"),
        "event": ("记录事件", "event"), "photo": ("照片", "photo"), "frames": ("视频截帧", "frames"),
        "invoice": ("发票", "invoice"), "chat": ("聊天记录", "chat"), "courier": ("物流", "courier"),
        "timeline": ("时间线", "timeline"), "check": ("风险检查", "check"), "compare": ("比对", "compare"),
        "seal": ("封存", "seal"), "statement": ("陈述", "statement"), "packet": ("材料包", "packet"),
        "verify": ("核验", "verify")}.items()},
    "demo.s.verify": ("证据包完好：{files} 个文件，Merkle 根 {root}…", "bundle intact: {files} files, Merkle root {root}…"),
})
