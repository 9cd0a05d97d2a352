"""Courier tracking text (SF 顺丰, 中通, 圆通, 韵达 …) → dated events: picked up, in transit, delivered, who signed.

    >>> from tradeshield.courier import parse_courier
    >>> evs = parse_courier("2024-04-12 16:20:03 已签收,签收人：本人\\n2024-04-10 18:12:45 顺丰速运 已收取快件\\n")
    >>> [(e["status"], e.get("signer")) for e in evs]
    [('picked-up', None), ('signed', '本人')]

Copied tracking pages list events newest-first or oldest-first, with the time and the text on one
line (time first, or time last as STO's pages print it), or the time on its own line above or below
the text (a date line and a clock line count as one time); all are read and the result is oldest-first.
A pickup (揽收) is ``picked-up`` even when the line names a 取件人. A drop at a locker or 驿站 and
signing by a locker, 驿站, 代收点, guard or relative are ``proxy-signed`` with the ``place`` named: not
the addressee's own signature, which matters for "not received" claims (DOMAIN.md §5). ``signer`` is
a name, never a status word (``签收人: 已签收`` names nobody).
"""
from __future__ import annotations

import re

from tradeshield import i18n
from tradeshield.errors import InputError

_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_CLOCK = r"(\d{1,2}:\d{1,2}(?::\d{1,2})?)"
_WEEKDAY = r"(?:\s*(?:星期.|周.|\((?:星期|周).\)|（(?:星期|周).）))?"
_SEP = r"\s*[|｜\t,，:：]?\s*"
TIME_FIRST = re.compile(r"^\s*" + _DATE + _WEEKDAY + r"[\sT]*" + _CLOCK + _WEEKDAY + _SEP + r"(.*)$")
TIME_LAST = re.compile(r"^(.*?\S)\s*[|｜\t,，]?\s*" + _DATE + _WEEKDAY + r"[\sT]+" + _CLOCK + _WEEKDAY + r"\s*$")
DATE_ONLY = re.compile(r"^\s*" + _DATE + _WEEKDAY + r"\s*$")
CLOCK_ONLY = re.compile(r"^\s*" + _WEEKDAY + r"\s*" + _CLOCK + r"\s*$")

_RETURNED = re.compile(r"拒收|退回|退件|返回寄件|退货签收|已退还|原件返回")
_PROBLEM = re.compile(r"不成功|异常|滞留|破损|丢失|无人接听|联系不上|无法联系|拦截|改派|问题件|超时未|延误|派送失败|投递失败|"
                      r"未妥投|无法派送|地址不详")
_PICKED = re.compile(r"揽收|揽件|已收取快件|收取快件|已收件|收件员|已揽|上门取件成功|已取件[，,]?(?:正在|准备)?(?:发往|寄)|已下单")
_SIGNED = re.compile(r"签收|妥投|已投递|投递成功|领取|(?<!未)取出|已取件(?!码)|取走")
_DROP = re.compile(r"代收|代签|已放入|已存入|已投递至|投递至|已到达?[【\[]?[^，,。]{0,30}(?:驿站|快递柜|智能柜|自提|代收点)|已到站|入柜|"
                   r"存放|请(?:及时|尽快)?(?:凭|携带)?(?:取件码|取货码)?(?:前往)?(?:取件|领取|取货)|凭(?:取件|取货)码")
_PROXY_PLACE = re.compile(r"驿站|丰巢|快递柜|智能柜|自提柜|自提点|代收点|服务站|速递易|菜鸟|门卫|前台|物业|收发室|收发章|超市|便利店|"
                          r"保安|传达室|快递超市|兔喜|妈妈驿站|快宝")
_PROXY_PERSON = re.compile(r"他人代收|家人|同事|邻居|亲属|朋友|代签|代收人")
_OUT = re.compile(r"派件|派送|配送中|正在为您派|投递中|待派|派送中|安排投递|已出发|配送员|快递员.*(?:派|送)")
STATUS_WORDS = re.compile(r"签收|已签|代收|领取|取货码|取件码|凭|快递|快件|包裹|您|本次|派件|妥投|感谢|服务|请|已$|^已")
_SIGNER = [re.compile(p) for p in (
    r"签收人[是为]?\s*[:：]?\s*[【\[]?([^\s,，。;；)）】\]【\[在凭]{1,20})[】\]]?",
    r"已签收\s*[（(]\s*([^)）]{1,20})\s*[)）]",
    r"(?:已由|由)\s*[【\[]?([^】\]，,。\s]{1,12}?)[】\]]?\s*签收",
    r"([\u4e00-\u9fff]{1,4})\s*已签收")]
_PLACE = [re.compile(p) for p in (
    r"(?:被|在|从|已到达?|到达|放入|存入|投递至|存放至|存放在|送至|已由|由)\s*[【\[]([^】\]]{2,60})[】\]]",
    r"(?:已由|由)\s*([^，,。\s【】]{2,40}?)\s*(?:代收|代签|签收)",
    r"(?:投递至|存放至|放入|存入|已到达?|到达)\s*([^，,。\s【】]{2,40}?(?:驿站|快递柜|智能柜|自提柜|代收点|服务站|超市|便利店)"
    r"(?:[（(][^)）]{1,12}[)）])?)")]
CARRIERS = (("顺丰", "SF Express"), ("SF", "SF Express"), ("中通", "ZTO"), ("圆通", "YTO"), ("韵达", "Yunda"),
            ("申通", "STO"), ("京东", "JD Logistics"), ("EMS", "EMS"), ("邮政", "China Post"), ("极兔", "J&T"),
            ("德邦", "Deppon"), ("百世", "Best"), ("菜鸟", "Cainiao"))

i18n.register({
    "courier.binary": ("不是物流跟踪文本（看起来是二进制文件）：{path}；请复制物流页面的文字保存为 .txt",
                       "not courier tracking text (looks binary): {path}; copy the tracking page's text into a .txt file"),
    "courier.nothing": ("没有读到物流事件：{path}（需要“时间 + 描述”的行，例如 2024-04-12 16:20:03 已签收）",
                        "no courier events found in {path} (expected 'time + description' lines, e.g. 2024-04-12 16:20:03 已签收)"),
})


def place_of(text: str) -> str | None:
    """The locker, 驿站 or reception a parcel was left at or collected from, as the trace names it."""
    for p in _PLACE:
        for m in p.finditer(text):
            name = m[1].strip()
            if _PROXY_PLACE.search(name) or p is not _PLACE[0] and name:
                return name
    m = re.search(r"[【\[]([^】\]]*(?:驿站|丰巢|快递柜|智能柜|自提|代收点)[^】\]]*)[】\]]", text)
    return m[1] if m else None


def status_of(text: str) -> str:
    """picked-up / in-transit / out-for-delivery / signed / proxy-signed / returned / problem.

    A pickup (揽收, 收取快件) is never a delivery, whoever the 取件人 is; a drop at a locker or 驿站, or a signature
    by someone else (代收, 门卫, 他人), is ``proxy-signed``; only the addressee's own 签收/妥投 is ``signed``."""
    if _RETURNED.search(text):
        return "returned"
    if _PROBLEM.search(text):
        return "problem"
    if _PICKED.search(text) and not re.search(r"签收|妥投|代收", text):
        return "picked-up"
    proxy = _PROXY_PLACE.search(text) or _PROXY_PERSON.search(text)
    if _DROP.search(text) and (proxy or "代收" in text or "代签" in text or re.search(r"取件码|取货码", text)):
        return "proxy-signed"
    if _SIGNED.search(text) and not re.search(r"待签收|未签收|待领取|即将", text):
        return "proxy-signed" if proxy or re.search(r"取件码|取货码|代收|代签", text) else "signed"
    if _OUT.search(text):
        return "out-for-delivery"
    return "in-transit"


def signer_of(text: str) -> str | None:
    """The name written as the signer — a name, never a status word (``签收人: 已签收`` has no name)."""
    for p in _SIGNER:
        for m in p.finditer(text):
            who = m[1].strip("：: ")
            if who and not STATUS_WORDS.search(who) and not re.fullmatch(r"[\d*]+", who):
                return who
    return None


def carrier_of(text: str) -> str | None:
    for key, name in CARRIERS:
        if key in text:
            return name
    return None


def _classify(line: str):
    """(kind, date parts, clock, text): kind is "tx" (time then text), "xt" (text then time), "t" (a time alone),
    "d" (a date alone), "c" (a clock alone) or "x" (text)."""
    m = TIME_FIRST.match(line)
    if m:
        return ("tx" if m[5].strip() else "t"), m.groups()[:3], m[4], m[5].strip()
    m = TIME_LAST.match(line)
    if m:
        return "xt", m.groups()[1:4], m[5], m[1].strip()
    m = DATE_ONLY.match(line)
    if m:
        return "d", m.groups()[:3], None, ""
    m = CLOCK_ONLY.match(line)
    if m:
        return "c", None, m[1], ""
    return "x", None, None, line.strip()


def _entries(text: str):
    """(date parts, clock, description, first line, last line) for each event, in file order.

    Layouts: "time text" on one line; "text time" on one line; the time (or a date line then a clock line) on its
    own line before the text, or after it. Which side a lone time belongs to is decided once for the text: a
    trace that begins with text before any time has its times after the text."""
    lines = [(n, raw.strip()) for n, raw in enumerate(text.split("\n"), 1) if raw.strip()]
    parsed = [(n, *_classify(ln)) for n, ln in lines]
    # merge a date line followed by a clock line into one time
    merged = []
    for item in parsed:
        if item[1] == "c" and merged and merged[-1][1] == "d":
            n0 = merged[-1][0]
            merged[-1] = (n0, "t", merged[-1][2], item[3], "")
            continue
        merged.append(item)
    times_after = False
    for n, kind, *_ in merged:
        if kind in ("tx", "xt"):
            break
        if kind == "x":
            times_after = any(k == "t" for _, k, *_ in merged)
            break
        if kind == "t":
            break
    events = []
    pending: list = []  # text lines waiting for their time (times after the text)
    cur = None
    for n, kind, date, clock, desc in merged:
        if kind in ("tx", "xt"):
            if cur:
                events.append(cur)
                cur = None
            if pending:  # stray text before a one-line event: it belongs to nothing, keep it out
                pending = []
            events.append([date, clock, desc, n, n])
        elif kind == "t":
            if times_after:
                if pending:
                    events.append([date, clock, " ".join(p[1] for p in pending), pending[0][0], n])
                    pending = []
            else:
                if cur:
                    events.append(cur)
                cur = [date, clock, "", n, n]
        elif kind == "x":
            if times_after:
                pending.append((n, desc))
            elif cur is not None:
                cur[2] = (cur[2] + " " + desc).strip()
                cur[4] = n
    if cur:
        events.append(cur)
    for date, clock, desc, a, b in events:
        yield date, clock, desc, a, b


def parse_courier(text: str, tz=None, source: str = "") -> list[dict]:
    from tradeshield.chat.engine import Context

    ctx = Context(tz)
    events = []
    for date, clock, desc, a, b in _entries(text):
        if not date or not clock:
            continue
        y, mo, d = date
        hh, mm, *ss = clock.split(":")
        clock = f"{int(hh):02d}:{int(mm):02d}" + (f":{int(ss[0]):02d}" if ss else "")
        iso = ctx.iso(f"{y}-{int(mo):02d}-{int(d):02d}", clock)
        if iso is None or not desc:
            continue
        ev = {"time": iso, "status": status_of(desc), "text": desc, "ref": {"source": source, "lines": [a, b]}}
        if ev["status"] in ("signed", "proxy-signed"):
            who = signer_of(desc)
            if who:
                ev["signer"] = who
        if ev["status"] == "proxy-signed":
            where = place_of(desc)
            if where:
                ev["place"] = where
        events.append(ev)
    if len(events) > 1 and events[0]["time"] > events[-1]["time"]:
        events.reverse()          # newest-first page: equal times keep their chronological (reversed) order
    return sorted(events, key=lambda e: e["time"])


def import_courier(case, path, carrier: str | None = None, tz=None) -> dict:
    from tradeshield.chat.source import Source

    try:
        Source(path)            # a file that is not text is refused before it joins the case
    except InputError as e:
        if e.key == "chat.binary":
            raise InputError("courier.binary", path=str(path)) from None
        raise
    item = case.ensure_evidence(path, note="courier tracking")
    src = Source(case.evidence_path(item), name=str(path))
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
