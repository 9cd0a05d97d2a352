"""Append-only, hash-chained custody log (``custody.jsonl``).

    >>> from tradeshield.evidence.custody import CustodyLog
    >>> log = CustodyLog("custody.jsonl")                                 # doctest: +SKIP
    >>> log.append("add", files=[{"path": "evidence/a.jpg", "sha256": "…", "size": 1}])  # doctest: +SKIP
    >>> log.verify()                                                        # doctest: +SKIP
    []

Each line is canonical JSON (sorted keys, no spaces) holding ``prev``, the SHA-256 of the
previous line's bytes (64 zeros for the first). Editing, removing or reordering any line
breaks the link of the line after it; the bundle manifest records the head hash so that an
edit of the last line is caught as well. Appends take an exclusive ``flock`` so two
processes never interleave.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from tradeshield import TOOL
from tradeshield.errors import ChainBroken, Finding

GENESIS = "0" * 64


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextlib.contextmanager
def _locked(path: Path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows: best effort
            pass
        yield fd
    finally:
        os.close(fd)


class CustodyLog:
    def __init__(self, path: str | os.PathLike):
        import threading

        self.path = Path(path)
        self._held = threading.local()

    @contextlib.contextmanager
    def locked(self):
        """Hold the log's lock across a write to a case file and its entry (``append`` inside reuses it).

        ``flock`` is per open file, so another process, another thread or another ``CustodyLog`` on the same
        file waits; inside the block this thread's appends go through the held descriptor."""
        if getattr(self._held, "fd", None) is not None:
            yield self
            return
        with _locked(self.path) as fd:
            self._held.fd = fd
            try:
                yield self
            finally:
                self._held.fd = None

    def append(self, action: str, files: list[dict] | None = None, details: dict | None = None) -> dict:
        held = getattr(self._held, "fd", None)
        with (contextlib.nullcontext(held) if held is not None else _locked(self.path)) as fd:
            last_hash, seq = self._tail()
            entry = {
                "seq": seq,
                "time": utc_now(),
                "action": action,
                "files": files or [],
                "details": details or {},
                "tool": TOOL,
                "prev": last_hash,
            }
            line = canonical(entry) + b"\n"
            os.write(fd, line)
            os.fsync(fd)
        return entry

    def _tail(self) -> tuple[str, int]:
        lines = self._raw_lines()
        if not lines:
            return GENESIS, 1
        last = lines[-1]
        try:
            seq = int(json.loads(last)["seq"]) + 1
        except (ValueError, KeyError, TypeError):
            seq = len(lines) + 1
        return hashlib.sha256(last).hexdigest(), seq

    def _raw_lines(self) -> list[bytes]:
        if not self.path.exists():
            return []
        return [ln for ln in self.path.read_bytes().split(b"\n") if ln.strip()]

    def entries(self) -> list[dict]:
        out = []
        for ln in self._raw_lines():
            try:
                e = json.loads(ln)
            except (ValueError, RecursionError):
                continue
            if isinstance(e, dict):  # anything else is an edited line: verify reports it, readers skip it
                if not isinstance(e.get("details"), dict):
                    e["details"] = {}
                if not isinstance(e.get("files"), list):
                    e["files"] = []
                e["files"] = [f for f in e["files"] if isinstance(f, dict) and isinstance(f.get("path"), str)
                              and isinstance(f.get("sha256"), str)]
                out.append(e)
        return out

    def head(self) -> str:
        lines = self._raw_lines()
        return hashlib.sha256(lines[-1]).hexdigest() if lines else GENESIS

    def verify(self, name: str = "custody.jsonl") -> list[Finding]:
        return verify_chain(self._raw_lines(), name)


def _canonical_or_none(entry) -> bytes | None:
    try:
        return canonical(entry)
    except (ValueError, RecursionError):  # a lone surrogate ("\\ud800") cannot be UTF-8: not what we wrote
        return None


class ChainChecker:
    """``verify_chain`` one line at a time, for a log read as a stream (``feed`` each line, then ``finish``)."""

    def __init__(self, name: str = "custody.jsonl"):
        self.name, self.prev, self.i = name, GENESIS, 0
        self.findings: list[Finding] = []

    def feed(self, raw: bytes):
        """Check one line; returns the parsed entry (or None when it is not JSON)."""
        self.i += 1
        i, where = self.i, f"{self.name}:{self.i}"
        try:
            entry = json.loads(raw)
        except (ValueError, RecursionError):
            self.findings.append(ChainBroken(where, detail="not JSON", detail_zh="不是 JSON"))
            self.prev = hashlib.sha256(raw).hexdigest()
            return None
        if not isinstance(entry, dict) or entry.get("prev") != self.prev:
            found = entry.get("prev") if isinstance(entry, dict) else None
            self.findings.append(ChainBroken(where, expected=self.prev, found=str(found),
                                             detail=f"line {i - 1} was edited, removed or reordered (its hash is not the "
                                             f"one line {i} records)" if i > 1 else "first line does not start the chain",
                                             detail_zh=f"第 {i - 1} 行被改动、删除或调换了顺序（其哈希不是第 {i} 行记录的那个）"
                                             if i > 1 else "第一行不是链的起点"))
        elif _canonical_or_none(entry) != raw:
            self.findings.append(ChainBroken(where, detail="line is not in canonical form (edited?)",
                                             detail_zh="此行不是规范格式（被编辑过？）"))
        self.prev = hashlib.sha256(raw).hexdigest()
        return entry

    def finish(self, head: str | None = None) -> list[Finding]:
        if head is not None and self.prev != head:
            self.findings.append(ChainBroken(f"{self.name}:{self.i}", expected=head, found=self.prev,
                                             detail="last entry differs from the head recorded in the manifest",
                                             detail_zh="最后一条与清单中记录的链头不符"))
        return self.findings


def verify_chain(lines: list[bytes], name: str = "custody.jsonl", head: str | None = None) -> list[Finding]:
    """Check every link; ``head`` (from a manifest) also pins the last line."""
    checker = ChainChecker(name)
    for raw in lines:
        checker.feed(raw)
    return checker.finish(head)
