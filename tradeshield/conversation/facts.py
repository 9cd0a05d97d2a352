"""The user has the last word: chat events as suggestions, the user's confirm / reject, and facts the user adds.

    >>> from tradeshield.conversation import facts
    >>> evs = facts.case_events(case)                         # doctest: +SKIP
    >>> facts.decide(case, evs[0]["id"][:6], "confirmed")     # doctest: +SKIP
    >>> facts.add_fact(case, "requirement", "首页栏目按我给的改", source="chat:L12-14")   # doctest: +SKIP
    >>> [e["kind"] for e in facts.confirmed_events(case)]     # doctest: +SKIP
    ['requirement', 'requirement']

Events are read from the case's messages (``derived/chat.jsonl``) by ``chat.events.find_events`` with the
case's role, so they always follow the current rules. Decisions and added facts live in
``facts/decisions.json`` (written atomically) and every change is a custody-log entry
(``events-confirm`` / ``events-reject`` / ``fact-add``) that carries the decision itself.

What statements, the timeline and the packet may use (``facts_for_statement``): confirmed facts first
(confirmed chat events, facts the user added, user events in ``events.jsonl`` whose kind is a chat kind),
then the unconfirmed suggestions marked ``status: "suggested"``; never a rejected event. Kinds in
``AGREED_KINDS`` say something was agreed: they are used only when confirmed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from tradeshield import i18n
from tradeshield.errors import UsageError

DECISIONS = "decisions"
AGREED_KINDS = ("requirement", "agreement", "price-agreed", "deposit-terms", "delivery-promise")
STATUSES = ("confirmed", "rejected")

i18n.register({
    "events.no_id": ("没有编号为 {id} 的事件（用 tradeshield events 查看编号）", "no event with id {id} (see tradeshield events)"),
    "events.ambiguous": ("编号 {id} 对应多个事件：{ids}，请多写几位", "id {id} matches several events: {ids}; give more characters"),
    "fact.bad_kind": ("未知的事实类型：{kind}（可用：{choices}）", "unknown fact kind: {kind} (choose from {choices})"),
    "fact.empty": ("事实内容不能为空", "the fact's text is empty"),
    "fact.bad_source": ("来源格式应为 chat:L12-14（聊天记录的行号）：{value}", "source must look like chat:L12-14 (chat line numbers): {value}"),
    "fact.no_lines": ("聊天记录中没有第 {a}-{b} 行的消息", "no chat message on lines {a}-{b}"),
    "fact.no_chat": ("案件中还没有聊天记录：先运行 tradeshield chat 聊天记录.txt", "the case has no chat yet: run tradeshield chat export.txt first"),
    "fact.no_time": ("请用 --time 给出时间（或用 --source 指向聊天行）", "give --time (or --source pointing at chat lines)"),
})


def kinds() -> list[str]:
    """Every chat kind the rules know (what ``fact add`` and ``event add`` accept besides the trade events)."""
    from tradeshield.conversation.reader import kind_names

    return kind_names()


def _messages(case) -> list[dict]:
    path = case.derived_dir / "chat.jsonl"
    if not path.exists():
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for ln in f:
            if ln.strip():
                try:
                    out.append(json.loads(ln))
                except ValueError:
                    continue
    return out


def load_decisions(case) -> dict:
    d = case.read_facts(DECISIONS, None)
    if not isinstance(d, dict):
        d = {}
    d.setdefault("decisions", {})
    d.setdefault("facts", [])
    return d


def _save(case, data: dict, action: str, detail: dict) -> None:
    from tradeshield.evidence.fsutil import write_bytes

    path = case.facts_dir / f"{DECISIONS}.json"
    write_bytes(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n")
    srcs = sorted({s for s in [detail.get("ref", {}).get("source")] if s})
    case.record_derived([path], action=action, sources=srcs, details={"decision": detail})


def suggested_events(case, progress=None) -> list[dict]:
    """Events the reader finds in the case's chat (status "suggested"), oldest first."""
    from tradeshield.chat.events import find_events

    msgs = _messages(case)
    chat = case.read_facts("chat", {}) or {}
    if not msgs:
        return _stored_events(chat)
    return find_events(msgs, role=case.info.get("role"), me=chat.get("me"), progress=progress)


def _stored_events(chat: dict) -> list[dict]:
    """Events kept in facts/chat.json when the case has no messages file (older cases, hand-written facts)."""
    from tradeshield.conversation.reader import event_id

    out = []
    for ev in chat.get("events") or [] if isinstance(chat, dict) else []:
        if not isinstance(ev, dict) or not ev.get("kind"):
            continue
        ref = ev.get("ref") if isinstance(ev.get("ref"), dict) else {}
        lines = ref.get("lines") or [None, None]
        ev = {**ev, "ref": ref, "by": ev.get("by") or ev.get("role"), "clause": ev.get("clause") or ev.get("text"),
              "status": "suggested", "origin": "stored"}
        ev.setdefault("id", event_id(ref.get("source"), lines, ev["kind"], ev.get("clause_index", 0)))
        out.append(ev)
    return out


def case_events(case, include_rejected: bool = True, progress=None) -> list[dict]:
    """Chat events with the user's decisions applied, then the facts the user added (status confirmed)."""
    data = load_decisions(case)
    out = []
    for ev in suggested_events(case, progress):
        d = data["decisions"].get(ev["id"])
        if d:
            ev["status"] = d["status"]
            ev["decided"] = d.get("time")
        if include_rejected or ev["status"] != "rejected":
            out.append(ev)
    for f in data["facts"]:
        out.append({**f, "status": "confirmed", "origin": "fact"})
    return out


def find_event(events: list[dict], short: str) -> dict:
    short = (short or "").strip().lower()
    hits = [e for e in events if e["id"].startswith(short)] if len(short) >= 3 else []
    if not hits:
        raise UsageError("events.no_id", id=short)
    if len(hits) > 1:
        raise UsageError("events.ambiguous", id=short, ids=", ".join(e["id"][:8] for e in hits[:5]))
    return hits[0]


def decide(case, short_id: str, status: str) -> dict:
    """Confirm or reject one event (by a unique prefix of its id); recorded in the custody log."""
    assert status in STATUSES
    ev = find_event(suggested_events(case), short_id)
    snap = {k: ev.get(k) for k in ("kind", "time", "by", "side", "clause", "text", "ref", "money") if ev.get(k) is not None}
    entry = {"status": status, "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "event": snap}
    action = "events-confirm" if status == "confirmed" else "events-reject"
    with case.custody.locked():  # read-modify-write with its custody entry: a parallel decision is not lost
        data = load_decisions(case)
        data["decisions"][ev["id"]] = entry
        _save(case, data, action, {"id": ev["id"], **entry, "ref": ev.get("ref") or {}})
    return {**ev, "status": status, "decided": entry["time"]}


_SOURCE = re.compile(r"^chat:(?:([0-9a-f]{6,64}):)?L?(\d+)(?:-L?(\d+))?$", re.I)


def add_fact(case, kind: str, text: str, time: str | None = None, source: str | None = None) -> dict:
    """A fact the user states (e.g. one agreed requirement), optionally pointing at chat lines."""
    from tradeshield.timeutil import parse_time

    names = kinds()
    if kind not in names:
        raise UsageError("fact.bad_kind", kind=kind, choices=", ".join(names))
    text = (text or "").strip()
    if not text:
        raise UsageError("fact.empty")
    ref, quote = {}, None
    when = None
    if source:
        m = _SOURCE.match(source.strip())
        if not m:
            raise UsageError("fact.bad_source", value=source)
        a = int(m.group(2))
        b = int(m.group(3) or a)
        msgs = _messages(case)
        if not msgs:
            raise UsageError("fact.no_chat")
        sha = (m.group(1) or "").lower()
        hit = [x for x in msgs if (not sha or str(x.get("source", "")).startswith(sha)) and x.get("lines")
               and x["lines"][0] <= b and x["lines"][1] >= a]
        if not hit:
            raise UsageError("fact.no_lines", a=a, b=b)
        ref = {"source": hit[0].get("source"), "lines": [min(x["lines"][0] for x in hit), max(x["lines"][1] for x in hit)]}
        quote = [{"sender": x.get("sender"), "role": x.get("role"), "time": x.get("time"), "text": x.get("text")} for x in hit]
        when = hit[0].get("time")
    if time:
        t = parse_time(time, case.tz)
        if t.tzinfo is None:
            t = t.replace(tzinfo=case.tz)
        when = t.isoformat()
    if not when:
        raise UsageError("fact.no_time")
    fid = hashlib.sha1(f"fact:{kind}:{text}:{when}:{ref.get('lines')}".encode("utf-8")).hexdigest()[:12]
    fact = {"id": fid, "kind": kind, "text": text, "clause": text, "time": when, "by": "user", "ref": ref,
            "added": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    if quote:
        fact["quote"] = quote
    with case.custody.locked():  # read-modify-write with its custody entry: a parallel fact is not lost
        data = load_decisions(case)
        data["facts"] = [f for f in data["facts"] if f.get("id") != fid] + [fact]
        _save(case, data, "fact-add", fact)
    return {**fact, "status": "confirmed", "origin": "fact"}


def confirmed_events(case) -> list[dict]:
    """What the user confirmed: confirmed chat events, added facts, and user events of a chat kind — oldest first."""
    out = [e for e in case_events(case, include_rejected=False) if e["status"] == "confirmed"]
    names = set(kinds())
    for e in case.events():
        if e.kind in names:
            out.append({"id": "event-" + hashlib.sha1(f"{e.time}{e.kind}{e.note}".encode()).hexdigest()[:8], "kind": e.kind,
                        "time": e.time, "text": e.note or "", "clause": e.note or "", "by": "user", "ref": e.ref or {},
                        "status": "confirmed", "origin": "event"})
    return sorted(out, key=_time_key)


def facts_for_statement(case) -> list[dict]:
    """Confirmed facts first, then unconfirmed suggestions (never an agreed-type one), never a rejected one."""
    confirmed = confirmed_events(case)
    seen = {e["id"] for e in confirmed}
    rest = [e for e in case_events(case, include_rejected=False)
            if e["status"] == "suggested" and e["id"] not in seen and e["kind"] not in AGREED_KINDS]
    return confirmed + sorted(rest, key=_time_key)


def _time_key(e: dict):
    t = e.get("time")
    try:
        return dt.datetime.fromisoformat(str(t).replace("Z", "+00:00")).timestamp() if t else float("inf")
    except ValueError:
        return float("inf")
