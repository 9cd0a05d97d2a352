"""The facts a statement may use, gathered from the case (case.toml, events, facts/*.json, evidence).

    >>> from tradeshield.statement_facts import gather_facts
    >>> facts = gather_facts(case)                                   # doctest: +SKIP
    >>> facts["discount_request"].value["when"], facts["discount_request"].origin   # doctest: +SKIP
    ('2021-05-29 20:01', 'facts/chat.json lines 41-41')

Each ``Fact`` keeps where it came from (``origin``) and the SHA-256 of the evidence behind it
(``sources``). Facts files are read defensively: a missing or malformed key is a missing fact,
never an error and never a default that would put an invented value into a statement.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from tradeshield import i18n


@dataclass
class Fact:
    name: str
    value: Any
    origin: str                                        # case.toml / events.jsonl / facts/chat.json lines 3-4 …
    sources: list[str] = field(default_factory=list)   # SHA-256 of the evidence behind it

    def to_dict(self) -> dict:
        return {"value": self.value, "origin": self.origin, "sources": self.sources}


# ---------------------------------------------------------------- reading helpers

def _list(d, key) -> list:
    v = d.get(key) if isinstance(d, dict) else None
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _parse(iso) -> dt.datetime | None:
    if not isinstance(iso, str):
        return None
    try:
        t = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else None


class _Ctx:
    def __init__(self, case, lang: str = "zh"):
        self.case = case
        self.lang = lang
        self.info = case.info
        self.tz = case.tz
        self.events = case.events()
        self.facts = {n: case.read_facts(n, None) for n in
                      ("seal", "frames", "photos", "compare", "invoice", "chat", "courier", "cardkey", "check")}
        self.buyer = "them" if self.info.get("role") == "seller" else "me"
        from tradeshield.conversation.facts import facts_for_statement

        # confirmed facts first, then suggestions; never a rejected event, never an unconfirmed "agreed" kind
        self.conv_events = facts_for_statement(case)

    def when(self, t: dt.datetime) -> str:
        return t.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def moment(self, iso, **extra) -> dict | None:
        t = _parse(iso)
        if t is None:
            return None
        return {"time": t.isoformat(), "when": self.when(t), "day": t.astimezone(self.tz).strftime("%Y-%m-%d"),
                **{k: v for k, v in extra.items() if v not in (None, "")}}

    def chat_events(self, kinds: tuple[str, ...], role: str | None = None) -> list[tuple[dt.datetime, dict]]:
        """Chat events and user-stated facts of ``kinds`` (conversation.facts.facts_for_statement): confirmed
        ones first, a user's own fact passes any role filter; sorted by time within each group."""
        confirmed, suggested = [], []
        for ev in self.conv_events:
            t = _parse(ev.get("time"))
            who = ev.get("by") or ev.get("role")
            if t and ev.get("kind") in kinds and (role is None or who in (role, "user")) and ev.get("text"):
                (confirmed if ev.get("status") == "confirmed" else suggested).append((t, ev))
        return sorted(confirmed, key=lambda p: p[0]) + sorted(suggested, key=lambda p: p[0])

    def agreed_events(self, kinds: tuple[str, ...]) -> list[tuple[dt.datetime, dict]]:
        """Events that may be presented as agreed (facts_for_statement keeps agreed-type kinds only when confirmed)."""
        return self.chat_events(kinds)

    def chat_fact(self, name: str, t: dt.datetime, ev: dict) -> Fact:
        ref = ev.get("ref") if isinstance(ev.get("ref"), dict) else {}
        lines = ref.get("lines") if isinstance(ref.get("lines"), list) else []
        where = f" lines {lines[0]}-{lines[-1]}" if lines and lines[0] is not None else ""
        stated = ev.get("origin") in ("fact", "event")
        value = self.moment(t.isoformat(), sender=ev.get("sender"), text=ev.get("text"), amount=ev.get("amount"),
                            quoted=not stated, status=ev.get("status"), id=(ev.get("id") or "")[:6])
        origin = {"fact": "facts/decisions.json", "event": "events.jsonl", "stored": "facts/chat.json"}.get(
            ev.get("origin"), "derived/chat.jsonl") + where
        return Fact(name, value, origin, [ref["source"]] if ref.get("source") else [])

    def case_events(self, kinds: tuple[str, ...]) -> list:
        return [e for e in self.events if e.kind in kinds]

    def event_fact(self, name: str, e) -> Fact | None:
        value = self.moment(e.time, note=e.note)
        ref = e.ref if isinstance(e.ref, dict) else {}
        return Fact(name, value, f"events.jsonl ({e.kind})", [ref["source"]] if ref.get("source") else []) \
            if value else None


# ---------------------------------------------------------------- gatherers

def _info(key: str) -> Callable:
    def get(ctx: _Ctx, _out):
        v = ctx.info.get(key)
        return Fact(key, str(v), "case.toml") if v not in (None, "") else None
    return get


def _price(ctx: _Ctx, _out):
    p = ctx.info.get("price")
    if p in (None, ""):
        return None
    cur = ctx.info.get("currency") or "CNY"
    return Fact("price", {"amount": p, "text": money(p, cur)}, "case.toml")


_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "US$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "HKD": "HK$", "TWD": "NT$"}


def money(amount, currency: str = "CNY") -> str:
    """¥1100, not "1100 CNY"; an unknown currency keeps its code."""
    sym = _SYMBOLS.get(str(currency).upper())
    return f"{sym}{amount}" if sym else f"{currency} {amount}"


def _moment(chat_kinds: tuple = (), event_kinds: tuple = (), who: str | None = None, last: bool = False,
            after: str | tuple | None = None) -> Callable:
    """A dated fact: the chat event (quotable) if there is one, else the user's case event.

    ``after``: a fact name (or the first present of several) whose time is the floor."""
    def get(ctx: _Ctx, out):
        role = {"buyer": ctx.buyer, "seller": "me" if ctx.buyer == "them" else "them"}.get(who or "", None)
        names = (after,) if isinstance(after, str) else (after or ())
        floor_name = next((n for n in names if n in out), None)
        floor = _parse(out[floor_name].value["time"]) if floor_name else None
        chats = [(t, ev) for t, ev in ctx.chat_events(chat_kinds, role) if floor is None or t >= floor]
        if chats:
            t, ev = chats[-1] if last else chats[0]
            return ctx.chat_fact("", t, ev)
        evs = [e for e in ctx.case_events(event_kinds) if floor is None or _parse(e.time) >= floor]
        return ctx.event_fact("", evs[-1] if last else evs[0]) if evs else None
    return get


def _courier_moment(statuses: tuple, fallback: Callable) -> Callable:
    def get(ctx: _Ctx, out):
        for ev in sorted(_list(ctx.facts["courier"], "events"), key=lambda e: str(e.get("time"))):
            if ev.get("status") in statuses and ctx.moment(ev.get("time")):
                ref = ev.get("ref") if isinstance(ev.get("ref"), dict) else {}
                value = ctx.moment(ev.get("time"), note=ev.get("text"), signer=ev.get("signer"))
                return Fact("", value, "facts/courier.json", [ref["source"]] if ref.get("source") else [])
        return fallback(ctx, out)
    return get


def _chat_list(kinds: tuple, role: str | None = None, agreed: bool = False) -> Callable:
    def get(ctx: _Ctx, _out):
        r = {"them": "them", "me": "me"}.get(role or "")
        pairs = ctx.agreed_events(kinds) if agreed else ctx.chat_events(kinds, r)
        items = [ctx.chat_fact("", t, ev) for t, ev in pairs if r is None or ev.get("role") == r]
        if not items:
            return None
        return Fact("", [f.value for f in items], "facts/chat.json", sorted({s for f in items for s in f.sources}))
    return get


def _delivered_items(ctx: _Ctx, _out):
    """What was delivered: user events with a note, and confirmed partial-delivery facts (never a suggestion)."""
    items = [(e.time, ctx.moment(e.time, note=e.note)) for e in ctx.case_events(("delivered", "received")) if e.note]
    items += [(t.isoformat(), ctx.moment(t.isoformat(), note=ev.get("text")))
              for t, ev in ctx.chat_events(("partial-delivery",)) if ev.get("status") == "confirmed"]
    items = [(k, v) for k, v in items if v]
    if not items:
        return None
    items.sort(key=lambda p: _parse(p[1]["time"]))
    return Fact("", [v for _k, v in items], "events.jsonl / facts/decisions.json (delivered items)")


def _courier(ctx: _Ctx, _out):
    evs = [ev for ev in _list(ctx.facts["courier"], "events") if _parse(ev.get("time"))]
    if not evs:
        return None
    evs.sort(key=lambda e: _parse(e["time"]))
    trail = [ctx.moment(e["time"], status=e.get("status"), note=e.get("text"), signer=e.get("signer")) for e in evs]
    srcs = sorted({e["ref"]["source"] for e in evs if isinstance(e.get("ref"), dict) and e["ref"].get("source")})
    signed = [m for m in trail if m.get("status") in ("signed", "proxy-signed")]
    problems = [m for m in trail if m.get("status") in ("returned", "problem")]
    value = {"trail": trail, "first": trail[0], "last": trail[-1], "signed": signed[0] if signed else None,
             "problems": problems, "count": len(trail)}
    return Fact("", value, "facts/courier.json", srcs)


def _invoice(ctx: _Ctx, _out):
    for doc in _list(ctx.facts["invoice"], "documents"):
        fields = doc.get("fields") if isinstance(doc.get("fields"), dict) else {}

        def val(k):
            f = fields.get(k)
            return f.get("value") if isinstance(f, dict) else None
        if not (val("total") or val("invoice_number")):
            continue
        items = val("items") if isinstance(val("items"), list) else []
        value = {"number": val("invoice_number"), "date": val("date"), "total": val("total"),
                 "seller": val("seller_name"), "buyer": val("buyer_name"), "type": doc.get("type"),
                 "items": [i.get("name") for i in items if isinstance(i, dict) and i.get("name")]}
        return Fact("", {k: v for k, v in value.items() if v not in (None, "", [])}, "facts/invoice.json",
                    [doc["sha256"]] if doc.get("sha256") else [])
    return None


def _photo_serials(ctx: _Ctx) -> list[dict]:
    out = []
    for ph in _list(ctx.facts["photos"], "photos"):
        for s in _list(ph, "serials"):
            if s.get("value"):
                out.append({"type": s.get("type"), "value": str(s["value"]), "valid": s.get("valid"),
                            "photo": ph.get("path"), "sha256": ph.get("sha256"), "sha12": str(ph.get("sha256", ""))[:12],
                            "time": ph.get("capture_time"), "when": (ctx.moment(ph.get("capture_time")) or {}).get("when")})
    return out


def _serials(ctx: _Ctx, out):
    """Serials of the traded item: photographed before shipping (seller) or after delivery (buyer)."""
    found, seen = [], set()
    edge = out.get("shipped") if ctx.buyer == "them" else out.get("delivered")
    t_edge = _parse(edge.value["time"]) if edge else None
    for s in _photo_serials(ctx):
        t = _parse(s["time"])
        if t_edge and t and (t > t_edge if ctx.buyer == "them" else t < t_edge):
            continue
        if s["value"] not in seen and s.get("valid") is not False:
            seen.add(s["value"])
            found.append(s)
    return Fact("", found, "facts/photos.json", sorted({s["sha256"] for s in found if s["sha256"]})) if found else None


def _video(ctx: _Ctx, _out):
    vids = _list(ctx.facts["frames"], "videos")
    vids.sort(key=lambda v: str(v.get("start") or ""))
    for v in vids:
        if not v.get("sha256"):
            continue
        cont = v.get("continuity") if isinstance(v.get("continuity"), dict) else {}
        start = ctx.moment(v.get("start"))
        dur = v.get("duration")
        value = {"when": start and start["when"], "time": start and start["time"],
                 "duration": _duration(dur, ctx.lang) if isinstance(dur, (int, float)) else None,
                 "seconds": dur, "frames": len(_list(v, "frames")),
                 "verdict": cont.get("verdict"), "warnings": len(_list(cont, "warnings"))}
        return Fact("", {k: x for k, x in value.items() if x is not None}, "facts/frames.json", [v["sha256"]])
    return None


def _duration(seconds: float, lang: str = "zh") -> str:
    """A video's length: 6秒, 1分35秒 / 6 s, 1 min 35 s."""
    s = max(1, int(round(seconds)))
    m, s = divmod(s, 60)
    if lang == "zh":
        return (f"{m}分" if m else "") + (f"{s}秒" if s or not m else "")
    return " ".join(x for x in (f"{m} min" if m else "", f"{s} s" if s or not m else "") if x)


def _photos(ctx: _Ctx, _out):
    phs = [p for p in _list(ctx.facts["photos"], "photos") if p.get("sha256")]
    if not phs:
        return None
    times = sorted(m["when"] for m in (ctx.moment(p.get("capture_time")) for p in phs) if m)
    value = {"count": len(phs), "first_when": times[0] if times else None,
             "labels": sorted({str(p["label"]) for p in phs if p.get("label")})}
    return Fact("", value, "facts/photos.json", sorted({p["sha256"] for p in phs}))


def _condition_proof(_ctx: _Ctx, out):
    for name in ("video", "photos"):
        if name in out:
            f = out[name]
            return Fact("", {"kind": name, **f.value}, f.origin, f.sources)
    return None


def _compare(ctx: _Ctx, _out):
    comps = [c for c in _list(ctx.facts["compare"], "comparisons") if c.get("verdict")]
    comps.sort(key=lambda c: c.get("verdict") != "different")
    if not comps:
        return None
    c = comps[0]
    srcs = [s for s in (c.get("before") or []) + (c.get("after") or []) if isinstance(s, str)]
    # a reason that names files is for the report, not for the reviewer
    reasons = [r for r in (_text(x, ctx.lang) for x in c.get("reasons") or []) if r and not _FILE_NAME.search(r)]
    value = {"verdict": c["verdict"], "reasons": reasons[:3]}
    return Fact("", value, "facts/compare.json", srcs)


_FILE_NAME = re.compile(r"[\w-]+\.(?:jpe?g|png|heic|webp|mp4|mov|pdf|ofd|txt)\b|evidence/|derived/", re.I)


def _swap_proof(ctx: _Ctx, out):
    c = out.get("compare")
    if c and c.value["verdict"] == "different":
        return Fact("", {"kind": "compare", **c.value}, c.origin, c.sources)
    shipped, back = out.get("shipped"), out.get("return_received")
    if not (shipped and back):
        return None
    t_ship, t_back = _parse(shipped.value["time"]), _parse(back.value["time"])
    serials = [s for s in _photo_serials(ctx) if _parse(s["time"])]
    before = [s for s in serials if _parse(s["time"]) <= t_ship]
    after = [s for s in serials if _parse(s["time"]) >= t_back]
    if before and after and not {s["value"] for s in before} & {s["value"] for s in after}:
        return Fact("", {"kind": "serials", "shipped": before, "returned": after}, "facts/photos.json",
                    sorted({s["sha256"] for s in before + after if s["sha256"]}))
    return None


def _seal(ctx: _Ctx, _out):
    s = ctx.facts["seal"]
    if not (isinstance(s, dict) and isinstance(s.get("code"), str) and s["code"]):
        return None
    m = ctx.moment(s.get("time"))
    value = {"code": s["code"], "when": m and m["when"], "time": m and m["time"]}
    return Fact("", {k: v for k, v in value.items() if v}, "facts/seal.json")


def _cardkey(ctx: _Ctx, _out):
    c = ctx.facts["cardkey"]
    if not (isinstance(c, dict) and c.get("commitment")):
        return None
    m = ctx.moment(c.get("sealed_at"))
    from tradeshield.cardkey import short_code

    value = {"code": short_code(str(c["commitment"])), "count": c.get("count"),
             "when": m and m["when"], "segments": len(_list(c, "segments"))}
    return Fact("", {k: v for k, v in value.items() if v not in (None, "")}, "facts/cardkey.json")


def _check(ctx: _Ctx, _out):
    c = ctx.facts["check"]
    if not (isinstance(c, dict) and c.get("level")):
        return None
    reasons = [_text(r, ctx.lang) for r in c.get("reasons") or [] if isinstance(r, (str, dict))]
    return Fact("", {"level": c["level"], "score": c.get("score"), "reasons": [r for r in reasons if r][:3]},
                "facts/check.json")


def _evidence(ctx: _Ctx, _out):
    items = ctx.case.evidence()
    if not items:
        return None
    kinds: dict[str, int] = {}
    for it in items:
        kinds[it.kind] = kinds.get(it.kind, 0) + 1
    value = {"count": len(items), "kinds": kinds}
    return Fact("", value, "custody.jsonl (add)", [it.sha256 for it in items])


# Order matters: later gatherers read earlier facts (refund after the discount, swap proof after shipping).
GATHERERS: dict[str, Callable] = {
    "item": _info("item"), "order": _info("order"), "counterparty": _info("counterparty"),
    "platform": _info("platform"), "role": _info("role"), "price": _price,
    "paid": _moment(event_kinds=("paid", "ordered")),
    "shipped": _courier_moment(("picked-up",), _moment(event_kinds=("shipped",))),
    "delivered": _courier_moment(("signed", "proxy-signed"), _moment(event_kinds=("delivered", "signed", "received"))),
    "receipt_ack": _moment(("receipt-ack",), ("confirmed",), who="buyer"),
    # the price talk before the sale is no "discount request after delivery": the floor is delivery (or shipping)
    "discount_request": _moment(("discount-request",), ("discount-requested",), who="buyer", after=("delivered", "shipped")),
    "discount_refused": _moment(("discount-refused",), ("discount-refused",), who="seller", after="discount_request"),
    "refund_request": _moment(("refund-request",), ("refund-requested",), who="buyer", after="discount_request"),
    "defect_claim": _moment(("defect-claim",), ("defect-claimed",), who="buyer"),
    "return_request": _moment(("return-request",), ("return-requested",), who="buyer"),
    "return_shipped": _moment(event_kinds=("return-shipped",)),
    "return_received": _moment(event_kinds=("return-received",)),
    "card_key_delivered": _moment(event_kinds=("card-key-delivered",)),
    "ruling": _moment(event_kinds=("ruling",), last=True),
    "requirements": _chat_list(("requirement",), agreed=True),
    "agreements": _chat_list(("agreement",), agreed=True),
    "delivered_items": _delivered_items,
    "threats": _chat_list(("threat", "insult"), "them"),
    "off_platform": _chat_list(("off-platform", "fake-service"), "them"),
    "courier": _courier, "invoice": _invoice, "serials": _serials, "video": _video, "photos": _photos,
    "condition_proof": _condition_proof, "compare": _compare, "swap_proof": _swap_proof, "seal": _seal,
    "cardkey": _cardkey, "check": _check, "evidence": _evidence,
}


def _text(item, lang: str) -> str:
    """A finding in the reader's language: {"zh", "en", "code", …} dicts give their text, never themselves."""
    if isinstance(item, dict):
        return str(item.get(lang) or item.get("en") or item.get("zh") or "")
    return str(item) if item is not None else ""


def gather_facts(case, lang: str = "zh") -> dict[str, Fact]:
    ctx, out = _Ctx(case, lang), {}
    for name, get in GATHERERS.items():
        fact = get(ctx, out)
        if fact is not None and fact.value not in (None, [], {}):
            fact.name = name
            out[name] = fact
    return out


def format_gap(a: dict | None, b: dict | None, lang: str) -> str:
    """Time from fact ``a`` to fact ``b`` in words ("8 分钟", "2 days 3 hours"); empty if unknown."""
    from tradeshield.timeutil import format_duration

    ta, tb = _parse((a or {}).get("time")), _parse((b or {}).get("time"))
    if ta is None or tb is None or tb < ta:
        return ""
    return format_duration((tb - ta).total_seconds(), lang)


def is_after(a: dict | None, b: dict | None) -> bool:
    """Whether fact ``a`` happened strictly after fact ``b`` (False when either time is unknown)."""
    ta, tb = _parse((a or {}).get("time")), _parse((b or {}).get("time"))
    return bool(ta and tb and ta > tb)


def how_to_supply(name: str, lang: str) -> str:
    return i18n.t(f"how.{name}", lang)


_T = "tradeshield"
i18n.register({
    "fact.item": ("商品名称", "what was traded"),
    "how.item": ("在 case.toml 中写 item = \"商品名\"（新案件用 tradeshield init --item）",
                 "set item = \"…\" in case.toml (new cases: tradeshield init --item)"),
    "fact.order": ("订单号", "order number"),
    "how.order": ("在 case.toml 中写 order = \"订单号\"（或 tradeshield init --order）",
                  "set order = \"…\" in case.toml (or tradeshield init --order)"),
    "fact.price": ("成交价", "agreed price"),
    "how.price": ("在 case.toml 中写 price = 1100（或 tradeshield init --price）",
                  "set price = 1100 in case.toml (or tradeshield init --price)"),
    "fact.counterparty": ("对方昵称", "the other side's nickname"),
    "how.counterparty": ("在 case.toml 中写 counterparty = \"昵称\"", "set counterparty = \"…\" in case.toml"),
    "fact.shipped": ("发货时间", "when it was shipped"),
    "how.shipped": (f"运行 {_T} courier 物流.txt，或 {_T} event add \"2021-05-23 10:12\" shipped --note \"顺丰 SF…\"",
                    f"run {_T} courier tracking.txt, or {_T} event add \"2021-05-23 10:12\" shipped --note \"SF …\""),
    "fact.delivered": ("签收时间", "when it was delivered (signed for)"),
    "how.delivered": (f"运行 {_T} courier 物流.txt（含签收记录），或 {_T} event add 时间 delivered",
                      f"run {_T} courier tracking.txt (with the signed line), or {_T} event add TIME delivered"),
    "fact.paid": ("付款时间", "when it was paid"),
    "how.paid": (f"{_T} event add 时间 paid", f"{_T} event add TIME paid"),
    "fact.receipt_ack": ("对方表示已收到/满意", "receipt acknowledged"),
    "how.receipt_ack": (f"运行 {_T} chat 聊天记录.txt --me 你的昵称，或 {_T} event add 时间 confirmed",
                        f"run {_T} chat export.txt --me YOUR_NAME, or {_T} event add TIME confirmed"),
    "fact.discount_request": ("买家要求优惠（时间、原话）", "the buyer's request for money off (time, words)"),
    "how.discount_request": (f"运行 {_T} chat 聊天记录.txt --me 你的昵称，或 {_T} event add 时间 discount-requested --note \"要求优惠50元\"",
                             f"run {_T} chat export.txt --me YOUR_NAME, or {_T} event add TIME discount-requested --note \"asked 50 off\""),
    "fact.discount_refused": ("拒绝优惠的时间", "when the discount was refused"),
    "how.discount_refused": (f"{_T} event add 时间 discount-refused", f"{_T} event add TIME discount-refused"),
    "fact.refund_request": ("退款申请（时间）", "the refund request (time)"),
    "how.refund_request": (f"运行 {_T} chat 聊天记录.txt，或 {_T} event add 时间 refund-requested",
                           f"run {_T} chat export.txt, or {_T} event add TIME refund-requested"),
    "fact.defect_claim": ("质量问题的说法（时间、内容）", "the defect claim (time, words)"),
    "how.defect_claim": (f"运行 {_T} chat 聊天记录.txt，或 {_T} event add 时间 defect-claimed --note \"问题描述\"",
                         f"run {_T} chat export.txt, or {_T} event add TIME defect-claimed --note \"what is wrong\""),
    "fact.return_request": ("退货申请", "the return request"),
    "how.return_request": (f"{_T} event add 时间 return-requested", f"{_T} event add TIME return-requested"),
    "fact.return_shipped": ("退货寄出时间", "when the return was sent"),
    "how.return_shipped": (f"{_T} event add 时间 return-shipped --note \"退货单号\"",
                           f"{_T} event add TIME return-shipped --note \"return tracking no.\""),
    "fact.return_received": ("收到退货的时间", "when the returned item arrived"),
    "how.return_received": (f"{_T} event add 时间 return-received", f"{_T} event add TIME return-received"),
    "fact.card_key_delivered": ("卡密发放时间", "when the card key was delivered"),
    "how.card_key_delivered": (f"{_T} event add 时间 card-key-delivered", f"{_T} event add TIME card-key-delivered"),
    "fact.ruling": ("平台判定（时间、结果）", "the platform's ruling (time, result)"),
    "how.ruling": (f"{_T} event add 时间 ruling --note \"判定结果\"", f"{_T} event add TIME ruling --note \"the result\""),
    "fact.requirements": ("约定的需求清单（聊天原话）", "the agreed requirements (chat quotes)"),
    "how.requirements": (f"逐条确认约定的需求：{_T} events --kind requirement 查看后 {_T} events confirm 编号；"
                         f"或自己写明：{_T} fact add requirement \"首页栏目按约定修改\" --source chat:L12-14",
                         f"confirm each agreed requirement: {_T} events --kind requirement, then {_T} events confirm ID; "
                         f"or state it: {_T} fact add requirement \"rework the home page sections\" --source chat:L12-14"),
    "fact.agreements": ("双方约定的条款（聊天原话）", "terms both sides agreed (chat quotes)"),
    "how.agreements": (f"运行 {_T} chat 聊天记录.txt 后用 {_T} events confirm 编号 确认双方的约定",
                       f"run {_T} chat export.txt, then confirm the agreed terms with {_T} events confirm ID"),
    "fact.delivered_items": ("实际交付的内容（逐项）", "what was actually delivered (item by item)"),
    "how.delivered_items": (f"每项交付一条：{_T} event add 时间 received --note \"交付内容\"，或 {_T} fact add partial-delivery \"只交付了模板\" --source chat:L5-7",
                            f"one per delivered item: {_T} event add TIME received --note \"what arrived\", or {_T} fact add partial-delivery \"only the template\" --source chat:L5-7"),
    "fact.threats": ("对方的威胁或辱骂（原话）", "threats or insults by the other side (quotes)"),
    "how.threats": (f"运行 {_T} chat 聊天记录.txt", f"run {_T} chat export.txt"),
    "fact.off_platform": ("对方要求私下交易/假客服", "off-platform or fake-service requests"),
    "how.off_platform": (f"运行 {_T} chat 聊天记录.txt", f"run {_T} chat export.txt"),
    "fact.courier": ("物流轨迹", "the courier trail"),
    "how.courier": (f"复制物流页面文字后运行 {_T} courier 物流.txt", f"copy the tracking page text and run {_T} courier tracking.txt"),
    "fact.invoice": ("发票/购买凭证", "the invoice or receipt"),
    "how.invoice": (f"运行 {_T} invoice 发票.pdf", f"run {_T} invoice invoice.pdf"),
    "fact.serials": ("序列号/IMEI 照片", "serial number / IMEI photos"),
    "how.serials": (f"运行 {_T} photo IMG_0012.JPG --label serial", f"run {_T} photo IMG_0012.JPG --label serial"),
    "fact.video": ("开箱/打包视频", "unboxing / packing video"),
    "how.video": (f"运行 {_T} frames 视频.mp4", f"run {_T} frames video.mp4"),
    "fact.photos": ("实物照片", "photos of the item"),
    "how.photos": (f"运行 {_T} photo 照片.jpg", f"run {_T} photo photo.jpg"),
    "fact.condition_proof": ("发货前状态的视频或照片", "video or photos of the item's condition"),
    "how.condition_proof": (f"运行 {_T} frames 打包视频.mp4，或 {_T} photo 照片.jpg --label condition",
                            f"run {_T} frames packing.mp4, or {_T} photo photo.jpg --label condition"),
    "fact.compare": ("发出与退回实物的对比", "comparison of shipped and returned item"),
    "how.compare": (f"运行 {_T} compare --before 发货前.jpg --after 退回.jpg", f"run {_T} compare --before shipped.jpg --after returned.jpg"),
    "fact.swap_proof": ("退回的不是发出的那件（对比或序列号不同）", "proof the returned item is not the one shipped"),
    "how.swap_proof": (f"运行 {_T} compare --before 发货前.jpg --after 退回.jpg，或对发货前和退回后的序列号照片运行 {_T} photo",
                       f"run {_T} compare --before shipped.jpg --after returned.jpg, or {_T} photo on serial photos taken before shipping and after the return"),
    "fact.seal": ("证据封存码", "the evidence seal code"),
    "how.seal": (f"运行 {_T} seal", f"run {_T} seal"),
    "fact.cardkey": ("卡密承诺值", "the card-key commitment"),
    "how.cardkey": (f"发放前运行 {_T} cardkey seal < codes.txt", f"before delivery run {_T} cardkey seal < codes.txt"),
    "fact.check": ("对方风险检查结果", "the counterparty check"),
    "how.check": (f"运行 {_T} check", f"run {_T} check"),
    "fact.evidence": ("已加入案件的证据文件", "evidence files in the case"),
    "how.evidence": (f"运行 {_T} add 文件…", f"run {_T} add FILE…"),
    "fact.platform": ("平台", "platform"), "how.platform": ("case.toml", "case.toml"),
    "fact.role": ("角色", "role"), "how.role": ("case.toml", "case.toml"),
})
