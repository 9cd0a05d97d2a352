"""Import a chat export into a case: streamed to ``derived/chat.jsonl``, events, ``facts/chat.json``.

    >>> from tradeshield.case import Case
    >>> from tradeshield.chat.store import import_chat
    >>> result = import_chat(Case.find(), "聊天记录.txt", me="木白术")     # doctest: +SKIP
    >>> result["messages"], result["order"]                                 # doctest: +SKIP
    (214, 'newest-first')

Memory stays flat whatever the file size: records are formatted and written as they are parsed
(a spool beside the output), the order is tracked on the fly, and a newest-first or mixed file is
reordered from the spool (``spool.py``). ``chat.jsonl`` holds every imported export merged by time
(re-importing a file replaces its messages); every line carries its source hash and line range.
Events go to ``derived/chat-events.jsonl``; ``facts/chat.json`` lists the sources and the events
(the first ``FACT_EVENTS`` of them when a chat has more, with the total).
"""
from __future__ import annotations

import contextlib
import os
from collections import Counter
from json.encoder import encode_basestring as _q

from tradeshield import i18n
from tradeshield.chat import finish_warnings, open_records, order_warning
from tradeshield.chat.events import Matcher
from tradeshield.chat.model import attachments_of
from tradeshield.chat.spool import OrderTracker, merge_by_time, reversed_lines, sorted_lines
from tradeshield.errors import InputError
from tradeshield.fsutil import atomic_write

MESSAGES = "chat.jsonl"
EVENTS = "chat-events.jsonl"
FACT_EVENTS = 2000
BATCH = 20000


def _spool(records, sha: str, matcher: Matcher, mfile, efile, progress_count=None) -> dict:
    """The hot loop: one JSON line per record, events beside it; returns counts and the order."""
    tmpl = '{"time":%s,"sender":%s,"role":"%s","text":%s,"attachments":%s,"source":"' + sha + '","lines":[%d,%d]}\n'
    etmpl = ('{"time":%s,"kind":"%s","sender":%s,"role":"%s","text":%s,"matched":%s%s,'
             '"ref":{"source":"' + sha + '","lines":[%d,%d]}}\n')
    match = matcher.match
    tracker = OrderTracker()
    up = tracker.add
    buf, ebuf = [], []
    n = 0
    kinds = Counter()
    first = last = None
    prev = None
    for t, sender, role, text, a, b in records:
        qt = _q(text)
        att = "[]"
        if "[" in text or "http" in text or "<" in text:
            found = attachments_of(text)
            if found:
                att = "[" + ",".join(map(_q, found)) + "]"
        if t:
            tq = '"' + t + '"'
            if prev is None or t < prev or t[19:] != prev[19:]:
                tracker.prev = prev
                up(t)             # only the unusual cases go through the tracker's full comparison
                if first is None or t < first:
                    first = t
            elif t != prev:
                tracker.up = True
            prev = t
            if last is None or t > last:
                last = t
        else:
            tq = "null"
        qs = _q(sender)
        buf.append(tmpl % (tq, qs, role, qt, att, a, b))
        evs = match(text)
        if evs:
            for kind, matched, amount in evs:
                kinds[kind] += 1
                ebuf.append(etmpl % (tq, kind, qs, role, qt, _q(matched),
                                     ',"amount":"%s"' % amount if amount else "", a, b))
        n += 1
        if len(buf) >= BATCH:
            mfile.write("".join(buf).encode("utf-8"))
            buf.clear()
            if ebuf:
                efile.write("".join(ebuf).encode("utf-8"))
                ebuf.clear()
    mfile.write("".join(buf).encode("utf-8"))
    efile.write("".join(ebuf).encode("utf-8"))
    return {"messages": n, "order": tracker.order, "kinds": dict(kinds), "first": first, "last": last}


def _ordered(path, order: str):
    if order == "newest-first":
        return reversed_lines(path)
    if order == "mixed":
        return sorted_lines(path)
    return _lines(path)


def _lines(path):
    if not os.path.exists(path):
        return
    with open(path, "rb") as f:
        yield from f


def _others(path, sha: str):
    """Lines of an existing output that belong to other sources (re-import replaces this one)."""
    needle = sha.encode()
    for ln in _lines(path):
        if needle not in ln:
            yield ln


def _publish(case, name: str, spool: str, order: str, sha: str) -> str:
    dest = case.derived_path(name)
    mine = _ordered(spool, order)
    stream = merge_by_time(_others(dest, sha), mine) if dest.exists() else mine
    with atomic_write(dest, "wb") as f:
        buf = []
        for ln in stream:
            buf.append(ln)
            if len(buf) >= BATCH:
                f.write(b"".join(buf))
                buf.clear()
        f.write(b"".join(buf))
    return str(dest)


def _head_events(path: str, limit: int) -> tuple[list[dict], int]:
    import json

    out, total = [], 0
    for ln in _lines(path):
        total += 1
        if len(out) < limit:
            out.append(json.loads(ln))
    return out, total


def import_chat(case, path, fmt: str = "auto", me: str | None = None, tz=None, encoding: str | None = None,
                side: str | None = None, progress=None) -> dict:
    item = case.ensure_evidence(path, note="chat export", progress=progress)
    src_path = case.evidence_path(item)
    tz = tz or case.info.get("timezone")
    side = side or case.info.get("role")
    src, det, ctx, records = open_records(src_path, fmt, me, tz, encoding, side, progress)
    sha = item.sha256
    mspool = case.derived_path(f".chat-{sha[:12]}.spool")
    espool = case.derived_path(f".chat-{sha[:12]}.events.spool")
    try:
        with open(mspool, "wb") as mf, open(espool, "wb") as ef:
            stats = _spool(records, sha, Matcher(), mf, ef)
        if not stats["messages"]:
            raise InputError("chat.nothing", path=str(path), fmt=det.format)
        mdest = _publish(case, MESSAGES, str(mspool), stats["order"], sha)
        edest = _publish(case, EVENTS, str(espool), stats["order"], sha)
    finally:
        for p in (mspool, espool):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(p)
    warnings = finish_warnings(ctx, det) + order_warning(stats["order"])
    facts = _write_facts(case, item, det, stats, me, edest)
    case.record_derived([mdest, edest], action="chat", sources=[sha],
                        params={"format": det.format, "encoding": src.encoding, "me": me, "order": stats["order"]})
    return {"source": item.path, "sha256": sha, "format": det.format, "confidence": det.confidence,
            "candidates": det.candidates, "encoding": src.encoding, "messages": stats["messages"],
            "order": stats["order"], "first": stats["first"], "last": stats["last"], "event_counts": stats["kinds"],
            "events": [e for e in facts["events"] if e["ref"]["source"] == sha][:200],
            "messages_path": case.rel(mdest), "events_path": case.rel(edest), "warnings": warnings}


def _write_facts(case, item, det, stats: dict, me, events_path: str) -> dict:
    old = case.read_facts("chat", {}) or {}
    sources = [s for s in old.get("sources", []) if s.get("sha256") != item.sha256]
    sources.append({"sha256": item.sha256, "path": item.path, "format": det.format, "messages": stats["messages"],
                    "order": stats["order"]})
    events, total = _head_events(events_path, FACT_EVENTS)
    facts = {"sources": sources, "messages_path": f"derived/{MESSAGES}", "events_path": f"derived/{EVENTS}",
             "me": me or old.get("me"), "events": events, "events_total": total}
    case.write_facts("chat", facts, sources=[s["sha256"] for s in sources])
    return facts


i18n.register({})
