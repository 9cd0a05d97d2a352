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
from tradeshield.timeutil import format_duration

RECEIPT_CASE = ("received", "signed", "delivered", "confirmed")
REFUSAL_WORDS = ("不行", "不能", "不可以", "不议价", "不讲价", "没法", "不了", "不降", "最低了", "no", "sorry")
# Strongest first: what a reviewer should read first (DOMAIN.md §0: the timeline decided the seller's case).
STRENGTH = ("refund-after-refused-discount", "late-evidence", "late-defect-claim", "imei-match",
            "sealed-before-shipping", "signed-for", "off-platform")

i18n.register({
    "pattern.refund-after-refused-discount": (
        "收货后要求降价（{discount}），被拒（{refused}）后仅{gap}即申请退款/退货（{refund}）",
        "discount asked after delivery ({discount}), refused ({refused}), refund/return requested {gap} later ({refund})"),
    "pattern.late-defect-claim": ("签收（{receipt}）{gap}后才首次声称有质量问题（{claim}）",
                                  "defect first claimed {gap} after receipt ({receipt} → {claim})"),
    "pattern.off-platform": ("对方要求平台外联系或付款：“{matched}”（{time}）",
                             "off-platform contact or payment asked: \"{matched}\" ({time})"),
    "pattern.late-evidence": ("签收（{receipt}）{gap}后才提交新证据（{time}：{note}）",
                              "new evidence submitted {gap} after receipt ({receipt} → {time}: {note})"),
    "pattern.imei-match": ("IMEI {imei} 在多处来源中一致：{sources}",
                           "IMEI {imei} matches across sources: {sources}"),
    "pattern.sealed-before-shipping": ("证据在发货前已封存（封存 {sealed}，发货 {shipped}）",
                                       "evidence sealed before shipping (sealed {sealed}, shipped {shipped})"),
    "pattern.signed-for": ("物流显示已签收（{time}{signer}）", "the courier shows it signed for ({time}{signer})"),
    "pattern.signer": ("，签收人：{name}", ", signed by {name}"),
    "src.photo": ("照片（{time}）", "photo ({time})"),
    "src.video": ("视频（{time}）", "video ({time})"),
    "src.compare": ("退回物品照片比对", "the returned item's photo comparison"),
    "timeline.title": ("{title} — 时间线 {n}/{total}", "{title} — timeline {n}/{total}"),
    "timeline.suggested": ("（待确认）", " (?)"),
    "timeline.zone": ("时间均为 UTC{offset}", "all times UTC{offset}"),
    # kinds, as people read them
    **{f"kind.{k}": v for k, v in {
        "listed": ("上架", "listed"), "ordered": ("下单", "ordered"), "paid": ("付款", "paid"),
        "shipped": ("发货", "shipped"), "delivered": ("送达", "delivered"), "received": ("收到货", "received"),
        "signed": ("签收", "signed for"), "confirmed": ("确认收货", "receipt confirmed"),
        "discount-requested": ("要求降价", "discount asked"), "discount-refused": ("拒绝降价", "discount refused"),
        "defect-claimed": ("声称有问题", "defect claimed"), "refund-requested": ("申请退款", "refund requested"),
        "return-requested": ("申请退货", "return requested"), "return-shipped": ("退货寄出", "return shipped"),
        "return-received": ("收到退货", "return received"), "dispute-opened": ("发起纠纷", "dispute opened"),
        "evidence-submitted": ("提交证据", "evidence submitted"), "ruling": ("平台判定", "ruling"),
        "appeal": ("申诉", "appeal"), "card-key-delivered": ("发放卡密", "card key delivered"),
        "message": ("消息", "message"), "other": ("其他", "other"),
        "discount-request": ("要求降价", "discount asked"), "refund-request": ("申请退款", "refund asked"),
        "return-request": ("要求退货", "return asked"), "defect-claim": ("声称有问题", "defect claimed"),
        "receipt-ack": ("表示已收到", "receipt acknowledged"), "confirm-request": ("催确认收货", "asked to confirm receipt"),
        "off-platform": ("平台外联系/付款", "off-platform contact"), "fake-service": ("冒充客服", "fake customer service"),
        "threat": ("威胁", "threat"), "insult": ("辱骂", "insult"), "agreement": ("约定", "agreement"),
        "requirement": ("需求", "requirement"),
        "price-agreed": ("约定价格", "price agreed"), "deposit-terms": ("定金条款", "deposit terms"),
        "delivery-promise": ("交付承诺", "delivery promised"), "ship-before-pay": ("要求先发货后付款", "ship before pay asked"),
        "cardkey-before-pay": ("要求先发卡密后付款", "card key before pay asked"),
        "partial-delivery": ("部分交付", "partly delivered"), "refund-refused": ("拒绝退款", "refund refused"),
        "courier:picked-up": ("快递揽收", "picked up"), "courier:in-transit": ("运输中", "in transit"),
        "courier:out-for-delivery": ("派送中", "out for delivery"), "courier:signed": ("快递签收", "signed for"),
        "courier:proxy-signed": ("代收签收", "signed for by proxy"), "courier:returned": ("快递退回", "returned"),
        "courier:problem": ("快递异常", "courier problem"),
        "captured:photo": ("拍摄照片", "photo taken"), "captured:video": ("拍摄视频", "video recorded"),
        "captured": ("文件时间", "file time"), "sealed": ("证据封存", "evidence sealed"),
        "invoice-date": ("开票日期", "invoice date"), "event": ("事件", "event"),
    }.items()},
    **{f"origin.{k}": v for k, v in {
        "case": ("记录", "recorded"), "chat": ("聊天", "chat"), "courier": ("物流", "courier"),
        "fact": ("用户确认", "stated by you"),
        "evidence": ("文件", "file"), "facts": ("分析", "analysis")}.items()},
})


def kind_label(kind: str, lang: str | None = None) -> str:
    """An event kind, chat kind or courier status as people read it (never the code itself)."""
    key = f"kind.{kind}"
    if i18n.has(key):
        return i18n.t(key, lang)
    named = _rule_names().get(kind)     # a kind issue 19's rules define: its own zh_name / en_name
    if named:
        return named[0] if i18n.normalize(lang or i18n.get_lang()) == "zh" else named[1]
    base = kind.split(":", 1)[0]
    return i18n.t(f"kind.{base}" if i18n.has(f"kind.{base}") else "kind.event", lang)


def _rule_names() -> dict[str, tuple[str, str]]:
    global _RULE_NAMES
    if _RULE_NAMES is None:
        try:
            from tradeshield import data
            from tradeshield.tomlcompat import loads

            rules = loads(data.path("chat_rules.toml").read_text(encoding="utf-8"))
            _RULE_NAMES = {k["kind"]: (k.get("zh_name") or k["kind"], k.get("en_name") or k["kind"])
                           for k in rules.get("kind", []) if isinstance(k, dict) and k.get("kind")}
        except (OSError, ValueError, KeyError, TypeError):
            _RULE_NAMES = {}
    return _RULE_NAMES


_RULE_NAMES: dict | None = None


def origin_label(origin: str, lang: str | None = None) -> str:
    return i18n.t(f"origin.{origin}", lang) if i18n.has(f"origin.{origin}") else origin


def capture_label(source: str | None, lang: str | None = None) -> str:
    """Where a file's time came from (photo EXIF, video metadata), or "" when unknown."""
    from tradeshield.labels import label

    return label("capture", source, lang) if source else ""


def _t(s) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(s) if s else None
    except (TypeError, ValueError):
        return None
    return t if t is None or t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _entry(time, kind, origin, note, ref=None, role=None) -> dict:
    return {"time": time, "kind": kind, "origin": origin, "note": note or "", "ref": ref or {}, "role": role}


def collect(case) -> list[dict]:
    """Every dated entry, each time in the case's zone (a UTC video time becomes 09:40 +08:00)."""
    out = [_entry(e.time, e.kind, "case", e.note, {"source": e.source, **(e.ref or {})}) for e in case.events()]
    from tradeshield.conversation.facts import facts_for_statement

    # chat events through the user's decisions: confirmed first, suggestions marked, never a rejected one
    for e in facts_for_statement(case):
        if e.get("origin") == "event":
            continue        # a user's events.jsonl entry: already listed above, once
        if e.get("time"):
            entry = _entry(e["time"], e["kind"], "fact" if e.get("origin") == "fact" else "chat",
                           f"{e.get('sender') or ''}: {e.get('text', '')}" if e.get("origin") != "fact" else e.get("text", ""),
                           {**(e.get("ref") or {}), "matched": e.get("matched"), "amount": e.get("amount"),
                            "id": e.get("id")}, e.get("by") or e.get("role"))
            entry["status"] = e.get("status", "suggested")
            out.append(entry)
    for e in (case.read_facts("courier", {}) or {}).get("events", []):
        if e.get("time") and e.get("status"):
            out.append(_entry(e["time"], "courier:" + e["status"], "courier", e.get("text", ""), e.get("ref"),
                              "system"))
            if e.get("signer"):
                out[-1]["signer"] = e["signer"]
    for item in case.evidence():
        if item.capture_time:
            out.append(_entry(item.capture_time, f"captured:{item.kind}", "evidence", item.path.rsplit("/", 1)[-1],
                              {"source": item.sha256, "capture_source": item.capture_source}))
    out.extend(_other_facts(case))
    out = [e for e in out if _t(e["time"]) is not None]
    for e in out:
        e["time"] = _t(e["time"]).astimezone(case.tz).isoformat()
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
                              str(doc.get("path", "")).rsplit("/", 1)[-1], {"source": doc.get("sha256")}))
    return out


def _receipt(entries) -> dict | None:
    for e in entries:
        if (e["origin"] == "case" and e["kind"] in RECEIPT_CASE) or e["kind"] in ("courier:signed", "courier:proxy-signed"):
            return e
    for e in entries:
        if e["kind"] == "receipt-ack":
            return e
    return None


def _short(iso: str) -> str:
    return iso[:16].replace("T", " ")


def _gap(a: str, b: str, lang: str) -> str:
    return format_duration((_t(b) - _t(a)).total_seconds(), lang)


def _pattern(code: str, refs: list[dict], params: dict, gap: tuple[str, str] | None = None) -> dict:
    """A flagged pattern: its texts in both languages, its parameters (ISO times) and supporting entries."""
    for r in refs:
        r["flagged"] = True
    texts = {}
    for lang in ("zh", "en"):
        shown = {k: (_short(v) if isinstance(v, str) and _t(v) and "T" in v else v) for k, v in params.items()}
        if gap:
            shown["gap"] = _gap(gap[0], gap[1], lang)
        if "signer" in params:
            shown["signer"] = i18n.t("pattern.signer", lang, name=params["signer"]) if params["signer"] else ""
        if "sources" in params:
            shown["sources"] = ("、" if lang == "zh" else ", ").join(
                i18n.t(f"src.{s['kind']}", lang, name=s.get("name", ""), time=_short(s.get("time", "")))
                for s in params["sources"])
        texts[lang] = i18n.t("pattern." + code, lang, **shown)
    return {"code": code, **texts, "params": {**params, **({"seconds": (_t(gap[1]) - _t(gap[0])).total_seconds()}
                                                        if gap else {})},
            "evidence": [{k: r[k] for k in ("time", "kind", "origin", "note", "ref")} for r in refs]}


def find_patterns(entries: list[dict], refund_hours: float = 24, late_days: float = 3, chat_path=None,
                  extra: dict | None = None) -> list[dict]:
    """Flagged patterns, strongest first, each code at most once (off-platform: each request)."""
    extra = extra or {}
    out = []
    receipt = _receipt(entries)
    rt = _t(receipt["time"]) if receipt else None
    out += _refund_after_discount(entries, rt, refund_hours, chat_path)
    if rt is not None:
        claim = next((e for e in entries if e["kind"] in ("defect-claim", "defect-claimed") and e.get("role") != "me"
                      and _t(e["time"]) >= rt), None)
        if claim and (_t(claim["time"]) - rt).total_seconds() >= late_days * 86400:
            out.append(_pattern("late-defect-claim", [receipt, claim],
                                {"receipt": receipt["time"], "claim": claim["time"]}, (receipt["time"], claim["time"])))
        late = [e for e in entries if e["kind"] == "evidence-submitted"
                and (_t(e["time"]) - rt).total_seconds() >= late_days * 86400]
        if late:
            e = late[0]
            out.append(_pattern("late-evidence", [receipt, e], {"receipt": receipt["time"], "time": e["time"],
                                                                "note": e["note"][:40]}, (receipt["time"], e["time"])))
    imei = extra.get("imei")
    if imei:
        out.append(_pattern("imei-match", [], {"imei": imei["value"], "sources": imei["sources"]}))
    seal = next((e for e in entries if e["kind"] == "sealed"), None)
    shipped = next((e for e in entries if e["kind"] in ("shipped", "courier:picked-up")), None)
    if seal and shipped and _t(seal["time"]) <= _t(shipped["time"]):
        out.append(_pattern("sealed-before-shipping", [seal, shipped], {"sealed": seal["time"],
                                                                       "shipped": shipped["time"]}))
    signed = next((e for e in entries if e["kind"] in ("courier:signed", "courier:proxy-signed")), None)
    if signed:
        out.append(_pattern("signed-for", [signed], {"time": signed["time"], "signer": signed.get("signer") or ""}))
    for e in [e for e in entries if e["kind"] in ("off-platform", "fake-service") and e.get("role") != "me"][:5]:
        out.append(_pattern("off-platform", [e], {"matched": e["ref"].get("matched") or e["note"][:30],
                                                  "time": e["time"]}))
    return sorted(out, key=lambda p: STRENGTH.index(p["code"]))


def imei_sources(case) -> dict | None:
    """An IMEI seen in more than one source (label photo, packing video, returned item), with where."""
    seen: dict[str, list[dict]] = {}
    for ph in (case.read_facts("photos", {}) or {}).get("photos", []) or []:
        for s in ph.get("serials", []) or []:
            if s.get("type") in ("imei", "imeisv") and s.get("valid") is not False and s.get("value"):
                seen.setdefault(str(s["value"]), []).append(
                    {"kind": "photo", "name": str(ph.get("path", "")).rsplit("/", 1)[-1],
                     "time": _zone(ph.get("capture_time"), case)})
    for v in (case.read_facts("frames", {}) or {}).get("videos", []) or []:
        codes = {b.get("text") for f in v.get("frames", []) or [] for b in f.get("barcodes", []) or []}
        for code in codes:
            if code in seen:
                seen[code].append({"kind": "video", "name": str(v.get("path", "")).rsplit("/", 1)[-1],
                                   "time": _zone(v.get("start"), case)})
    for value, where in seen.items():
        if len(where) > 1:
            return {"value": value, "sources": where}
    return None


def _zone(iso, case) -> str:
    t = _t(iso) if isinstance(iso, str) else None
    return t.astimezone(case.tz).isoformat() if t else ""


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
                return _entry(t.astimezone(after.tzinfo).isoformat(), "discount-refused", "chat",
                              f"{m['sender']}: {m['text']}", {"source": m.get("source"), "lines": m.get("lines")}, "me")
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
            out.append(_pattern("refund-after-refused-discount", refs,
                                {"discount": ask["time"], "refused": refusal["time"], "refund": refund["time"],
                                 "explicit_refusal": refusal is not ask},
                                (refusal["time"], refund["time"])))
            break
    return out


def build_timeline(case, refund_hours: float = 24, late_days: float = 3) -> dict:
    entries = collect(case)
    chat = case.derived_dir / "chat.jsonl"
    patterns = find_patterns(entries, refund_hours, late_days, chat if chat.exists() else None,
                             extra={"imei": imei_sources(case)} if case.info.get("role") == "seller" else {})
    return {"entries": entries, "patterns": patterns, "params": {"hours": refund_hours, "late_days": late_days}}


def render_timeline(case, tl: dict, per_page: int = 60, lang: str | None = None) -> dict:
    """Draw the timeline as JPEG pages (patterns on top, flagged rows in red) within the platform limits."""
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font
    from tradeshield.imaging import save_jpeg_within
    from tradeshield.timeutil import format_offset

    font, small = load_font(22), load_font(18)
    rows = tl["entries"]
    pages = [rows[i:i + per_page] for i in range(0, len(rows), per_page)][:LIMITS.images_per_submission]
    lang = lang or i18n.get_lang()
    title = case.info.get("item") or case.info.get("title") or ""
    zone = i18n.t("timeline.zone", lang, offset=format_offset(case.tz))
    paths = []
    for n, page in enumerate(pages, 1):
        head = [p[lang] for p in tl["patterns"]] if n == 1 else []
        h = 90 + 34 * len(head) + 32 * len(page) + 50
        img = Image.new("RGB", (1400, h), "white")
        d = ImageDraw.Draw(img)
        d.text((30, 24), i18n.t("timeline.title", lang, title=title, n=n, total=len(pages)) + f" · {zone}",
               font=font, fill=(0, 0, 0))
        y = 70
        for line in head:
            d.text((30, y), "▲ " + line[:90], font=small, fill=(190, 90, 0))
            y += 34
        for e in page:
            color = (200, 20, 20) if e.get("flagged") else (30, 30, 30)
            d.text((30, y), e["time"][:16].replace("T", " "), font=small, fill=color)
            kind = kind_label(e["kind"], lang)[:14] + (i18n.t("timeline.suggested", lang)   # not confirmed yet
                                                        if e.get("status") == "suggested" else "")
            d.text((230, y), kind, font=small, fill=color)
            d.text((440, y), entry_note(e, lang).replace("\n", " ")[:54], font=small, fill=color)
            y += 32
        dest = case.derived_path(f"timeline/timeline-{n}.jpg")
        paths.append(save_jpeg_within(img, dest)["path"])
    case.record_derived(paths, action="timeline", sources=[], params=tl["params"])
    return {"path": case.rel(paths[0]), "pages": [case.rel(p) for p in paths]}


def entry_note(e: dict, lang: str | None = None) -> str:
    """An entry's detail for people: a file's name and where its time came from, a seal's code, a note."""
    if e["origin"] == "evidence":
        src = capture_label((e.get("ref") or {}).get("capture_source"), lang)
        return f"{e['note']}（{src}）" if src and lang == "zh" else (f"{e['note']} ({src})" if src else e["note"])
    if e.get("signer"):
        return e["note"] + (f"（签收人：{e['signer']}）" if lang == "zh" else f" (signed by {e['signer']})")
    return e["note"]
