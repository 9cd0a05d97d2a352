"""Import chat screenshots into a case: the same ``derived/chat.jsonl``, events and ``facts/chat.json`` as an export.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.ocr.chatstore import import_screenshots
    >>> res = import_screenshots(Case.find(), ["~/Pictures/闲鱼/"], me="木白术")     # doctest: +SKIP
    >>> res["messages"], res["format"], res["screenshots"][0]["reference_source"]   # doctest: +SKIP
    (23, 'screenshot', 'file name')

Each screenshot is read once, hashed, added to the case's evidence (checked to be the very bytes read), then
recognised (``derived/ocr/<sha256>.json`` caches the OCR lines and the layout, so a re-import does not
recognise again). Message lines carry what an export's do (time, sender, role, text, attachments, source,
lines) plus ``confidence``, ``box``, ``time_basis`` and ``kind``; ``source`` is the screenshot's SHA-256 and
``lines`` the message's ordinal in it. Re-importing the same screenshots replaces their messages; other
chats in the case are kept, merged by time. Events come from the same matcher as exports
(``chat.events.find_events``), each with the screenshot box of its message. Order cards seen in the
screenshots go to ``facts/chat.json`` under ``cards``.
"""
from __future__ import annotations

import json

from tradeshield import i18n
from tradeshield.errors import InputError

MESSAGES = "chat.jsonl"
EVENTS = "chat-events.jsonl"

i18n.register({
    "shot.changed": ("处理过程中文件被修改：{path}", "the file changed while it was being processed: {path}"),
    "shot.none": ("没有找到截图：{path}", "no screenshots found: {path}"),
})


def _dump(d: dict) -> bytes:
    return (json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def import_screenshots(case, paths, me: str | None = None, tz=None, date: str | None = None, progress=None,
                       render: bool = False) -> dict:
    from tradeshield.chat.spool import merge_by_time
    from tradeshield.evidence.fsutil import atomic_write, check_input, sha256_bytes
    from tradeshield.ocr import OcrCache
    from tradeshield.ocr.chatshot import image_files, read_screenshots

    files = image_files(paths)
    if not files:
        raise InputError("shot.none", path=", ".join(map(str, paths)))
    datas, items = {}, {}
    for f in files:
        data = check_input(f).read_bytes()
        sha = sha256_bytes(data)
        item = case.ensure_evidence(f, note="chat screenshot")
        if item.sha256 != sha:
            raise InputError("shot.changed", path=str(f))
        datas[str(f)] = data
        items[sha] = item
    tz = tz or case.info.get("timezone") or "+08:00"
    conv = read_screenshots(files, me=me, tz=tz, date=date, cache=OcrCache(case), progress=progress, datas=datas)
    shas = {s.sha256 for s in conv.shots}
    msg_lines, events = _write(conv.messages, case.info.get("role"), me)
    by_ref = {(m.source, m.line_start): m for m in conv.messages}
    for e in events:
        m = by_ref.get((e["ref"]["source"], e["ref"]["lines"][0]))
        if m is not None:
            e["ref"]["box"] = list(m.box)
            e["confidence"] = round(m.confidence, 3)
            if m.low_confidence:
                e["low_confidence"] = True
    kinds: dict[str, int] = {}
    for e in events:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    ev_lines = [_dump({"time": e["time"], **{k: v for k, v in e.items() if k != "time"}}) for e in events]
    written = {}
    for name, mine in ((MESSAGES, msg_lines), (EVENTS, ev_lines)):
        dest = case.derived_path(name)
        others = []
        if dest.exists():
            with open(dest, "rb") as f:
                others = [ln for ln in f if not any(s.encode() in ln for s in shas)]
        import hashlib

        h, size = hashlib.sha256(), 0
        with atomic_write(dest, "wb") as f:
            for ln in merge_by_time(others, mine):
                f.write(ln)
                h.update(ln)
                size += len(ln)
        written[str(dest)] = (h.hexdigest(), size)
    mdest, edest = case.derived_path(MESSAGES), case.derived_path(EVENTS)
    _write_facts(case, conv, items, me, edest)
    case.record_derived([mdest, edest], action="chat-screenshots", sources=sorted(shas),
                        params={"format": "screenshot", "me": me, "date": date, "tz": str(tz)},
                        hashes={str(mdest): written[str(mdest)], str(edest): written[str(edest)]})
    images = []
    if render:
        from tradeshield.ocr.render import render_checks

        images = render_checks(case, conv.messages, progress=progress)
    times = [m.time.isoformat() for m in conv.messages if m.time]
    shots = [{"path": items[s.sha256].path, "sha256": s.sha256, "reference": s.ref.isoformat() if s.ref else None,
              "reference_source": s.ref_source, "size": list(s.size), "title": s.info.get("title"),
              "messages": sum(1 for m in conv.messages if m.source == s.sha256)} for s in conv.shots]
    return {"source": shots[0]["path"] if shots else "", "sha256": conv.sha256, "format": "screenshot",
            "confidence": conv.confidence, "candidates": [], "encoding": "image", "messages": len(conv.messages),
            "order": "oldest-first", "first": min(times) if times else None, "last": max(times) if times else None,
            "event_counts": kinds, "events": events[:200], "messages_path": case.rel(mdest),
            "events_path": case.rel(edest), "warnings": conv.warnings, "screenshots": shots, "cards": conv.cards,
            "separators": conv.separators, "title": conv.title, "group": conv.group,
            "low_confidence": sum(1 for m in conv.messages if m.low_confidence), "images": images}


def _write(messages, role, me) -> tuple[list[bytes], list[dict]]:
    """Message lines and events through the export pipeline's one writer (``chat.writer.Writer``, which calls
    ``events.find_events``): one writer per run of messages from the same screenshot (a line's ``source`` is
    its screenshot), one dialogue state across them all; each line ends with the screenshot's own fields
    (confidence, box, time basis, kind)."""
    from tradeshield.chat.writer import Writer

    state: dict = {}
    lines: list[bytes] = []
    events: list[dict] = []
    i = 0
    while i < len(messages):
        j = i
        while j < len(messages) and messages[j].source == messages[i].source:
            j += 1
        run = messages[i:j]
        w = Writer(run[0].source, state=state, role=role, me=me)
        out = w.write([(m.time.isoformat() if m.time else None, m.sender, m.role, m.text, m.line_start, m.line_end)
                       for m in run], extras=[_extra(m) for m in run])
        lines.extend(out.messages.splitlines(keepends=True))
        events.extend(json.loads(ln) for ln in out.events.splitlines() if ln.strip())
        i = j
    return lines, events


def _extra(m) -> str:
    d = m.to_dict()
    more = {k: d[k] for k in ("confidence", "box", "time_basis", "kind", "low_confidence", "also_in") if k in d}
    return "," + json.dumps(more, ensure_ascii=False, separators=(",", ":"))[1:-1]


def _write_facts(case, conv, items, me, events_path) -> dict:
    old = case.read_facts("chat", {}) or {}
    shas = {s.sha256 for s in conv.shots}
    sources = [s for s in old.get("sources", []) if s.get("sha256") not in shas]
    for s in conv.shots:
        sources.append({"sha256": s.sha256, "path": items[s.sha256].path, "format": "screenshot",
                        "messages": sum(1 for m in conv.messages if m.source == s.sha256), "order": "oldest-first",
                        "reference": s.ref.isoformat() if s.ref else None, "reference_source": s.ref_source})
    events, total = [], 0
    with open(events_path, "rb") as f:
        for ln in f:
            total += 1
            if len(events) < 2000:
                events.append(json.loads(ln))
    cards = [c for c in old.get("cards", []) if c.get("source") not in shas] + conv.cards
    facts = {**old, "sources": sources, "messages_path": f"derived/{MESSAGES}", "events_path": f"derived/{EVENTS}",
             "me": me or old.get("me"), "events": events, "events_total": total, "cards": cards}
    case.write_facts("chat", facts, sources=[s["sha256"] for s in sources])
    return facts
