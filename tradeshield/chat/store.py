"""Import a chat export into a case: streamed to ``derived/chat.jsonl``, events, ``facts/chat.json``.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.chat.store import import_chat
    >>> result = import_chat(Case.find(), "聊天记录.txt", me="木白术")     # doctest: +SKIP
    >>> result["messages"], result["order"]                                 # doctest: +SKIP
    (214, 'newest-first')

One pipeline for every format: the export is copied into the case and hashed (``Case.add_pending``), and the
copy is parsed while it is made durable and read back, so what is parsed is what was hashed: detect → decode
(streamed) → the format's grammar yields records with line ranges → ``writer.Writer`` (one matcher entry point,
``events.find_events``) → spools → ``derived/``. Memory stays flat whatever the file size: records are
formatted and written a batch at a time (a spool beside the output, hashed as it is written), the order is
tracked on the fly, and a newest-first or mixed file is reordered from the spool (``spool.py``); an
oldest-first spool simply becomes the output, and a case that already holds a chat gets the spool merged
with it by time in one pass. ``chat.jsonl`` holds every imported export merged by time
(re-importing a file replaces its messages); every line carries its source hash and line range.
Events go to ``derived/chat-events.jsonl``; ``facts/chat.json`` lists the sources and the events
(the first ``FACT_EVENTS`` of them when a chat has more, with the total).
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import os

from tradeshield import i18n
from tradeshield.chat import finish_warnings, open_records, order_warning
from tradeshield.chat.spool import merge_by_time, reversed_lines, sorted_lines
from tradeshield.errors import InputError
from tradeshield.evidence.fsutil import FILE_MODE, atomic_write

MESSAGES = "chat.jsonl"
EVENTS = "chat-events.jsonl"
FACT_EVENTS = 2000
BATCH = 5000
FIRST_BATCH = 1000     # the first batch is handed on sooner (on two cores the events child waits for it)


class _Sink:
    """Writes each chunk's lines to the two spools, hashing them on the way (no second read).

    A thread fdatasyncs the spools while they grow (``SYNC_EVERY`` s), so the fsync before publishing
    finds little left: on the bench export it waited 0.44 s for ~180 MB at the end otherwise (hinting
    writeback with posix_fadvise left 0.5 s of 560 MB; a syncing thread, under 0.1 s)."""

    SYNC_EVERY = 0.1

    def __init__(self, mfile, efile):
        import threading

        self.files = (mfile, efile)
        self.hashes = (hashlib.sha256(), hashlib.sha256())
        self.sizes = [0, 0]
        self._stop = threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, name="chat-sync", daemon=True)
        self._syncer.start()

    def __call__(self, out) -> None:
        for i, data in enumerate((out.messages, out.events)):
            if isinstance(data, str):
                data = data.encode("utf-8")
            if data:
                self.files[i].write(data)
                self.hashes[i].update(data)
                self.sizes[i] += len(data)

    def _sync_loop(self) -> None:
        sync = getattr(os, "fdatasync", os.fsync)
        done = [0, 0]
        fds = [f.fileno() for f in self.files]
        while not self._stop.wait(self.SYNC_EVERY):
            for i, fd in enumerate(fds):
                if self.sizes[i] != done[i]:      # (what the writers handed to the kernel; buffered rest later)
                    done[i] = self.sizes[i]
                    with contextlib.suppress(OSError):
                        sync(fd)

    def close(self) -> None:
        """Stop syncing; close the spools, cut to what was written (they may have been preallocated larger)."""
        self._stop.set()
        self._syncer.join()
        for f, size in zip(self.files, self.sizes):
            if not f.closed:
                f.truncate(size)
                f.close()

    def digest(self, i: int) -> tuple[str, int]:
        return self.hashes[i].hexdigest(), self.sizes[i]


def _spool(records, sha: str, sink: _Sink, context: dict, bg=None):
    """Records (any format, file order) → JSON lines and events, a batch of records at a time. With ``bg`` (a
    ``background.SplitReader``) the events of each batch are read by the child or, while the child is busy, here,
    and written in file order as they are known (the same bytes)."""
    from itertools import islice

    from tradeshield.chat.writer import Out, Writer

    writer = Writer(sha, **context)
    it = iter(records)

    def put(results):
        for lines, counts in results:
            sink(Out(events=lines))
            writer.add_kinds(counts)

    size = FIRST_BATCH
    while True:
        batch = list(islice(it, size))
        size = BATCH
        if not batch:
            break
        if bg is None:
            sink(writer.write(batch))
            continue
        bg.add(sha, batch)
        sink(writer.write(batch, events=False))
        put(bg.ready())
    if bg is not None:
        put(bg.finish())
    return writer.total


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


def _publish(case, name: str, spool: str, order: str, sha: str, digest: tuple[str, int], count: int):
    """Move or merge a spool into ``derived/<name>``: (path, sha256, size, lines in it)."""
    return _publish_to(case.derived_path(name), spool, order, sha, digest, count)


def _renames(dest, order: str) -> bool:
    """Whether publishing a spool to ``dest`` only renames it (else it writes the lines again: merged, reordered)."""
    return order == "oldest-first" and not os.path.exists(dest)


def _publish_to(dest, spool: str, order: str, sha: str, digest: tuple[str, int], count: int):
    """``_publish`` to the path ``dest`` (a function of paths alone: the events child can run it)."""
    from pathlib import Path

    dest = Path(dest)
    if _renames(dest, order):
        with open(spool, "rb+") as f:      # what atomic_write does, without copying the bytes again
            os.fchmod(f.fileno(), FILE_MODE)
            os.fsync(f.fileno())
        os.replace(spool, dest)
        from tradeshield.evidence.fsutil import fsync_dir

        fsync_dir(dest.parent)  # the rename survives a power cut
        return str(dest), digest[0], digest[1], count
    mine = _ordered(spool, order)
    stream = merge_by_time(_others(dest, sha), mine) if dest.exists() else mine
    h, size, lines = hashlib.sha256(), 0, 0
    with atomic_write(dest, "wb", reserve=digest[1]) as f:     # at least the spool is written again
        buf = []
        for ln in stream:
            buf.append(ln)
            if len(buf) >= BATCH:
                data = b"".join(buf)
                f.write(data)
                h.update(data)
                size, lines = size + len(data), lines + len(buf)
                buf.clear()
        data = b"".join(buf)
        f.write(data)
        h.update(data)
        size, lines = size + len(data), lines + len(buf)
    return str(dest), h.hexdigest(), size, lines


def _head_events(path: str, limit: int) -> list[dict]:
    import json
    from itertools import islice

    lines = [ln.rstrip(b"\n") for ln in islice(_lines(path), limit)]
    return json.loads(b"[" + b",".join(lines) + b"]") if lines else []     # (one parse: ~2x faster than per line)


def export_date(date: str | None):
    """``--date`` (YYYY-MM-DD) given with a chat export, as a date; a bad date is the user's one-line error."""
    if date is None:
        return None
    import datetime as dt

    from tradeshield.errors import InputError

    try:
        return dt.date.fromisoformat(date.strip())
    except ValueError:
        raise InputError("chat.bad_date", value=date) from None


def import_chat(case, path, fmt: str = "auto", me: str | None = None, tz=None, encoding: str | None = None,
                side: str | None = None, progress=None, date: str | None = None, render: bool = False) -> dict:
    """One chat export (``path``), or screenshots of a chat (``path`` an image, a folder of them, or a list of
    either; ``fmt`` "screenshot" or "auto"): screenshots are one more source format — OCR and layout give the
    messages (``ocr.chatstore``), the same writer and ``find_events`` give the lines and events. ``date``: the
    screenshots' reference date, or the day an export was made (its year dates the dates it writes without one, old
    Android WhatsApp; 今天/昨天 in a pasted chat count from it); ``render`` concerns screenshots only (check
    sheets)."""
    paths = list(path) if isinstance(path, (list, tuple)) else [path]
    if fmt == "screenshot" or (fmt == "auto" and _screenshots(paths)):
        from tradeshield.ocr.chatstore import import_screenshots

        return import_screenshots(case, paths, me=me, tz=tz, date=date, progress=progress, render=render)
    path = paths[0]
    ref = export_date(date)
    tz = tz or case.info.get("timezone")
    side = side or case.info.get("role")
    spools = []
    from tradeshield.chat import background

    # a large import reads its events in a child process, forked here before any thread starts
    bg = background.SplitReader({"role": side, "me": me}) if background.wanted(path) else None
    try:
        pending = case.add_pending(path, note="chat export", progress=progress)
    except BaseException:
        if bg is not None:
            bg.close()
        raise
    gc_was = gc.isenabled()
    gc.disable()      # no reference cycles are made here; the collector's passes cost ~10 % of the import
    try:
        sha = pending.sha256
        src, det, ctx, records = open_records(pending.path, fmt, me, tz, encoding, side, progress, name=str(path),
                                              ref=ref)
        sink = _open_spools(case, sha, spools, pending.size)
        try:
            stats = _spool(records, sha, sink, {"role": side, "me": me}, bg)
        finally:
            sink.close()
        if not stats.n:
            raise InputError("chat.nothing", path=str(path), fmt=det.format)
        item = pending.finish()
        order = "mixed" if stats.up and stats.down else "newest-first" if stats.down else "oldest-first"
        n_events = sum(stats.kinds.values())
        # a merge (a second chat, a reordered export) writes both outputs again: the events child, idle now,
        # writes chat-events.jsonl while this process writes chat.jsonl (on the bench's second import each took
        # ~0.65 s, one after the other)
        merge_events = bg is not None and not _renames(case.derived_path(EVENTS), order)
        if merge_events:
            bg.call(_publish_to, case.derived_path(EVENTS), spools[1], order, sha, sink.digest(1), n_events)
        elif bg is not None:
            bg.stop()
        mdest, msha, msize, _ = _publish(case, MESSAGES, spools[0], order, sha, sink.digest(0), stats.n)
        if merge_events:
            edest, esha, esize, etotal = bg.result()
        else:
            edest, esha, esize, etotal = _publish(case, EVENTS, spools[1], order, sha, sink.digest(1), n_events)
    finally:
        if bg is not None:
            bg.close()        # (killed if it is still at work: the import failed)
        if gc_was:
            gc.enable()
        pending.discard()
        for p in spools:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(p)
    warnings = finish_warnings(ctx, det) + order_warning(order)
    stats_d = {"messages": stats.n, "order": order, "kinds": stats.kinds}
    facts = _write_facts(case, item, det, stats_d, me, edest, etotal)
    case.record_derived([mdest, edest], action="chat", sources=[sha],
                        params={"format": det.format, "encoding": src.encoding, "me": me, "order": order,
                                **({"date": ref.isoformat()} if ref is not None else {})},
                        hashes={mdest: (msha, msize), edest: (esha, esize)})
    return {"source": item.path, "sha256": sha, "format": det.format, "confidence": det.confidence,
            "candidates": det.candidates, "encoding": src.encoding, "messages": stats.n,
            "order": order, "first": stats.lo, "last": stats.hi, "event_counts": stats.kinds,
            "events": [e for e in facts["events"] if e["ref"]["source"] == sha][:200],
            "messages_path": case.rel(mdest), "events_path": case.rel(edest), "warnings": warnings}


def _screenshots(paths) -> bool:
    """Every path an image or a folder of images (the file's first bytes, not its name: a stat and 16 bytes)."""
    from tradeshield.ocr.images import is_image_path

    return bool(paths) and all(is_image_path(p) for p in paths)


# output bytes per input byte seen on the bench exports (chat.jsonl ~2.1, chat-events.jsonl ~1.7): the spools
# are preallocated that large (``fsutil.preallocate``) and cut to size when closed
SPOOL_RATIO = (2.2, 1.8)


def _open_spools(case, sha: str, spools: list, source_size: int = 0) -> _Sink:
    from tradeshield.evidence.fsutil import preallocate

    files = []
    for suffix, ratio in zip(("spool", "events.spool"), SPOOL_RATIO):
        p = case.derived_path(f".chat-{sha[:12]}.{suffix}")
        spools.append(str(p))
        f = open(p, "wb")
        files.append(f)
        preallocate(f, int(source_size * ratio))
    return _Sink(*files)


def _write_facts(case, item, det, stats: dict, me, events_path: str, total: int) -> dict:
    old = case.read_facts("chat", {}) or {}
    sources = [s for s in old.get("sources", []) if s.get("sha256") != item.sha256]
    sources.append({"sha256": item.sha256, "path": item.path, "format": det.format, "messages": stats["messages"],
                    "order": stats["order"]})
    events = _head_events(events_path, FACT_EVENTS)
    facts = {"sources": sources, "messages_path": f"derived/{MESSAGES}", "events_path": f"derived/{EVENTS}",
             "me": me or old.get("me"), "events": events, "events_total": total}
    case.write_facts("chat", facts, sources=[s["sha256"] for s in sources])
    return facts


i18n.register({})
