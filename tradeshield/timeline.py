"""The case timeline: case events, chat events, evidence times, courier events and other facts, with patterns.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.timeline import build_timeline
    >>> tl = build_timeline(Case.find())                       # doctest: +SKIP
    >>> [p["code"] for p in tl["patterns"]]                    # doctest: +SKIP
    ['refund-after-refused-discount', 'late-defect-claim']

Patterns flagged (each with the entries that support it):
``refund-after-refused-discount`` — a discount asked after delivery, refused, then a refund or
return requested within N hours; ``late-defect-claim`` — the first defect claim N days or more
after receipt; ``off-platform`` — payment or contact outside the platform asked for (or a fake
customer-service / deposit lure); ``late-evidence`` — evidence submitted long after receipt.
"""
from __future__ import annotations

import datetime as dt

from tradeshield import i18n
from tradeshield.config import LIMITS

RECEIPT_CASE = ("received", "signed", "delivered", "confirmed")
REFUSAL_WORDS = ("不行", "不能", "不可以", "不议价", "不讲价", "没法", "不了", "不降", "最低了", "no", "sorry")

i18n.register({
    "pattern.refund-after-refused-discount": (
        "收货后要求降价（{discount}），被拒（{refused}）后 {hours:.1f} 小时内申请退款/退货（{refund}）",
        "discount asked after delivery ({discount}), refused ({refused}), refund/return requested {hours:.1f} h later ({refund})"),
    "pattern.late-defect-claim": ("收货（{receipt}）{days:.1f} 天后才首次声称有质量问题（{claim}）",
                                  "defect first claimed {days:.1f} days after receipt ({receipt} → {claim})"),
    "pattern.off-platform": ("对方要求平台外联系或付款：“{matched}”（{time}）",
                             "off-platform contact or payment asked: \"{matched}\" ({time})"),
    "pattern.late-evidence": ("收货（{receipt}）{days:.1f} 天后才提交新证据（{time}：{note}）",
                              "new evidence submitted {days:.1f} days after receipt ({receipt} → {time}: {note})"),
})


def _t(s: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(s) if s else None
    except ValueError:
        return None


def _entry(time, kind, origin, note, ref=None, role=None) -> dict:
    return {"time": time, "kind": kind, "origin": origin, "note": note or "", "ref": ref or {}, "role": role}


def collect(case) -> list[dict]:
    out = [_entry(e.time, e.kind, "case", e.note, {"source": e.source, **(e.ref or {})}) for e in case.events()]
    from tradeshield.conversation.facts import facts_for_statement

    # chat events through the user's decisions: confirmed first, suggestions marked, never a rejected one
    for e in facts_for_statement(case):
        if e.get("time"):
            entry = _entry(e["time"], e["kind"], "fact" if e.get("origin") == "fact" else "chat",
                           f"{e.get('sender') or ''}: {e.get('text', '')}" if e.get("origin") != "fact" else e.get("text", ""),
                           {**(e.get("ref") or {}), "matched": e.get("matched"), "amount": e.get("amount"),
                            "id": e.get("id")}, e.get("by") or e.get("role"))
            entry["status"] = e.get("status", "suggested")
            out.append(entry)
    for e in (case.read_facts("courier", {}) or {}).get("events", []):
        who = f" [{e['signer']}]" if e.get("signer") else ""
        out.append(_entry(e["time"], "courier:" + e["status"], "courier", e.get("text", "") + who, e.get("ref")))
    for item in case.evidence():
        if item.capture_time:
            out.append(_entry(item.capture_time, f"captured:{item.kind}", "evidence",
                              f"{item.path} ({item.capture_source})", {"source": item.sha256}))
    out.extend(_other_facts(case))
    out = [e for e in out if _t(e["time"]) is not None]
    out.sort(key=lambda e: _t(e["time"]).timestamp())
    return out


def _other_facts(case) -> list[dict]:
    out = []
    seal = case.read_facts("seal")
    if isinstance(seal, dict) and seal.get("time"):
        out.append(_entry(seal["time"], "sealed", "facts", seal.get("code", ""), {}))
    inv = case.read_facts("invoice", {}) or {}
    for doc in inv.get("documents", []) if isinstance(inv, dict) else []:
        date = ((doc.get("fields") or {}).get("date") or {}).get("value")
        if isinstance(date, str) and len(date) >= 10:
            out.append(_entry(date[:10] + "T00:00:00" + case.info.get("timezone", "+08:00"), "invoice-date", "facts",
                              doc.get("path", ""), {"source": doc.get("sha256")}))
    return out


def _receipt(entries) -> dict | None:
    for e in entries:
        if (e["origin"] == "case" and e["kind"] in RECEIPT_CASE) or e["kind"] in ("courier:signed", "courier:proxy-signed"):
            return e
    for e in entries:
        if e["kind"] == "receipt-ack":
            return e
    return None


def _pattern(code: str, refs: list[dict], **params) -> dict:
    for r in refs:
        r["flagged"] = True
    return {"code": code, "zh": i18n.t("pattern." + code, "zh", **params), "en": i18n.t("pattern." + code, "en", **params),
            "evidence": [{k: r[k] for k in ("time", "kind", "origin", "note", "ref")} for r in refs]}


def find_patterns(entries: list[dict], refund_hours: float = 24, late_days: float = 3, chat_path=None) -> list[dict]:
    out = []
    receipt = _receipt(entries)
    rt = _t(receipt["time"]) if receipt else None
    out += _refund_after_discount(entries, rt, refund_hours, chat_path)
    if rt is not None:
        claim = next((e for e in entries if e["kind"] in ("defect-claim", "defect-claimed") and e.get("role") != "me"
                      and _t(e["time"]) >= rt), None)
        if claim and (_t(claim["time"]) - rt).total_seconds() >= late_days * 86400:
            out.append(_pattern("late-defect-claim", [receipt, claim], receipt=receipt["time"][:16],
                                claim=claim["time"][:16], days=(_t(claim["time"]) - rt).total_seconds() / 86400))
        for e in entries:
            if e["kind"] == "evidence-submitted" and (_t(e["time"]) - rt).total_seconds() >= late_days * 86400:
                out.append(_pattern("late-evidence", [receipt, e], receipt=receipt["time"][:16], time=e["time"][:16],
                                    note=e["note"][:40], days=(_t(e["time"]) - rt).total_seconds() / 86400))
    for e in [e for e in entries if e["kind"] in ("off-platform", "fake-service") and e.get("role") != "me"][:5]:
        out.append(_pattern("off-platform", [e], matched=e["ref"].get("matched") or e["note"][:30], time=e["time"][:16]))
    return out


def _chat_refusal(path, after: dt.datetime, hours: float) -> dict | None:
    """The user's first message refusing within ``hours`` after a discount request, read from chat.jsonl."""
    import json

    from tradeshield.chat.spool import line_time

    end = after + dt.timedelta(hours=hours)
    try:
        f = open(path, "rb")
    except OSError:
        return None
    with f:
        for ln in f:
            t = _t(line_time(ln))
            if t is None or t <= after:
                continue
            if t > end:
                break
            m = json.loads(ln)
            if m.get("role") == "me" and any(w in m.get("text", "").lower() for w in REFUSAL_WORDS):
                return _entry(m["time"], "discount-refused", "chat", f"{m['sender']}: {m['text']}",
                              {"source": m.get("source"), "lines": m.get("lines")}, "me")
    return None


def _refund_after_discount(entries, rt, hours: float, chat_path=None) -> list[dict]:
    out = []
    asks = [e for e in entries if e["kind"] in ("discount-request", "discount-requested") and e.get("role") != "me"
            and (rt is None or _t(e["time"]) >= rt)]
    for ask in asks[:3]:
        at = _t(ask["time"])
        refusal = next((e for e in entries if e["kind"] == "discount-refused" and _t(e["time"]) >= at), None)
        refusal = refusal or (_chat_refusal(chat_path, at, hours) if chat_path else None) or ask
        ft = _t(refusal["time"])
        refund = next((e for e in entries if e["kind"] in ("refund-request", "return-request", "refund-requested",
                                                             "return-requested") and e.get("role") != "me"
                       and ft <= _t(e["time"]) <= ft + dt.timedelta(hours=hours)), None)
        if refund:
            refs = [ask] + ([refusal] if refusal is not ask else []) + [refund]
            out.append(_pattern("refund-after-refused-discount", refs, discount=ask["time"][:16],
                                refused=refusal["time"][:16], refund=refund["time"][:16],
                                hours=(_t(refund["time"]) - ft).total_seconds() / 3600))
            break
    return out


def build_timeline(case, refund_hours: float = 24, late_days: float = 3) -> dict:
    entries = collect(case)
    chat = case.derived_dir / "chat.jsonl"
    patterns = find_patterns(entries, refund_hours, late_days, chat if chat.exists() else None)
    return {"entries": entries, "patterns": patterns, "params": {"hours": refund_hours, "late_days": late_days}}


def render_timeline(case, tl: dict, per_page: int = 60) -> dict:
    """Draw the timeline as JPEG pages (patterns on top, flagged rows in red) within the platform limits."""
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font
    from tradeshield.imaging import save_jpeg_within

    font, small = load_font(22), load_font(18)
    rows = tl["entries"]
    pages = [rows[i:i + per_page] for i in range(0, len(rows), per_page)][:LIMITS.images_per_submission]
    lang = i18n.get_lang()
    paths = []
    for n, page in enumerate(pages, 1):
        head = [p["zh"] if lang == "zh" else p["en"] for p in tl["patterns"]] if n == 1 else []
        h = 90 + 34 * len(head) + 32 * len(page) + 50
        img = Image.new("RGB", (1400, h), "white")
        d = ImageDraw.Draw(img)
        d.text((30, 24), f"{case.info.get('title', '')} — timeline {n}/{len(pages)}", font=font, fill=(0, 0, 0))
        y = 70
        for line in head:
            d.text((30, y), "▲ " + line[:90], font=small, fill=(190, 90, 0))
            y += 34
        for e in page:
            color = (200, 20, 20) if e.get("flagged") else (30, 30, 30)
            d.text((30, y), e["time"][:16].replace("T", " "), font=small, fill=color)
            kind = e["kind"][:24] + (" (?)" if e.get("status") == "suggested" else "")   # a suggestion, not confirmed
            d.text((230, y), kind, font=small, fill=color)
            d.text((500, y), e["note"].replace("\n", " ")[:52], font=small, fill=color)
            y += 32
        dest = case.derived_path(f"timeline/timeline-{n}.jpg")
        paths.append(save_jpeg_within(img, dest)["path"])
    case.record_derived(paths, action="timeline", sources=[], params=tl["params"])
    return {"path": case.rel(paths[0]), "pages": [case.rel(p) for p in paths]}
