"""The demo's steps: (name, function(ctx) -> one-line summary), in the order a user would run them."""
from __future__ import annotations

from tradeshield.demo.assets import IMEI
from tradeshield.errors import TradeshieldError


class StepFailed(TradeshieldError):
    """A demo step ran but did not produce what the demo case must show."""


def _case(ctx):
    from tradeshield.case import Case

    return Case(ctx["folder"] / "case")


def step_init(ctx):
    from tradeshield.case import Case

    case = Case.init(ctx["folder"] / "case", role="seller", platform="xianyu", item="海信A5Pro 手机", price=1100,
                     order="1234567890", counterparty="远方私人")
    case.update_info(listed_price=1150)
    return f"{case.root}"


def step_add(ctx):
    a = ctx["assets"]
    case = _case(ctx)
    res = case.add([a["invoice"]], note="原机主的电子发票", progress=ctx["progress"])
    res += case.add([a["photo"]], note=f"IMEI 标签照片（{IMEI}）")
    res += case.add([a["video"]], note="打包发货视频")
    res += case.add([a["chat"]], note="旺旺聊天记录")
    res += case.add([a["courier"]], note="顺丰物流记录")
    return f"{len(res)} originals: " + ", ".join(f"{r.item.kind}" for r in res)


def step_events(ctx):
    case = _case(ctx)
    case.add_event("2021-05-20 21:10", "paid", note="买家付款 ¥1100")
    case.add_event("2021-05-23 18:12", "shipped", note="顺丰 SF1234567890")
    case.add_event("2021-05-26 20:15", "discount-refused", note="回复：已经是最低价了，不议价")
    case.add_event("2021-05-26 20:19", "refund-requested", note="买家以“开不了机”为由申请退款")
    return f"{len(case.events())} events"


def _evidence(ctx, kind):
    case = _case(ctx)
    return case, [case.evidence_path(i) for i in case.evidence() if i.kind == kind]


def step_photo(ctx):
    from tradeshield.photo import register_photos

    case, photos = _evidence(ctx, "photo")
    res = register_photos(case, photos, label="serial")
    serials = [s["value"] for p in res["photos"] for s in p.get("serials", []) if s.get("valid")]
    if IMEI not in serials:
        raise StepFailed("demo.step_failed", what=f"the IMEI {IMEI} was not decoded from the label photo")
    return f"IMEI {IMEI} decoded from the label (Luhn valid); upload copy without GPS"


def step_frames(ctx):
    from tradeshield.video import extract_frames

    case, videos = _evidence(ctx, "video")
    res = extract_frames(case, videos[0], every=1.0, progress=ctx["progress"])
    codes = sorted({b["text"] for f in res["frames"] for b in f.get("barcodes", [])})
    if IMEI not in codes:
        raise StepFailed("demo.step_failed", what=f"the IMEI barcode was not seen in the packing video ({codes})")
    verdict = res["continuity"]["verdict"]
    return f"{len(res['frames'])} labelled frames + contact sheet; IMEI {IMEI} seen in the video; continuity: {verdict}"


def step_invoice(ctx):
    from tradeshield.invoice import process

    case, pdfs = _evidence(ctx, "pdf")
    doc = process(case, pdfs[0], progress=ctx["progress"])
    fields = doc.get("fields", {})
    total = (fields.get("total") or {}).get("value")
    date = (fields.get("date") or {}).get("value")
    if not total or not date:
        raise StepFailed("demo.step_failed", what="the invoice's date and total were not read")
    return f"{len(doc.get('pages', []))} page(s) as JPEG; bought {date} for ¥{total}"


def _asset_item(ctx, key):
    case = _case(ctx)
    return case, case.ensure_evidence(ctx["assets"][key])


def step_chat(ctx):
    from tradeshield.chat.render import render_case_chat
    from tradeshield.chat.store import import_chat

    case, item = _asset_item(ctx, "chat")
    res = import_chat(case, case.evidence_path(item))
    images = render_case_chat(case, res["sha256"])
    kinds = sorted(res["event_counts"])
    if "discount-request" not in kinds or "refund-request" not in kinds:
        raise StepFailed("demo.step_failed", what=f"chat events found: {kinds}")
    return f"{res['messages']} messages ({res['format']}), events: {', '.join(kinds)}; {len(images)} chat image(s)"


def step_courier(ctx):
    from tradeshield.courier import import_courier

    case, item = _asset_item(ctx, "courier")
    res = import_courier(case, case.evidence_path(item))
    signed = [e for e in res["events"] if e["status"] in ("signed", "proxy-signed")]
    if not signed:
        raise StepFailed("demo.step_failed", what="no delivery (签收) found in the courier text")
    return f"{len(res['events'])} courier events, signed {signed[0]['time']}"


def step_timeline(ctx):
    from tradeshield.timeline import build_timeline, render_timeline

    case = _case(ctx)
    tl = build_timeline(case)
    render_timeline(case, tl)
    codes = [p["code"] for p in tl["patterns"]]
    if "refund-after-refused-discount" not in codes:
        raise StepFailed("demo.step_failed", what=f"patterns found: {codes}")
    return f"{len(tl['entries'])} entries; patterns: {', '.join(codes)}"


def step_check(ctx):
    from tradeshield.check import run_check

    case, item = _asset_item(ctx, "chat")
    res = run_check({"category": "phone", "listed": 1150, "credit": "极好", "trades": 312,
                     "same_category_share": 0.9, "account_age_days": 900, "chat": str(case.evidence_path(item))},
                    case=case, use_watchlist=False)
    return f"risk {res['level']} (score {res['score']}): " + ", ".join(r["id"] for r in res["reasons"])


def step_seal(ctx):
    from tradeshield.bundle import seal

    res = seal(_case(ctx), lang=ctx["lang"])
    return res["message"]


def step_bundle(ctx):
    from tradeshield.bundle import build_bundle
    from tradeshield.signing import key_exists

    out = ctx["folder"] / "case.zip"
    res = build_bundle(_case(ctx), out, sign=key_exists(), progress=ctx["progress"])
    ctx["bundle"] = out
    return f"{out.name}: {res['files']} files, seal code {res['seal_code']}"


def step_verify(ctx):
    from tradeshield.verify import verify

    rep = verify(ctx["bundle"])
    if not rep.ok:
        return "TAMPERED: " + "; ".join(p.describe(ctx["lang"]) for p in rep.problems)
    return f"intact, Merkle root {rep.info['merkle_root'][:16]}…"


STEPS = [
    ("init", step_init),
    ("add", step_add),
    ("events", step_events),
    ("photo", step_photo),
    ("frames", step_frames),
    ("invoice", step_invoice),
    ("chat", step_chat),
    ("courier", step_courier),
    ("timeline", step_timeline),
    ("check", step_check),
    ("seal", step_seal),
    ("bundle", step_bundle),
    ("verify", step_verify),
]
