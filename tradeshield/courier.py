"""Courier tracking text (SF 顺丰, 中通, 圆通, 韵达 …) → dated events: picked up, in transit, delivered, who signed.

    >>> from tradeshield.courier import parse_courier
    >>> evs = parse_courier("2024-04-12 16:20:03 已签收,签收人：本人\\n2024-04-10 18:12:45 顺丰速运 已收取快件\\n")
    >>> [(e["status"], e.get("signer")) for e in evs]
    [('picked-up', None), ('signed', '本人')]

Copied tracking pages list events newest-first or oldest-first, with the time and the text on one
line or the time on its own line above the text; both are read and the result is oldest-first.
Signing by a locker, 驿站, 代收点, guard or relative is ``proxy-signed``: not the addressee's own
signature, which matters for "not received" claims (DOMAIN.md §5).
"""
from __future__ import annotations

import re

from tradeshield import i18n
from tradeshield.errors import InputError

_TIME = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[\sT]*(\d{1,2}:\d{2}(?::\d{2})?)\s*(?:星期.|周.)?\s*[|｜\t,，]?\s*(.*)$")
_PROXY = re.compile(r"代收|代签|驿站|丰巢|快递柜|智能柜|自提柜|菜鸟|速递易|门卫|前台|物业|收发室|家人|同事|邻居|保安|代理点|取件码|取货码")
_SIGNED = re.compile(r"签收|已妥投|妥投|取件|领取|已取走")
_RETURNED = re.compile(r"拒收|退回|退件|返回寄件|退货签收")
_PROBLEM = re.compile(r"不成功|异常|滞留|破损|丢失|无人接听|联系不上|无法联系|拦截|改派|问题件|超时|延误")
_OUT = re.compile(r"派件|派送|配送中|正在为您派|投递|待派")
_PICKED = re.compile(r"揽收|揽件|已收取|收取快件|已收件|收件员|已取件.*寄|下单")
_SIGNER = [re.compile(p) for p in (r"在[【\[]([^】\]]{1,40})[】\]]领取", r"被[【\[]([^】\]]{1,40})[】\]]代收",
                                   r"由[【\[]?([^】\]，,。]{1,30}?)[】\]]?代收", r"签收人[:：\s]*([^\s,，。;；)）在]{1,20})",
                                   r"已签收[（(]([^)）]{1,20})[)）]")]
CARRIERS = (("顺丰", "SF Express"), ("SF", "SF Express"), ("中通", "ZTO"), ("圆通", "YTO"), ("韵达", "Yunda"),
            ("申通", "STO"), ("京东", "JD Logistics"), ("EMS", "EMS"), ("邮政", "China Post"), ("极兔", "J&T"),
            ("德邦", "Deppon"), ("百世", "Best"))

i18n.register({
    "courier.nothing": ("没有读到物流事件：{path}（需要“时间 + 描述”的行，例如 2024-04-12 16:20:03 已签收）",
                        "no courier events found in {path} (expected 'time + description' lines, e.g. 2024-04-12 16:20:03 已签收)"),
})


def status_of(text: str) -> str:
    if _RETURNED.search(text):
        return "returned"
    if _PROBLEM.search(text):
        return "problem"
    if _SIGNED.search(text) and "待" not in text[:6]:
        return "proxy-signed" if _PROXY.search(text) else "signed"
    if _PROXY.search(text) and re.search(r"已(?:放入|存入|投递|到达)", text):
        return "proxy-signed"
    if _OUT.search(text):
        return "out-for-delivery"
    if _PICKED.search(text):
        return "picked-up"
    return "in-transit"


def signer_of(text: str) -> str | None:
    for p in _SIGNER:
        m = p.search(text)
        if m and m[1] not in ("已", "您的快递", "快件"):
            return m[1].strip("：: ")
    return None


def carrier_of(text: str) -> str | None:
    for key, name in CARRIERS:
        if key in text:
            return name
    return None


def _entries(text: str):
    """(time parts, description, first line, last line) for each event, in file order."""
    cur = None
    for n, raw in enumerate(text.split("\n"), 1):
        ln = raw.strip()
        if not ln:
            continue
        m = _TIME.match(ln)
        if m:
            if cur:
                yield cur
            cur = [m.groups()[:4], m[5].strip(), n, n]
        elif cur is not None:
            cur[1] = (cur[1] + " " + ln).strip()
            cur[3] = n
    if cur:
        yield cur


def parse_courier(text: str, tz=None, source: str = "") -> list[dict]:
    from tradeshield.chat.engine import Context

    ctx = Context(tz)
    events = []
    for (y, mo, d, clock), desc, a, b in _entries(text):
        iso = ctx.iso(f"{y}-{mo}-{d}", clock)
        if iso is None or not desc:
            continue
        ev = {"time": iso, "status": status_of(desc), "text": desc, "ref": {"source": source, "lines": [a, b]}}
        if ev["status"] in ("signed", "proxy-signed"):
            who = signer_of(desc)
            if who:
                ev["signer"] = who
        events.append(ev)
    if len(events) > 1 and events[0]["time"] > events[-1]["time"]:
        events.reverse()          # newest-first page: equal times keep their chronological (reversed) order
    return sorted(events, key=lambda e: e["time"])


def import_courier(case, path, carrier: str | None = None, tz=None) -> dict:
    from tradeshield.chat.source import Source

    item = case.ensure_evidence(path, note="courier tracking")
    src = Source(case.evidence_path(item))
    text = src.text()
    events = parse_courier(text, tz or case.info.get("timezone"), item.sha256)
    if not events:
        raise InputError("courier.nothing", path=str(path))
    carrier = carrier or carrier_of(text)
    old = case.read_facts("courier", {}) or {}
    sources = [s for s in old.get("sources", []) if s.get("sha256") != item.sha256]
    sources.append({"sha256": item.sha256, "path": item.path, "carrier": carrier, "events": len(events)})
    merged = [e for e in old.get("events", []) if e.get("ref", {}).get("source") != item.sha256] + events
    merged.sort(key=lambda e: e["time"])
    case.write_facts("courier", {"sources": sources, "events": merged}, sources=[s["sha256"] for s in sources])
    return {"source": item.path, "sha256": item.sha256, "carrier": carrier, "events": events}
